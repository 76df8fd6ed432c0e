"""Framework-independent part of the peer benchmarks (numpy only).

`digits bench` (Go) writes a spec directory and runs, once per framework,

    python bench/peers/run_peer.py --framework torch|jax|paddle \
        --spec DIR/spec.json --out DIR/<framework>.json

This module reads the spec, the MNIST IDX files, the batch order and the
initial parameters (raw float32 little-endian, in the Go package's layout),
and runs the timing loop that every framework shares (`run_case`), so the
three peers time and report exactly the same things. It must not import any
deep-learning framework: tests/test_bench_peers.py imports it in a venv that
has only numpy.
"""

from __future__ import annotations

import gzip
import json
import math
import os
import sys
import time
from dataclasses import dataclass, field

import numpy as np

SPEC_VERSION = 1
IMAGE_SIZE = 28
NUM_PIXELS = IMAGE_SIZE * IMAGE_SIZE
NUM_CLASSES = 10
CONV_KERNEL = 5
ARCHS = ("linear", "mlp", "cnn")
TASKS = ("regression", "classification")
ACTIVATIONS = ("sigmoid", "relu")
SCALES = ("zero_to_one", "minus_one_to_one")

IDX_IMAGES_MAGIC = 0x00000803  # unsigned byte, 3 dimensions
IDX_LABELS_MAGIC = 0x00000801  # unsigned byte, 1 dimension


class SpecError(ValueError):
    """The spec, or a file it names, is not what the Go side promised."""


def log(msg: str) -> None:
    """Progress line on stderr (stdout is left alone; JSON goes to --out)."""
    print(f"[peer] {msg}", file=sys.stderr, flush=True)


# ---------------------------------------------------------------------------
# Spec


@dataclass
class Case:
    name: str
    arch: str
    task: str
    batch: int
    learning_rate: float
    hidden: list[int] = field(default_factory=list)
    activation: str = "sigmoid"
    channels: int = 20
    params: list[dict] = field(default_factory=list)  # name, shape, file

    @property
    def outputs(self) -> int:
        return NUM_CLASSES if self.task == "classification" else 1


@dataclass
class Spec:
    path: str
    train_images: str
    train_labels: str
    train_count: int
    valid_offset: int
    valid_count: int
    scale: str
    order: str
    warmup_steps: int
    loss_steps: int
    max_steps: int
    epochs: int
    cases: list[Case]
    raw: dict


def _req(d: dict, key: str, kind, where: str):
    if key not in d:
        raise SpecError(f"{where}: missing {key!r}")
    v = d[key]
    if kind is int:
        if isinstance(v, bool) or not isinstance(v, (int, float)) or int(v) != v:
            raise SpecError(f"{where}: {key!r} must be an integer, got {v!r}")
        return int(v)
    if kind is float:
        if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v):
            raise SpecError(f"{where}: {key!r} must be a number, got {v!r}")
        return float(v)
    if not isinstance(v, kind):
        raise SpecError(f"{where}: {key!r} must be {kind.__name__}, got {v!r}")
    return v


def parse_case(d: dict, i: int) -> Case:
    where = f"case {i}"
    if not isinstance(d, dict):
        raise SpecError(f"{where}: must be an object")
    name = _req(d, "name", str, where)
    where = f"case {name!r}"
    c = Case(
        name=name,
        arch=_req(d, "arch", str, where),
        task=_req(d, "task", str, where),
        batch=_req(d, "batch", int, where),
        learning_rate=_req(d, "learning_rate", float, where),
        hidden=[int(h) for h in d.get("hidden") or []],
        activation=d.get("activation") or "sigmoid",
        channels=int(d.get("channels") or 20),
        params=list(d.get("params") or []),
    )
    if c.arch not in ARCHS:
        raise SpecError(f"{where}: arch {c.arch!r} not one of {ARCHS}")
    if c.task not in TASKS:
        raise SpecError(f"{where}: task {c.task!r} not one of {TASKS}")
    if c.batch <= 0:
        raise SpecError(f"{where}: batch {c.batch} must be positive")
    if c.arch == "mlp":
        if not c.hidden or any(h <= 0 for h in c.hidden):
            raise SpecError(f"{where}: mlp needs positive hidden sizes, got {c.hidden}")
        if c.activation not in ACTIVATIONS:
            raise SpecError(f"{where}: activation {c.activation!r} not one of {ACTIVATIONS}")
    if c.arch == "cnn" and c.channels <= 0:
        raise SpecError(f"{where}: channels {c.channels} must be positive")
    return c


def load_spec(path: str) -> Spec:
    """Reads and validates spec.json (relative paths are taken from its folder)."""
    with open(path, "r", encoding="utf-8") as f:
        try:
            raw = json.load(f)
        except json.JSONDecodeError as e:
            raise SpecError(f"{path}: not JSON: {e}") from e
    if not isinstance(raw, dict):
        raise SpecError(f"{path}: must be a JSON object")
    where = os.path.basename(path)
    version = _req(raw, "version", int, where)
    if version != SPEC_VERSION:
        raise SpecError(f"{where}: version {version}, this peer reads version {SPEC_VERSION}")
    base = os.path.dirname(os.path.abspath(path))

    def p(key):
        v = _req(raw, key, str, where)
        return v if os.path.isabs(v) else os.path.join(base, v)

    cases_raw = _req(raw, "cases", list, where)
    spec = Spec(
        path=os.path.abspath(path),
        train_images=p("train_images"),
        train_labels=p("train_labels"),
        train_count=_req(raw, "train_count", int, where),
        valid_offset=_req(raw, "valid_offset", int, where),
        valid_count=_req(raw, "valid_count", int, where),
        scale=raw.get("scale") or "zero_to_one",
        order=p("order"),
        warmup_steps=int(raw.get("warmup_steps", 10)),
        loss_steps=int(raw.get("loss_steps", 5)),
        max_steps=int(raw.get("max_steps", 0)),
        epochs=int(raw.get("epochs", 1)),
        cases=[],
        raw=raw,
    )
    if spec.scale not in SCALES:
        raise SpecError(f"{where}: scale {spec.scale!r} not one of {SCALES}")
    if spec.train_count <= 0 or spec.valid_count < 0 or spec.valid_offset < 0:
        raise SpecError(f"{where}: bad split sizes train_count={spec.train_count} "
                        f"valid_offset={spec.valid_offset} valid_count={spec.valid_count}")
    if spec.warmup_steps < 0 or spec.loss_steps < 0 or spec.max_steps < 0:
        raise SpecError(f"{where}: warmup_steps, loss_steps and max_steps must be >= 0")
    if spec.epochs < 1:
        raise SpecError(f"{where}: epochs must be >= 1, got {spec.epochs}")
    # A case that does not parse is kept as an error-only case by run_peer, so
    # the other cases still run: parse_case is called there. Here we only
    # check the list shape.
    for i, c in enumerate(cases_raw):
        if not isinstance(c, dict) or not isinstance(c.get("name"), str):
            raise SpecError(f"{where}: case {i} must be an object with a string name")
    return spec


def case_entries(spec: Spec) -> list[tuple[str, Case | None, str | None]]:
    """(name, parsed case or None, error or None) for each case of the spec."""
    out = []
    for i, d in enumerate(spec.raw["cases"]):
        try:
            out.append((d["name"], parse_case(d, i), None))
        except SpecError as e:
            out.append((d["name"], None, str(e)))
    return out


# ---------------------------------------------------------------------------
# Data


def _open_maybe_gzip(path: str) -> bytes:
    with open(path, "rb") as f:
        data = f.read()
    if data[:2] == b"\x1f\x8b":
        data = gzip.decompress(data)
    return data


def read_idx(path: str) -> np.ndarray:
    """Reads an IDX file of unsigned bytes (gzip or not) into a uint8 array."""
    data = _open_maybe_gzip(path)
    if len(data) < 4:
        raise SpecError(f"{path}: too short for an IDX header")
    if data[0] != 0 or data[1] != 0:
        raise SpecError(f"{path}: bad IDX magic {data[:4].hex()}")
    if data[2] != 0x08:
        raise SpecError(f"{path}: IDX type 0x{data[2]:02x}, want unsigned byte (0x08)")
    ndim = data[3]
    if ndim == 0:
        raise SpecError(f"{path}: IDX with no dimensions")
    header = 4 + 4 * ndim
    if len(data) < header:
        raise SpecError(f"{path}: truncated IDX header")
    dims = [int.from_bytes(data[4 + 4 * i: 8 + 4 * i], "big") for i in range(ndim)]
    n = int(np.prod(dims, dtype=np.int64))
    if len(data) - header != n:
        raise SpecError(f"{path}: IDX dims {dims} need {n} bytes, file has {len(data) - header}")
    return np.frombuffer(data, dtype=np.uint8, count=n, offset=header).reshape(dims)


def scale_pixels(pixels: np.ndarray, scale: str) -> np.ndarray:
    """Raw uint8 pixels -> float32, exactly as the Go loader (float32 arithmetic)."""
    x = pixels.astype(np.float32)
    if scale == "zero_to_one":
        return x / np.float32(255.0)
    if scale == "minus_one_to_one":
        return x / np.float32(127.5) - np.float32(1.0)
    raise SpecError(f"unknown scale {scale!r}")


@dataclass
class Data:
    """Both splits, converted once: images float32 [N, 784], labels int64 [N]."""
    train_x: np.ndarray
    train_y: np.ndarray
    valid_x: np.ndarray
    valid_y: np.ndarray
    order: np.ndarray  # int32 [train_count], indices into the train split


def load_data(spec: Spec) -> Data:
    images = read_idx(spec.train_images)
    labels = read_idx(spec.train_labels)
    if images.ndim != 3 or images.shape[1:] != (IMAGE_SIZE, IMAGE_SIZE):
        raise SpecError(f"{spec.train_images}: images of shape {images.shape}, want [N, 28, 28]")
    if labels.ndim != 1 or labels.shape[0] != images.shape[0]:
        raise SpecError(f"{spec.train_labels}: {labels.shape} labels for {images.shape[0]} images")
    n = images.shape[0]
    if spec.train_count > n:
        raise SpecError(f"train_count {spec.train_count} > {n} images in {spec.train_images}")
    if spec.valid_offset + spec.valid_count > n:
        raise SpecError(f"valid split [{spec.valid_offset}, {spec.valid_offset + spec.valid_count}) "
                        f"beyond {n} images")
    if labels.max(initial=0) >= NUM_CLASSES:
        raise SpecError(f"{spec.train_labels}: label {labels.max()} is not a digit")
    flat = images.reshape(n, NUM_PIXELS)
    v0, v1 = spec.valid_offset, spec.valid_offset + spec.valid_count
    return Data(
        train_x=np.ascontiguousarray(scale_pixels(flat[: spec.train_count], spec.scale)),
        train_y=labels[: spec.train_count].astype(np.int64),
        valid_x=np.ascontiguousarray(scale_pixels(flat[v0:v1], spec.scale)),
        valid_y=labels[v0:v1].astype(np.int64),
        order=load_order(spec.order, spec.train_count, spec.epochs),
    )


def load_order(path: str, train_count: int, epochs: int = 1) -> np.ndarray:
    """The epochs' batch orders: int32 little-endian, a value per train image
    and epoch, epoch after epoch. Returns [epochs, train_count]."""
    raw = np.fromfile(path, dtype="<i4")
    if raw.shape[0] != epochs * train_count:
        raise SpecError(f"{path}: {raw.shape[0]} indices, want train_count={train_count} x epochs={epochs}")
    if raw.size and (raw.min() < 0 or raw.max() >= train_count):
        raise SpecError(f"{path}: index out of [0, {train_count})")
    return raw.astype(np.int32).reshape(epochs, train_count)


def batch_rows(data: "Data", batch: int, steps_per_epoch: int) -> np.ndarray:
    """The sample numbers of every training step, [epochs * steps_per_epoch,
    batch]: each epoch takes its first steps_per_epoch full batches (a last
    partial batch is skipped)."""
    return data.order[:, : steps_per_epoch * batch].reshape(-1, batch)


# ---------------------------------------------------------------------------
# Parameters, in the Go layout


def expected_params(case: Case) -> list[tuple[str, tuple[int, ...]]]:
    """Names and shapes (Go layout) of the parameters of a case's model, in order."""
    out: list[tuple[str, tuple[int, ...]]] = []
    if case.arch == "linear":
        last = NUM_PIXELS
    elif case.arch == "mlp":
        last = NUM_PIXELS
        for i, h in enumerate(case.hidden):
            out += [(f"hidden{i + 1}/weights", (last, h)), (f"hidden{i + 1}/biases", (h,))]
            last = h
    elif case.arch == "cnn":
        c = case.channels
        out += [("conv1/weights", (c, 1, CONV_KERNEL, CONV_KERNEL)), ("conv1/biases", (c,)),
                ("conv2/weights", (c, c, CONV_KERNEL, CONV_KERNEL)), ("conv2/biases", (c,))]
        last = c * (IMAGE_SIZE // 4) ** 2
    else:
        raise SpecError(f"unknown arch {case.arch!r}")
    out += [("output/weights", (last, case.outputs)), ("output/biases", (case.outputs,))]
    return out


def load_params(case: Case, base: str = "") -> dict[str, np.ndarray]:
    """Reads the case's parameter files; checks names, shapes and sizes."""
    want = dict(expected_params(case))
    got: dict[str, np.ndarray] = {}
    for p in case.params:
        name, shape, path = p.get("name"), p.get("shape"), p.get("file")
        if not isinstance(name, str) or not isinstance(shape, list) or not isinstance(path, str):
            raise SpecError(f"case {case.name!r}: param entries need name, shape and file: {p!r}")
        if name not in want:
            raise SpecError(f"case {case.name!r}: unexpected param {name!r} (want {sorted(want)})")
        if name in got:
            raise SpecError(f"case {case.name!r}: param {name!r} given twice")
        shape = tuple(int(s) for s in shape)
        if shape != want[name]:
            raise SpecError(f"case {case.name!r}: param {name!r} has shape {list(shape)}, "
                            f"the model needs {list(want[name])}")
        if base and not os.path.isabs(path):
            path = os.path.join(base, path)
        a = np.fromfile(path, dtype="<f4")
        if a.size != int(np.prod(shape)):
            raise SpecError(f"case {case.name!r}: {path} holds {a.size} float32, "
                            f"shape {list(shape)} needs {int(np.prod(shape))}")
        got[name] = a.astype(np.float32).reshape(shape)
    missing = [n for n in want if n not in got]
    if missing:
        raise SpecError(f"case {case.name!r}: missing params {missing}")
    return got


# ---------------------------------------------------------------------------
# Metrics


def predicted_digits(outputs: np.ndarray, task: str) -> np.ndarray:
    """Digits predicted from model outputs, as the Go package does: argmax of
    the logits, or the regression output rounded half to even and clipped."""
    outputs = np.asarray(outputs)
    if task == "classification":
        return np.argmax(outputs.reshape(outputs.shape[0], -1), axis=-1).astype(np.int64)
    return np.clip(np.rint(outputs.reshape(-1)), 0, NUM_CLASSES - 1).astype(np.int64)


def count_correct(outputs: np.ndarray, labels: np.ndarray, task: str) -> int:
    return int(np.sum(predicted_digits(outputs, task) == np.asarray(labels).reshape(-1)))


def numpy_loss(outputs: np.ndarray, labels: np.ndarray, task: str) -> float:
    """Reference loss in float64 (tests and cross-checks only)."""
    outputs = np.asarray(outputs, dtype=np.float64)
    labels = np.asarray(labels).reshape(-1)
    if task == "classification":
        z = outputs - outputs.max(axis=-1, keepdims=True)
        logp = z - np.log(np.exp(z).sum(axis=-1, keepdims=True))
        return float(-logp[np.arange(len(labels)), labels].mean())
    return float(np.mean((outputs.reshape(-1) - labels.astype(np.float64)) ** 2))


def numpy_forward(case: Case, params: dict[str, np.ndarray], x: np.ndarray) -> np.ndarray:
    """Reference forward pass in numpy (float64) for linear and mlp (tests)."""
    h = np.asarray(x, dtype=np.float64).reshape(x.shape[0], -1)
    if case.arch == "cnn":
        raise NotImplementedError("numpy reference covers linear and mlp only")
    for i in range(len(case.hidden) if case.arch == "mlp" else 0):
        h = h @ params[f"hidden{i + 1}/weights"] + params[f"hidden{i + 1}/biases"]
        h = 1 / (1 + np.exp(-h)) if case.activation == "sigmoid" else np.maximum(h, 0)
    return h @ params["output/weights"] + params["output/biases"]


# ---------------------------------------------------------------------------
# The shared timing loop


class Trainer:
    """What each framework provides for one case (see torch_peer.py etc.).

    step(s)            runs training step s (batch rows[s], rows as batch_rows gives) and
                       returns the loss as a framework value, WITHOUT reading it.
    sync(v)            blocks until v is computed.
    to_float(v)        the value as a Python float.
    eval_batch(i, n)   forward pass on valid images [i, i+n): returns
                       (mean loss, outputs), framework values, unread.
    to_numpy(v)        outputs as a numpy array.
    """

    def step(self, s: int):
        raise NotImplementedError

    def sync(self, v) -> None:
        raise NotImplementedError

    def to_float(self, v) -> float:
        return float(v)

    def eval_batch(self, start: int, n: int):
        raise NotImplementedError

    def to_numpy(self, v) -> np.ndarray:
        return np.asarray(v)


def num_steps(spec: Spec, case: Case) -> int:
    n = spec.train_count // case.batch  # a last partial batch is skipped
    if spec.max_steps > 0:
        n = min(n, spec.max_steps)
    return n


def eval_batches(spec: Spec, case: Case) -> list[tuple[int, int]]:
    """(start, size) of the valid batches: file order, last partial batch kept
    (as the Go loader does in eval mode), at most max_steps batches."""
    out = [(i, min(case.batch, spec.valid_count - i)) for i in range(0, spec.valid_count, case.batch)]
    if spec.max_steps > 0:
        out = out[: spec.max_steps]
    return out


def run_case(spec: Spec, case: Case, trainer: Trainer, valid_y: np.ndarray) -> dict:
    """Trains spec.epochs epochs and evaluates, timing both; returns the
    case's JSON. epoch_s is the first epoch (compilation included); the
    steady state runs to the end of the last epoch."""
    B = case.batch
    per_epoch = num_steps(spec, case)
    if per_epoch == 0:
        raise SpecError(f"case {case.name!r}: batch {B} larger than train_count {spec.train_count}")
    n = per_epoch * spec.epochs
    # Steady state: steps [start, n), start = warmup_steps (at least 1: step
    # 0 always includes tracing/compilation), timed from the end of step
    # start-1 (one sync there) to the end of the last step.
    start = max(spec.warmup_steps, 1)
    kept = []  # the first loss_steps losses, still framework values
    t0 = time.perf_counter()
    loss = trainer.step(0)
    trainer.sync(loss)
    first_step_s = time.perf_counter() - t0
    if spec.loss_steps > 0:
        kept.append(loss)
    t_warm = None
    epoch_s = None
    for s in range(1, n):
        if s == start:
            trainer.sync(loss)  # the one sync that starts steady-state timing
            t_warm = time.perf_counter()
        if s == per_epoch:  # several epochs: the end of the first one
            trainer.sync(loss)
            epoch_s = time.perf_counter() - t0
        loss = trainer.step(s)
        if s < spec.loss_steps:
            kept.append(loss)
    last_loss = trainer.to_float(loss)  # materialises the last step
    t_end = time.perf_counter()
    if epoch_s is None:
        epoch_s = t_end - t0
    steady = None
    if start < n and t_end > t_warm:
        steady = (n - start) * B / (t_end - t_warm)
    losses = [trainer.to_float(v) for v in kept]
    log(f"{case.name}: {n} steps, first {first_step_s:.3f}s, epoch {epoch_s:.2f}s, "
        f"steady {steady and round(steady)} img/s, losses {['%.6g' % l for l in losses]}, "
        f"last {last_loss:.6g}")

    # Evaluation: one warm-up batch (plus the partial last batch, if any, which
    # has another shape) outside the timing; the rest timed.
    batches = eval_batches(spec, case)
    results: dict[int, tuple] = {}
    warm_idx = {0} | {i for i, (_, m) in enumerate(batches) if m != B}
    for i in sorted(warm_idx):
        if i < len(batches):
            results[i] = trainer.eval_batch(*batches[i])
            trainer.sync(results[i][0])
    timed = [i for i in range(len(batches)) if i not in warm_idx]
    te0 = time.perf_counter()
    for i in timed:
        results[i] = trainer.eval_batch(*batches[i])
    if timed:
        trainer.sync(results[timed[-1]][0])
    eval_s = time.perf_counter() - te0
    loss_sum, correct, images = 0.0, 0, 0
    for i, (start, m) in enumerate(batches):
        l, out = results[i]
        loss_sum += trainer.to_float(l) * m
        correct += count_correct(trainer.to_numpy(out), valid_y[start:start + m], case.task)
        images += m
    timed_images = sum(batches[i][1] for i in timed)
    eval_ips = timed_images / eval_s if timed and eval_s > 0 else None
    res = {
        "name": case.name,
        "first_step_s": first_step_s,
        "epoch_s": epoch_s,
        "steps": n,
        "images": n * B,
        "steady_images_per_s": steady,
        "losses": losses,
        "last_loss": last_loss,
        "eval_images_per_s": eval_ips,
        "eval_loss": loss_sum / images if images else None,
        "eval_accuracy": correct / images if images else None,
    }
    log(f"{case.name}: eval {images} images, loss {res['eval_loss']:.6g}, "
        f"accuracy {res['eval_accuracy']:.4f}, {eval_ips and round(eval_ips)} img/s")
    return res


def _threads_from_environment() -> int:
    for var in ("DIGITS_BENCH_THREADS", "OMP_NUM_THREADS"):
        v = os.environ.get(var, "").strip()
        if v.isdigit() and int(v) > 0:
            return int(v)
    return os.cpu_count() or 1


# Read when this module is imported, before any framework: importing paddle
# sets OMP_NUM_THREADS=1 in the environment when it is unset.
_THREADS = _threads_from_environment()


def thread_count() -> int:
    """Threads to use: DIGITS_BENCH_THREADS, else OMP_NUM_THREADS, else all
    CPUs, as the environment said before any framework was imported."""
    return _THREADS


def json_safe(v):
    """NaN and infinities become null: Go's encoding/json rejects them."""
    if isinstance(v, float) and not math.isfinite(v):
        return None
    if isinstance(v, dict):
        return {k: json_safe(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [json_safe(x) for x in v]
    return v


def write_json_atomic(path: str, obj) -> None:
    """Writes obj as JSON to path via a temporary file and a rename."""
    tmp = f"{path}.tmp{os.getpid()}"
    with open(tmp, "w", encoding="utf-8") as f:
        json.dump(json_safe(obj), f, indent=1, allow_nan=False)
        f.write("\n")
    os.replace(tmp, path)
