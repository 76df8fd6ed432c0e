"""JAX peer: one jax.jit train step (params donated) on the CPU platform, or
on the CUDA platform when DIGITS_BENCH_DEVICE=cuda (run_peer.py --device).

Data path (option --jax-data, env DIGITS_JAX_DATA):
  take (default): the split lives on the device as one float32 array; the
        jitted step gets the batch's indices (pre-split device arrays, made
        before timing) and gathers with jnp.take inside the step.
  host: numpy gathers the batch on the host and the step receives it.
Losses stay device arrays until the end of the epoch.
"""

from __future__ import annotations

import os

import glob
import shutil

PLATFORM = "cuda" if os.environ.get("DIGITS_BENCH_DEVICE") == "cuda" else "cpu"
if PLATFORM == "cuda" and not glob.glob("/dev/nvidia*") and not shutil.which("nvidia-smi"):
    # JAX's CUDA plugin, when installed, crashes the process (SIGSEGV in its
    # version check) on a machine without an NVIDIA driver: say why instead.
    raise RuntimeError("no NVIDIA GPU here (no /dev/nvidia*, no nvidia-smi) for JAX's CUDA platform")
os.environ["JAX_PLATFORMS"] = PLATFORM  # before jax is imported

import common  # noqa: E402

# XLA:CPU uses every core; it has a switch for one thread only, which we
# honour when DIGITS_BENCH_THREADS (or OMP_NUM_THREADS) asks for 1.
THREADS = os.cpu_count() or 1
if common.thread_count() == 1:
    os.environ["XLA_FLAGS"] = (os.environ.get("XLA_FLAGS", "") +
                               " --xla_cpu_multi_thread_eigen=false").strip()
    THREADS = 1

import functools

import jax
import jaxlib
import jax.numpy as jnp
import numpy as np
from jax import lax

NAME = "jax"

jax.config.update("jax_platforms", PLATFORM)
jax.config.update("jax_enable_x64", False)  # float32 everywhere


def setup(opts) -> dict:
    note = ("jit step, params donated, "
            + ("batch gathered in the step (jnp.take)" if opts.jax_data == "take" else "batch gathered on host")
            + ", NHWC conv, first-maximum pooling gradient")
    try:
        device = jax.devices()[0]
    except Exception as e:  # noqa: BLE001 - JAX without its CUDA plugin fails with a bare assertion
        raise RuntimeError(f"jax {jax.__version__} finds no {PLATFORM} device (for cuda: a GPU, and jax-cuda13-plugin "
                           f"installed): {type(e).__name__}: {e}") from e
    return {"version": jax.__version__, "threads": THREADS, "note": note,
            "options": {"jax_data": opts.jax_data, "jaxlib": jaxlib.__version__},
            "device": f"{device.platform}: {device.device_kind}" if PLATFORM == "cuda" else "cpu"}


def max_pool(x):
    """2x2/2 max pooling of NHWC whose gradient goes, in each window, to the
    first maximum in row-major order, as torch's and paddle's max_pool2d and
    the Go package do. jnp.max (and lax.max) would share the gradient among
    tied elements instead, and ties are frequent (blank regions give equal
    activations). jnp.where's gradient goes to the branch it picked, so
    where(l >= r, l, r) gives ties to l: first the two columns of each row,
    then the two rows. With the ReLU after it (see forward), a training step
    on XLA:CPU is as fast as with a reshape and a max (the former, tie-sharing
    version), and reduce_window's select-and-scatter gradient is 2x slower.
    Other first-maximum forms measured slower: the same wheres on 2x2
    slices or strided slices, a custom_vjp, the ReLU before the pooling."""
    n, h, w, c = x.shape
    y = x.reshape(n, h, w // 2, 2, c)
    left, right = y[:, :, :, 0], y[:, :, :, 1]
    y = jnp.where(left >= right, left, right).reshape(n, h // 2, 2, w // 2, c)
    top, bottom = y[:, :, 0], y[:, :, 1]
    return jnp.where(top >= bottom, top, bottom)


def max_pool_values(x):
    """The same values as max_pool (a maximum is exact), as a reshape and a
    max: faster forward on XLA:CPU, but its gradient shares ties, so it is
    used for evaluation only."""
    n, h, w, c = x.shape
    return x.reshape(n, h // 2, 2, w // 2, 2, c).max(axis=(2, 4))


def forward(case: common.Case, params: dict, x, pool=max_pool):
    """The case's network. Convolutions run NHWC with HWIO kernels (XLA:CPU's
    fast layout; the kernels are transposed once when loaded); the features
    are put back in NCHW order before the output layer. The ReLU comes after
    the pooling (a quarter of the elements): relu(max(z)) == max(relu(z))
    exactly, and the gradients are the same too: if a window's maximum is
    positive, both orders send the gradient to its first maximum; if not,
    the ReLU stops it (gradient 0 at 0) in both."""
    n = x.shape[0]
    if case.arch == "mlp":
        act = jax.nn.sigmoid if case.activation == "sigmoid" else jax.nn.relu
        for i in range(len(case.hidden)):
            x = act(x @ params[f"hidden{i + 1}/weights"] + params[f"hidden{i + 1}/biases"])
    elif case.arch == "cnn":
        x = x.reshape(n, common.IMAGE_SIZE, common.IMAGE_SIZE, 1)  # C=1: same memory as NCHW
        for i in (1, 2):
            x = lax.conv_general_dilated(x, params[f"conv{i}/weights"], (1, 1), ((2, 2), (2, 2)),
                                         dimension_numbers=("NHWC", "HWIO", "NHWC"))
            x = jax.nn.relu(pool(x + params[f"conv{i}/biases"]))
        x = x.transpose(0, 3, 1, 2).reshape(n, -1)  # NCHW flatten: c*49 + h*7 + w
    return x @ params["output/weights"] + params["output/biases"]


def loss_fn(case, params, x, y, pool=max_pool):
    out = forward(case, params, x, pool)
    if case.task == "classification":
        logp = jax.nn.log_softmax(out, axis=-1)
        return -jnp.mean(jnp.take_along_axis(logp, y[:, None], axis=1)), out
    return jnp.mean(jnp.square(out - y[:, None])), out


class Data:
    def __init__(self, data: common.Data, opts):
        self.host = data
        self.train_y_f = data.train_y.astype(np.float32)
        self.train_y_i = data.train_y.astype(np.int32)
        if opts.jax_data == "take":
            self.train_x = jax.device_put(data.train_x)
            self.train_yd_f = jax.device_put(self.train_y_f)
            self.train_yd_i = jax.device_put(self.train_y_i)
        self.valid_x = jax.device_put(data.valid_x)
        self.valid_y_f = jax.device_put(data.valid_y.astype(np.float32))
        self.valid_y_i = jax.device_put(data.valid_y.astype(np.int32))


def prepare_data(data: common.Data, opts) -> Data:
    return Data(data, opts)


class Trainer(common.Trainer):
    def __init__(self, case: common.Case, params: dict, d: Data, n_steps: int, opts):
        self.case = case
        cls = case.task == "classification"
        lr = np.float32(case.learning_rate)
        grad = jax.value_and_grad(functools.partial(loss_fn, case), has_aux=True)

        def update(params, x, y):
            (loss, _), g = grad(params, x, y)
            return jax.tree.map(lambda p, gp: p - lr * gp, params, g), loss

        B = case.batch
        order = common.batch_rows(d.host, B, n_steps)  # [steps of all epochs, B]
        self.mode = opts.jax_data
        if self.mode == "take":
            X = d.train_x
            Y = d.train_yd_i if cls else d.train_yd_f

            @functools.partial(jax.jit, donate_argnums=(0,))
            def step(params, X, Y, idx):
                return update(params, jnp.take(X, idx, axis=0, mode="clip"),
                              jnp.take(Y, idx, axis=0, mode="clip"))

            self._step = step
            self.X, self.Y = X, Y
            self.batches = [jax.device_put(rows) for rows in order]
        else:
            self._step = jax.jit(update, donate_argnums=(0,))
            self.hx, self.hy = d.host.train_x, (d.train_y_i if cls else d.train_y_f)
            self.batches = list(order)

        self.vx = d.valid_x
        self.vy = d.valid_y_i if cls else d.valid_y_f

        @functools.partial(jax.jit, static_argnums=(4,))
        def evaluate(params, vx, vy, start, n):
            x = lax.dynamic_slice_in_dim(vx, start, n)
            y = lax.dynamic_slice_in_dim(vy, start, n)
            return loss_fn(case, params, x, y, max_pool_values)

        self._eval_jit = evaluate
        # Go layout, except conv kernels: [out, in, kh, kw] -> HWIO [kh, kw, in, out].
        self.params = {k: jax.device_put(v.transpose(2, 3, 1, 0) if v.ndim == 4 else v)
                       for k, v in params.items()}

    def step(self, s):
        if self.mode == "take":
            self.params, loss = self._step(self.params, self.X, self.Y, self.batches[s])
        else:
            idx = self.batches[s]
            self.params, loss = self._step(self.params, self.hx[idx], self.hy[idx])
        return loss

    def sync(self, v):
        v.block_until_ready()

    def to_float(self, v):
        return float(v)

    def eval_batch(self, start, n):
        return self._eval_jit(self.params, self.vx, self.vy, np.int32(start), n)

    def to_numpy(self, v):
        return np.asarray(v)


def make_trainer(case, params, d, n_steps, opts):
    return Trainer(case, params, d, n_steps, opts)
