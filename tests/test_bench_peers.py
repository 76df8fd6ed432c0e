"""Tests of the peer benchmarks' shared module, bench/peers/common.py.

common.py needs only numpy, so these run in the project's venv. The tests
that run a real framework (torch, jax, paddle) skip where it is not
installed; with bench/requirements-peers.txt installed they train the tiny
spec in a subprocess and compare the losses with a numpy reference.
"""

import gzip
import json
import os
import subprocess
import sys
import types

import numpy as np
import pytest

PEERS = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "bench", "peers")
sys.path.insert(0, PEERS)

import common  # noqa: E402
import make_test_spec  # noqa: E402


# ---------------------------------------------------------------------------
# Tiny data set and spec


def write_idx(path, arr, gz=True):
    arr = np.asarray(arr, dtype=np.uint8)
    header = bytes([0, 0, 0x08, arr.ndim]) + b"".join(int(d).to_bytes(4, "big") for d in arr.shape)
    data = header + arr.tobytes()
    with open(path, "wb") as f:
        f.write(gzip.compress(data) if gz else data)


N_IMAGES, TRAIN, VALID_OFF, VALID = 30, 20, 20, 10


@pytest.fixture
def tiny(tmp_path):
    """Tiny MNIST-like files: 30 images (train 20, valid 10), seeded."""
    rng = np.random.default_rng(7)
    images = rng.integers(0, 256, (N_IMAGES, 28, 28), dtype=np.uint8)
    images[:, :3] = 0  # some background
    labels = rng.integers(0, 10, N_IMAGES, dtype=np.uint8)
    write_idx(tmp_path / "img.gz", images, gz=True)
    write_idx(tmp_path / "lab", labels, gz=False)  # uncompressed works too
    order = rng.permutation(TRAIN).astype("<i4")
    order.tofile(tmp_path / "order.i32")
    return types.SimpleNamespace(dir=tmp_path, images=images, labels=labels, order=order, rng=rng)


def make_spec(tiny, cases, **over):
    spec = {
        "version": 1,
        "train_images": str(tiny.dir / "img.gz"), "train_labels": str(tiny.dir / "lab"),
        "train_count": TRAIN, "valid_offset": VALID_OFF, "valid_count": VALID,
        "scale": "zero_to_one", "order": str(tiny.dir / "order.i32"),
        "warmup_steps": 2, "loss_steps": 3, "max_steps": 0, "cases": cases,
    }
    spec.update(over)
    path = tiny.dir / "spec.json"
    path.write_text(json.dumps(spec))
    return str(path)


def make_case(tiny, name, arch, task, batch, hidden=(), activation="sigmoid", channels=3, lr=0.05, seed=1):
    c = common.Case(name=name, arch=arch, task=task, batch=batch, learning_rate=lr,
                    hidden=list(hidden), activation=activation, channels=channels)
    params = make_test_spec.init_params(c, np.random.default_rng(seed))
    plist = []
    for pname, arr in params.items():
        f = tiny.dir / f"{name}.{pname.replace('/', '.')}.f32"
        arr.astype("<f4").tofile(f)
        plist.append({"name": pname, "shape": list(arr.shape), "file": str(f)})
    d = {"name": name, "arch": arch, "task": task, "batch": batch, "learning_rate": lr,
         "hidden": list(hidden), "activation": activation, "channels": channels, "params": plist}
    return d, params


# ---------------------------------------------------------------------------
# IDX, spec, data


def test_read_idx_gzip_and_raw(tiny):
    imgs = common.read_idx(str(tiny.dir / "img.gz"))
    assert imgs.shape == (N_IMAGES, 28, 28) and imgs.dtype == np.uint8
    np.testing.assert_array_equal(imgs, tiny.images)
    np.testing.assert_array_equal(common.read_idx(str(tiny.dir / "lab")), tiny.labels)


@pytest.mark.parametrize("data, msg", [
    (b"\x00\x00\x09\x01\x00\x00\x00\x01\x05", "unsigned byte"),
    (b"\x01\x00\x08\x01\x00\x00\x00\x01\x05", "magic"),
    (b"\x00\x00\x08\x01\x00\x00\x00\x03\x05", "need 3 bytes"),
    (b"\x00\x00\x08\x02\x00\x00", "truncated"),
])
def test_read_idx_rejects_bad_files(tmp_path, data, msg):
    p = tmp_path / "bad"
    p.write_bytes(data)
    with pytest.raises(common.SpecError, match=msg):
        common.read_idx(str(p))


def test_load_data_splits_and_scales(tiny):
    d, _ = make_case(tiny, "lin", "linear", "regression", 5)
    spec = common.load_spec(make_spec(tiny, [d]))
    data = common.load_data(spec)
    assert data.train_x.shape == (TRAIN, 784) and data.train_x.dtype == np.float32
    assert data.valid_x.shape == (VALID, 784)
    flat = tiny.images.reshape(N_IMAGES, 784)
    # Exactly float32(p) / 255, as the Go loader computes it.
    np.testing.assert_array_equal(data.train_x, flat[:TRAIN].astype(np.float32) / np.float32(255))
    np.testing.assert_array_equal(data.valid_x[3], flat[VALID_OFF + 3].astype(np.float32) / np.float32(255))
    assert data.train_x.max() == 1.0 and data.train_x.min() == 0.0
    np.testing.assert_array_equal(data.valid_y, tiny.labels[VALID_OFF:])
    np.testing.assert_array_equal(data.order, tiny.order[None])  # [epochs, train_count]

    spec2 = common.load_spec(make_spec(tiny, [d], scale="minus_one_to_one"))
    x2 = common.load_data(spec2).train_x
    assert x2.min() == -1.0 and x2.max() == 1.0
    np.testing.assert_array_equal(x2, flat[:TRAIN].astype(np.float32) / np.float32(127.5) - np.float32(1))


def test_spec_errors(tiny):
    d, _ = make_case(tiny, "lin", "linear", "regression", 5)
    with pytest.raises(common.SpecError, match="version"):
        common.load_spec(make_spec(tiny, [d], version=2))
    with pytest.raises(common.SpecError, match="scale"):
        common.load_spec(make_spec(tiny, [d], scale="bogus"))
    with pytest.raises(common.SpecError, match="beyond"):
        common.load_data(common.load_spec(make_spec(tiny, [d], valid_count=11)))
    np.arange(TRAIN - 1, dtype="<i4").tofile(tiny.dir / "short.i32")
    with pytest.raises(common.SpecError, match="indices"):
        common.load_data(common.load_spec(make_spec(tiny, [d], order=str(tiny.dir / "short.i32"))))
    (np.arange(TRAIN, dtype="<i4") + 1).tofile(tiny.dir / "high.i32")
    with pytest.raises(common.SpecError, match="out of"):
        common.load_data(common.load_spec(make_spec(tiny, [d], order=str(tiny.dir / "high.i32"))))
    # A bad case does not stop the others.
    bad = dict(d, name="bad", arch="rnn")
    spec = common.load_spec(make_spec(tiny, [bad, d]))
    entries = common.case_entries(spec)
    assert [e[0] for e in entries] == ["bad", "lin"]
    assert entries[0][1] is None and "arch" in entries[0][2]
    assert entries[1][1].arch == "linear" and entries[1][2] is None


# ---------------------------------------------------------------------------
# Parameters


def test_expected_params_layout():
    cnn = common.Case("c", "cnn", "classification", 100, 0.01, channels=20)
    shapes = dict(common.expected_params(cnn))
    assert shapes["conv1/weights"] == (20, 1, 5, 5) and shapes["conv2/weights"] == (20, 20, 5, 5)
    assert shapes["output/weights"] == (980, 10)
    mlp = common.Case("m", "mlp", "regression", 100, 0.01, hidden=[10, 7])
    assert [n for n, _ in common.expected_params(mlp)] == [
        "hidden1/weights", "hidden1/biases", "hidden2/weights", "hidden2/biases",
        "output/weights", "output/biases"]
    assert dict(common.expected_params(mlp))["hidden2/weights"] == (10, 7)
    assert dict(common.expected_params(mlp))["output/weights"] == (7, 1)


def test_load_params_round_trip_and_errors(tiny):
    d, params = make_case(tiny, "mlp", "mlp", "classification", 5, hidden=[4, 3])
    case = common.parse_case(d, 0)
    got = common.load_params(case)
    assert set(got) == set(params)
    for k in params:
        np.testing.assert_array_equal(got[k], params[k])  # row-major [in, out]
    # Row-major: element [i, j] of hidden1/weights is float number i*4 + j of the file.
    raw = np.fromfile(d["params"][0]["file"], dtype="<f4")
    assert got["hidden1/weights"][2, 3] == raw[2 * 4 + 3]

    wrong_shape = dict(d, params=[dict(p, shape=p["shape"][::-1]) if p["name"] == "hidden1/weights" else p
                                  for p in d["params"]])
    with pytest.raises(common.SpecError, match="shape"):
        common.load_params(common.parse_case(wrong_shape, 0))
    with pytest.raises(common.SpecError, match="missing"):
        common.load_params(common.parse_case(dict(d, params=d["params"][1:]), 0))
    short = tiny.dir / "short.f32"
    np.zeros(3, "<f4").tofile(short)
    with pytest.raises(common.SpecError, match="holds 3 float32"):
        common.load_params(common.parse_case(
            dict(d, params=[dict(p, file=str(short)) if p["name"] == "output/biases" else p
                            for p in d["params"]]), 0))


def test_init_params_statistics():
    c = common.Case("c", "cnn", "classification", 100, 0.01, channels=20)
    p = make_test_spec.init_params(c, np.random.default_rng(0))
    assert np.all(p["conv1/biases"] == 0) and np.all(p["output/biases"] == 0)
    assert abs(p["conv2/weights"].std() - np.sqrt(2 / 500)) < 0.005  # He normal, fan_in 20*25
    limit = np.sqrt(6 / (980 + 10))
    assert np.abs(p["output/weights"]).max() <= limit and np.abs(p["output/weights"]).max() > 0.9 * limit
    pb = make_test_spec.init_params(c, np.random.default_rng(0), bias=0.1)
    assert all(np.all(pb[k] == np.float32(0.1)) for k in pb if k.endswith("/biases"))
    np.testing.assert_array_equal(pb["conv2/weights"], p["conv2/weights"])  # same draws


# ---------------------------------------------------------------------------
# Metrics


def test_predicted_digits_and_accuracy():
    logits = np.array([[0, 1, 5, 0, 0, 0, 0, 0, 0, 0], [9, 1, 0, 0, 0, 0, 0, 0, 0, 0]], np.float32)
    np.testing.assert_array_equal(common.predicted_digits(logits, "classification"), [2, 0])
    out = np.array([[0.5], [1.5], [2.5], [-0.7], [9.6], [3.49], [7.5]], np.float32)
    # Round half to even, then clip to 0-9, as the Go package.
    np.testing.assert_array_equal(common.predicted_digits(out, "regression"), [0, 2, 2, 0, 9, 3, 8])
    assert common.count_correct(out, np.array([0, 2, 3, 0, 9, 3, 7]), "regression") == 5
    assert common.count_correct(logits, np.array([2, 1]), "classification") == 1


def test_numpy_loss():
    logits = np.log(np.array([[0.5, 0.25, 0.25] + [1e-30] * 7]))
    assert common.numpy_loss(logits, np.array([1]), "classification") == pytest.approx(np.log(4))
    assert common.numpy_loss(np.array([[1.0], [3.0]]), np.array([2, 2]), "regression") == pytest.approx(1.0)


# ---------------------------------------------------------------------------
# The timing loop, with a numpy trainer


def sigmoid(z):
    return 1 / (1 + np.exp(-z))


def numpy_sgd_losses(case, params, data, steps):
    """Reference training (float64 numpy, analytic gradients) for linear and
    sigmoid/relu mlp: the losses of the first `steps` steps and the params."""
    p = {k: v.astype(np.float64) for k, v in params.items()}
    n_hidden = len(case.hidden) if case.arch == "mlp" else 0
    losses = []
    B = case.batch
    order = np.asarray(data.order).reshape(-1)  # one epoch's order, or rows laid end to end
    for s in range(steps):
        idx = order[s * B:(s + 1) * B]
        x, y = data.train_x[idx].astype(np.float64), data.train_y[idx]
        acts = [x]
        for i in range(n_hidden):
            z = acts[-1] @ p[f"hidden{i + 1}/weights"] + p[f"hidden{i + 1}/biases"]
            acts.append(sigmoid(z) if case.activation == "sigmoid" else np.maximum(z, 0))
        out = acts[-1] @ p["output/weights"] + p["output/biases"]
        losses.append(common.numpy_loss(out, y, case.task))
        if case.task == "classification":
            e = np.exp(out - out.max(1, keepdims=True))
            dout = e / e.sum(1, keepdims=True)
            dout[np.arange(B), y] -= 1
            dout /= B
        else:
            dout = 2 * (out - y[:, None]) / B
        grads = {"output/weights": acts[-1].T @ dout, "output/biases": dout.sum(0)}
        g = dout @ p["output/weights"].T
        for i in reversed(range(n_hidden)):
            a = acts[i + 1]
            g = g * (a * (1 - a) if case.activation == "sigmoid" else (a > 0))
            grads[f"hidden{i + 1}/weights"] = acts[i].T @ g
            grads[f"hidden{i + 1}/biases"] = g.sum(0)
            g = g @ p[f"hidden{i + 1}/weights"].T
        for k in p:
            p[k] -= case.learning_rate * grads[k]
    return losses, p


class NumpyTrainer(common.Trainer):
    """A 'framework' in numpy, to test run_case's bookkeeping."""

    def __init__(self, case, params, data, steps_per_epoch):
        self.case, self.params, self.data, self.steps = case, params, data, []
        self.rows = common.batch_rows(data, case.batch, steps_per_epoch)

    def step(self, s):
        self.steps.append(s)
        batch = types.SimpleNamespace(train_x=self.data.train_x, train_y=self.data.train_y, order=self.rows[s])
        losses, self.params = numpy_sgd_losses(self.case, self.params, batch, 1)
        return np.float32(losses[0])

    def sync(self, v):
        pass

    def eval_batch(self, start, n):
        out = common.numpy_forward(self.case, self.params, self.data.valid_x[start:start + n])
        return np.float32(common.numpy_loss(out, self.data.valid_y[start:start + n], self.case.task)), out


@pytest.mark.parametrize("task", ["regression", "classification"])
def test_run_case_bookkeeping(tiny, task):
    d, params = make_case(tiny, "mlp", "mlp", task, 3, hidden=[5, 4])  # 20 // 3 = 6 steps, 2 left out
    spec = common.load_spec(make_spec(tiny, [d]))
    data = common.load_data(spec)
    case = common.parse_case(d, 0)
    loaded = common.load_params(case)
    ref_losses, ref_params = numpy_sgd_losses(case, loaded, data, 6)
    tr = NumpyTrainer(case, loaded, data, common.num_steps(spec, case))
    res = common.run_case(spec, case, tr, data.valid_y)
    assert tr.steps == list(range(6))
    assert res["steps"] == 6 and res["images"] == 18
    assert len(res["losses"]) == 3
    np.testing.assert_allclose(res["losses"], ref_losses[:3], rtol=1e-6)
    assert res["last_loss"] == pytest.approx(ref_losses[5], rel=1e-6)
    assert res["steady_images_per_s"] > 0 and res["eval_images_per_s"] > 0
    assert res["first_step_s"] <= res["epoch_s"]
    # Eval: all 10 valid images in batches of 3 (the last, partial, kept).
    out = common.numpy_forward(case, ref_params, data.valid_x)
    assert res["eval_loss"] == pytest.approx(common.numpy_loss(out, data.valid_y, task), rel=1e-5)
    assert res["eval_accuracy"] == pytest.approx(common.count_correct(out, data.valid_y, task) / VALID)


def test_run_case_max_steps_and_short_epochs(tiny):
    d, _ = make_case(tiny, "lin", "linear", "classification", 4)
    spec = common.load_spec(make_spec(tiny, [d], max_steps=2, warmup_steps=10, loss_steps=5))
    data = common.load_data(spec)
    case = common.parse_case(d, 0)
    tr = NumpyTrainer(case, common.load_params(case), data, common.num_steps(spec, case))
    res = common.run_case(spec, case, tr, data.valid_y)
    assert tr.steps == [0, 1] and res["steps"] == 2 and len(res["losses"]) == 2
    assert res["steady_images_per_s"] is None  # every step is a warm-up step
    assert common.eval_batches(spec, case) == [(0, 4), (4, 4)]  # eval limited too
    spec.max_steps = 0
    assert common.eval_batches(spec, case) == [(0, 4), (4, 4), (8, 2)]


def test_run_case_several_epochs(tiny):
    """epochs 2: the order file holds both epochs' orders; each epoch takes
    its first full batches (20 // 3 = 6 steps, 2 images left out each time);
    epoch_s is the first epoch, the steady state runs to the last step."""
    d, params = make_case(tiny, "mlp", "mlp", "regression", 3, hidden=[5, 4])
    second = tiny.rng.permutation(TRAIN).astype("<i4")
    np.concatenate([tiny.order, second]).tofile(tiny.dir / "order2.i32")
    spec = common.load_spec(make_spec(tiny, [d], epochs=2, order=str(tiny.dir / "order2.i32")))
    data = common.load_data(spec)
    assert data.order.shape == (2, TRAIN)
    case = common.parse_case(d, 0)
    rows = common.batch_rows(data, 3, 6)
    np.testing.assert_array_equal(rows, np.concatenate([tiny.order[:18], second[:18]]).reshape(12, 3))
    ref_losses, _ = numpy_sgd_losses(case, common.load_params(case),
                                     types.SimpleNamespace(train_x=data.train_x, train_y=data.train_y, order=rows), 12)
    tr = NumpyTrainer(case, common.load_params(case), data, common.num_steps(spec, case))
    res = common.run_case(spec, case, tr, data.valid_y)
    assert tr.steps == list(range(12)) and res["steps"] == 12 and res["images"] == 36
    np.testing.assert_allclose(res["losses"], ref_losses[:3], rtol=1e-6)
    assert res["last_loss"] == pytest.approx(ref_losses[11], rel=1e-6)
    assert res["first_step_s"] <= res["epoch_s"]
    # The order file must hold every epoch; epochs must be positive.
    with pytest.raises(common.SpecError, match="want train_count=20 x epochs=2"):
        common.load_data(common.load_spec(make_spec(tiny, [d], epochs=2)))
    with pytest.raises(common.SpecError, match="epochs must be >= 1"):
        common.load_spec(make_spec(tiny, [d], epochs=0))


def test_json_output_is_strict(tmp_path):
    out = tmp_path / "r.json"
    common.write_json_atomic(str(out), {"a": [1.0, float("nan")], "b": float("inf")})
    assert json.loads(out.read_text()) == {"a": [1.0, None], "b": None}
    assert os.listdir(tmp_path) == ["r.json"]


def test_run_peer_reports_spec_errors(tmp_path):
    out = tmp_path / "torch.json"
    r = subprocess.run([sys.executable, os.path.join(PEERS, "run_peer.py"), "--framework", "torch",
                        "--spec", str(tmp_path / "missing.json"), "--out", str(out)],
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 1
    res = json.loads(out.read_text())
    assert res["framework"] == "torch" and "spec" in res["error"] and res["cases"] == []


def test_run_peer_device_option(tmp_path):
    run_peer = os.path.join(PEERS, "run_peer.py")
    out = tmp_path / "jax.json"
    args = [sys.executable, run_peer, "--framework", "jax", "--spec", str(tmp_path / "missing.json"), "--out", str(out)]
    r = subprocess.run(args + ["--device", "tpu"], capture_output=True, text=True, timeout=60)
    assert r.returncode == 2 and "argument --device: invalid choice: 'tpu'" in r.stderr and not out.exists()
    # The environment sets the default (runs started by Go), the flag wins.
    r = subprocess.run(args, capture_output=True, text=True, timeout=60, env=dict(os.environ, DIGITS_BENCH_DEVICE="cuda"))
    assert r.returncode == 1 and json.loads(out.read_text())["device"] == "cuda"
    r = subprocess.run(args + ["--device", "cpu"], capture_output=True, text=True, timeout=60,
                       env=dict(os.environ, DIGITS_BENCH_DEVICE="cuda"))
    assert r.returncode == 1 and json.loads(out.read_text())["device"] == "cpu"


# ---------------------------------------------------------------------------
# Real frameworks (skipped where not installed)


@pytest.mark.parametrize("framework", ["torch", "jax", "paddle"])
def test_framework_on_a_missing_gpu_says_so(tiny, tmp_path, framework):
    """--device cuda where the framework finds no GPU: every case gets the
    framework's reason, and the exit status is 1 (Go reports the column's
    error); skipped where a GPU is there."""
    module = pytest.importorskip({"torch": "torch", "jax": "jax", "paddle": "paddle"}[framework])
    if os.path.exists("/dev/nvidiactl") or (framework == "torch" and module.cuda.is_available()):
        pytest.skip("a GPU is there")
    lin, _ = make_case(tiny, "linear-reg", "linear", "regression", 4)
    out = tmp_path / f"{framework}.json"
    r = subprocess.run([sys.executable, os.path.join(PEERS, "run_peer.py"), "--framework", framework,
                        "--spec", make_spec(tiny, [lin]), "--out", str(out), "--device", "cuda"],
                       capture_output=True, text=True, timeout=300)
    res = json.loads(out.read_text())
    assert r.returncode == 1 and res["device"] == "cuda", r.stderr[-2000:]
    assert res["error"].startswith(f"{framework} unavailable: ") and res["cases"] == [{"name": "linear-reg", "error": res["error"]}]


def numpy_cnn_forward(params, x, channels):
    """Reference CNN forward (float64): conv 5x5 pad 2, ReLU, maxpool 2, twice,
    NCHW flatten, dense."""
    h = x.reshape(-1, 1, 28, 28).astype(np.float64)
    for i in (1, 2):
        w, b = params[f"conv{i}/weights"].astype(np.float64), params[f"conv{i}/biases"]
        n, c, hh, ww = h.shape
        hp = np.pad(h, ((0, 0), (0, 0), (2, 2), (2, 2)))
        win = np.lib.stride_tricks.sliding_window_view(hp, (5, 5), axis=(2, 3))  # n c H W 5 5
        h = np.einsum("nchwij,ocij->nohw", win, w) + b[None, :, None, None]
        h = np.maximum(h, 0)
        h = h.reshape(n, channels, hh // 2, 2, ww // 2, 2).max(axis=(3, 5))
    return h.reshape(h.shape[0], -1) @ params["output/weights"] + params["output/biases"]


@pytest.mark.parametrize("framework", ["torch", "jax", "paddle"])
def test_framework_peer_matches_numpy(tiny, tmp_path, framework):
    pytest.importorskip({"torch": "torch", "jax": "jax", "paddle": "paddle"}[framework])
    lin, lin_p = make_case(tiny, "linear-reg", "linear", "regression", 4)
    mlp, mlp_p = make_case(tiny, "mlp-cls", "mlp", "classification", 5, hidden=[6, 5], seed=2)
    cnn, cnn_p = make_case(tiny, "cnn-cls", "cnn", "classification", 5, channels=3, seed=3)
    spec_path = make_spec(tiny, [lin, mlp, cnn])
    out = tmp_path / f"{framework}.json"
    r = subprocess.run([sys.executable, os.path.join(PEERS, "run_peer.py"), "--framework", framework,
                        "--spec", spec_path, "--out", str(out)],
                       capture_output=True, text=True, timeout=300, env=dict(os.environ, DIGITS_BENCH_THREADS="1"))
    assert r.returncode == 0, r.stderr[-3000:]
    res = json.loads(out.read_text())
    assert res["framework"] == framework and res["device"] == "cpu"
    cases = {c["name"]: c for c in res["cases"]}
    assert all("error" not in c for c in cases.values()), cases
    spec = common.load_spec(spec_path)
    data = common.load_data(spec)
    for d in (lin, mlp):
        case = common.parse_case(d, 0)
        ref, _ = numpy_sgd_losses(case, common.load_params(case), data, spec.loss_steps)
        np.testing.assert_allclose(cases[d["name"]]["losses"], ref, rtol=2e-5, err_msg=d["name"])
    # CNN: the first loss (before any update) against the numpy forward pass,
    # which checks the conv padding, pooling and the NCHW flatten order.
    idx = data.order[0, :5]
    ref0 = common.numpy_loss(numpy_cnn_forward(cnn_p, data.train_x[idx], 3), data.train_y[idx], "classification")
    assert cases["cnn-cls"]["losses"][0] == pytest.approx(ref0, rel=2e-5)
    assert cases["cnn-cls"]["steps"] == 4 and cases["cnn-cls"]["eval_accuracy"] is not None


def numpy_relu_pool_grad(x, g):
    """Gradient of sum(g * maxpool2x2(relu(x))) for NCHW x, as torch, paddle
    and the Go package compute it: ReLU gradient 0 at 0, and each window's
    gradient to its first maximum in row-major order."""
    r = np.maximum(x, 0)
    gx = np.zeros_like(x)
    n, c, h, w = x.shape
    for i in range(n):
        for k in range(c):
            for p in range(h // 2):
                for q in range(w // 2):
                    j = int(np.argmax(r[i, k, 2 * p:2 * p + 2, 2 * q:2 * q + 2].reshape(-1)))  # first max
                    a, b = 2 * p + j // 2, 2 * q + j % 2
                    gx[i, k, a, b] = g[i, k, p, q] * (x[i, k, a, b] > 0)
    return gx


POOL_GRAD_SCRIPTS = {
    # Each reads x (NCHW) and g from in.npz, writes the gradient (NCHW) to out.npy.
    "torch": """
import torch, torch.nn.functional as F
x = torch.tensor(d["x"], requires_grad=True)
F.max_pool2d(F.relu(x), 2, 2).backward(torch.tensor(d["g"]))
gx = x.grad.numpy()
""",
    "paddle": """
import paddle, paddle.nn.functional as F
paddle.set_device("cpu")
x = paddle.to_tensor(d["x"], stop_gradient=False)
F.max_pool2d(F.relu(x), 2, 2).backward(paddle.to_tensor(d["g"]))
gx = x.grad.numpy()
""",
    "jax": """
import jax, jax.numpy as jnp, jax_peer
f = lambda x: jax.nn.relu(jax_peer.max_pool(x))  # as jax_peer.forward, NHWC
_, vjp = jax.vjp(f, jnp.asarray(d["x"].transpose(0, 2, 3, 1)))
gx = np.asarray(vjp(jnp.asarray(d["g"].transpose(0, 2, 3, 1)))[0]).transpose(0, 3, 1, 2)
""",
}


@pytest.mark.parametrize("framework", ["torch", "jax", "paddle"])
def test_framework_pool_gradient_goes_to_first_maximum(tmp_path, framework):
    """The peers' ReLU + 2x2 max pooling: ties (frequent: blank regions) give
    the whole window gradient to the first maximum in row-major order, and
    the ReLU's gradient at 0 is 0, as in the Go package."""
    pytest.importorskip({"torch": "torch", "jax": "jax", "paddle": "paddle"}[framework])
    rng = np.random.default_rng(3)
    x = rng.integers(-1, 3, (2, 3, 6, 8)).astype(np.float32)  # values -1..2: many ties
    x[0, 0, :2, :6] = [[1, 1, 0, 2, 0, 0], [1, 1, 2, 2, 3, 3]]  # all tied; 2 at (0,1); 3 at (1,0)
    x[0, 1, :2, :4] = [[0, 0, -1, 0], [0, 0, 0, -1]]  # tied zeros and a negative window: no gradient
    g = rng.uniform(1, 2, (2, 3, 3, 4)).astype(np.float32)
    np.savez(tmp_path / "in.npz", x=x, g=g)
    code = ("import sys, numpy as np\nsys.path.insert(0, sys.argv[1])\nd = np.load(sys.argv[2])\n"
            + POOL_GRAD_SCRIPTS[framework] + "np.save(sys.argv[3], gx)\n")
    r = subprocess.run([sys.executable, "-c", code, PEERS, str(tmp_path / "in.npz"), str(tmp_path / "out.npy")],
                       capture_output=True, text=True, timeout=120, env=dict(os.environ, JAX_PLATFORMS="cpu"))
    assert r.returncode == 0, r.stderr[-3000:]
    got = np.load(tmp_path / "out.npy")
    want = numpy_relu_pool_grad(x, g)
    np.testing.assert_array_equal(got[0, 0, :2, :6], want[0, 0, :2, :6])
    assert np.count_nonzero(want[0, 0, :2, :6]) == 3 and want[0, 0, 0, 0] == g[0, 0, 0, 0]
    assert want[0, 0, 0, 3] == g[0, 0, 0, 1] and want[0, 0, 1, 4] == g[0, 0, 0, 2]
    assert not np.any(want[0, 1, :2, :4])
    np.testing.assert_array_equal(got, want)
