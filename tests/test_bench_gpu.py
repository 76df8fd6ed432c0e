"""scripts/bench-gpu.sh without a GPU: its checks and the layout of the XLA
CUDA plugin, with stand-ins for nvidia-smi, the peers' Python (torch and jax
that "see" a GPU, jax-cuda13-pjrt's plugin file) and the digits program,
which records how it was called. The run on a real GPU is in BENCHMARKS.md.
"""

import os
import re
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SCRIPT = os.path.join(ROOT, "scripts", "bench-gpu.sh")
# A CUDA toolkit in /usr/local/cuda would be the data dir when the fakes have none.
SYSTEM_CUDA = os.path.exists("/usr/local/cuda/bin/ptxas")
PJRT_VERSION = re.search(r"^jax-cuda13-pjrt==(\S+)", open(os.path.join(ROOT, "requirements-xla-cuda.txt")).read(),
                         re.M).group(1)


def write(path, text, mode=0o644):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        f.write(text)
    os.chmod(path, mode)


@pytest.fixture
def fakes(tmp_path):
    """A fake GPU machine: returns (env, paths)."""
    bin_dir, site = tmp_path / "bin", tmp_path / "site"
    write(str(bin_dir / "nvidia-smi"), "#!/bin/sh\necho 'Fake GPU, 1024 MiB, 1.0'\n", 0o755)
    write(str(site / "torch" / "__init__.py"),
          "__version__ = '0.0'\nclass cuda:\n    is_available = staticmethod(lambda: True)\n"
          "    get_device_name = staticmethod(lambda i=0: 'fake GPU')\nclass version:\n    cuda = '13.0'\n")
    write(str(site / "jax" / "__init__.py"),
          "__version__ = '0.0'\nclass _Device:\n    device_kind = 'fake GPU'\n"
          "def devices(backend=None):\n    return [_Device()]\n")
    write(str(site / "jax_plugins" / "xla_cuda13" / "xla_cuda_plugin.so"), "the plugin")
    write(str(site / f"jax_cuda13_pjrt-{PJRT_VERSION}.dist-info" / "METADATA"),
          f"Metadata-Version: 2.1\nName: jax-cuda13-pjrt\nVersion: {PJRT_VERSION}\n")
    for lib in ("cu13", "cudnn"):
        os.makedirs(site / "nvidia" / lib / "lib")
    python = tmp_path / "python"
    write(str(python), f"#!/bin/sh\nPYTHONPATH={site} exec {sys.executable} \"$@\"\n", 0o755)
    calls = tmp_path / "calls"
    write(str(tmp_path / "digits"),
          f"#!/bin/sh\necho \"$* LD_LIBRARY_PATH=$LD_LIBRARY_PATH GOMLX_BACKEND=$GOMLX_BACKEND XLA_FLAGS=$XLA_FLAGS\" >> {calls}\n"
          "echo \"digits $1: done\"\n", 0o755)
    env = dict(os.environ, PATH=f"{bin_dir}:/usr/bin:/bin", DIGITS=str(tmp_path / "digits"),
               DIGITS_BENCH_PYTHON=str(python), PLUGIN_DIR=str(tmp_path / "no-plugin"),
               WORK_DIR=str(tmp_path / "work"), OUT_DIR=str(tmp_path / "out"), BENCH_GPU_TRAIN="0", XLA_FLAGS="")
    return env, {"site": site, "calls": calls, "work": tmp_path / "work", "bin": bin_dir}


def run(env):
    return subprocess.run(["bash", SCRIPT], env=env, capture_output=True, text=True, timeout=120)


def test_lays_out_the_peers_plugin_and_runs_the_bench(fakes):
    env, p = fakes
    r = run(env)
    assert r.returncode == 0, r.stdout + r.stderr
    nvidia = p["work"] / "xla-cuda" / "nvidia"
    plugin = nvidia / "pjrt_c_api_cuda_plugin.so"
    # go-xla's layout: the plugin in nvidia/, beside NVIDIA's libraries.
    assert plugin.read_text() == "the plugin" and not plugin.is_symlink()
    assert os.readlink(nvidia / "cu13") == str(p["site"] / "nvidia" / "cu13")
    assert f"jax-cuda13-pjrt {PJRT_VERSION}" in r.stdout and "GPU: Fake GPU" in r.stdout
    backend, bench = p["calls"].read_text().splitlines()
    assert backend.startswith("backend ") and f"GOMLX_BACKEND=xla:{plugin}" in backend
    assert bench.startswith(f"bench -backend xla:{plugin} -python {env['DIGITS_BENCH_PYTHON']} ")
    assert "-peers torch,jax -go-images 0 -epochs 5 " in bench
    assert f"{nvidia}/cu13/lib" in bench and f"{nvidia}/cudnn/lib" in bench  # LD_LIBRARY_PATH
    assert (p["work"].parent / "out" / "bench-gpu.md").read_text() == "digits bench: done\n"
    if not SYSTEM_CUDA:
        assert "--xla_gpu_cuda_data_dir" not in bench  # no ptxas with libdevice anywhere


def test_points_xla_at_ptxas_and_libdevice(fakes):
    """XLA's CUDA data dir: the first folder with both ptxas and libdevice, the
    plugin's cu13 (NVIDIA's wheels) before /usr/local/cuda."""
    env, p = fakes
    cu13 = p["site"] / "nvidia" / "cu13"
    write(str(cu13 / "bin" / "ptxas"), "#!/bin/sh\necho 'Cuda compilation tools'\necho 'Build cuda_13.5'\n", 0o755)
    r = run(env)
    assert r.returncode == 0, r.stderr
    if not SYSTEM_CUDA:
        assert "--xla_gpu_cuda_data_dir" not in p["calls"].read_text()  # ptxas without libdevice: not used
    write(str(cu13 / "nvvm" / "libdevice" / "libdevice.10.bc"), "bitcode")
    r = run(env)
    assert r.returncode == 0, r.stderr
    assert f"XLA_FLAGS=--xla_gpu_cuda_data_dir={os.path.realpath(cu13)}" in p["calls"].read_text().splitlines()[-1]
    assert "(Build cuda_13.5)" in r.stdout


def test_refuses_another_plugin_version(fakes):
    env, p = fakes
    os.rename(p["site"] / f"jax_cuda13_pjrt-{PJRT_VERSION}.dist-info", p["site"] / "jax_cuda13_pjrt-0.1.0.dist-info")
    (p["site"] / "jax_cuda13_pjrt-0.1.0.dist-info" / "METADATA").write_text(
        "Metadata-Version: 2.1\nName: jax-cuda13-pjrt\nVersion: 0.1.0\n")
    r = run(env)
    assert r.returncode == 1
    assert f"jax-cuda13-pjrt is 0.1.0, not {PJRT_VERSION} (requirements-xla-cuda.txt): run XLA_CUDA=1 make setup" in r.stderr
    assert not p["calls"].exists()


def test_uses_the_plugin_of_make_setup(fakes, tmp_path):
    env, p = fakes
    plugin = tmp_path / "go-xla" / "nvidia" / "pjrt_c_api_cuda_plugin.so"
    write(str(plugin), "installed")
    r = run(dict(env, PLUGIN_DIR=str(tmp_path / "go-xla")))
    assert r.returncode == 0, r.stderr
    assert f"XLA CUDA plugin: {plugin}" in r.stdout and not (p["work"] / "xla-cuda").exists()
    assert f"-backend xla:{plugin} " in p["calls"].read_text()


def test_needs_a_gpu_and_peers_that_see_it(fakes):
    env, p = fakes
    os.remove(p["bin"] / "nvidia-smi")
    r = run(env)
    assert r.returncode == 1 and "bench-gpu: error: no nvidia-smi: this needs an NVIDIA GPU and its driver" in r.stderr
    write(str(p["bin"] / "nvidia-smi"), "#!/bin/sh\necho 'Fake GPU, 1024 MiB, 1.0'\n", 0o755)
    (p["site"] / "torch" / "__init__.py").write_text(
        "__version__ = '0.0'\nclass cuda:\n    is_available = staticmethod(lambda: False)\n")
    r = run(env)
    assert r.returncode == 1 and "torch 0.0 sees no GPU" in r.stderr and "the peers cannot use the GPU" in r.stderr
    assert not p["calls"].exists()
