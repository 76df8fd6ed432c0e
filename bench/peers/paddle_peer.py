"""PaddlePaddle peer: dynamic graph (dygraph) on CPU, paddle.nn layers as the
course writes them, paddle.optimizer.SGD.

The whole split is one float32 tensor built once; each step gathers its batch
with paddle.gather on index tensors pre-split before timing. Losses stay
tensors until the end of the epoch.
"""

from __future__ import annotations

import warnings

import numpy as np

warnings.filterwarnings("ignore", message="No ccache found")  # paddle's import-time notice
import paddle  # noqa: E402
import paddle.nn as nn  # noqa: E402
import paddle.nn.functional as F  # noqa: E402

import common  # noqa: E402

NAME = "paddle"


def setup(opts) -> dict:
    threads = common.thread_count()
    if opts.device == "cuda":
        if not paddle.is_compiled_with_cuda():
            raise RuntimeError(f"PaddlePaddle {paddle.__version__} is a CPU build (no CUDA); install its GPU build to run it on the GPU")
        paddle.set_device("gpu")
    else:
        paddle.set_device("cpu")
    paddle.set_default_dtype("float32")
    try:  # math library (oneDNN / MKL / OpenBLAS) threads
        paddle.base.core.set_num_threads(threads)
    except AttributeError:
        pass
    return {"version": paddle.__version__, "threads": threads,
            "note": "dygraph paddle.nn layers, paddle.gather batches, optimizer.SGD",
            "options": {}, "device": str(paddle.get_device())}


class Net(nn.Layer):
    def __init__(self, case: common.Case, params: dict):
        super().__init__()
        self.arch = case.arch
        self.hidden = nn.LayerList()
        self.acts = nn.LayerList()
        self.convs = nn.LayerList()
        if case.arch == "mlp":
            last = common.NUM_PIXELS
            for h in case.hidden:
                self.hidden.append(nn.Linear(last, h))
                self.acts.append(nn.Sigmoid() if case.activation == "sigmoid" else nn.ReLU())
                last = h
        elif case.arch == "cnn":
            c = case.channels
            for cin in (1, c):
                self.convs.append(nn.Conv2D(cin, c, common.CONV_KERNEL, stride=1, padding=2))
                self.acts.append(nn.ReLU())
            self.pool = nn.MaxPool2D(kernel_size=2, stride=2)
        w = params["output/weights"]
        self.output = nn.Linear(w.shape[0], w.shape[1])
        # Paddle's Linear weight is [in, out] and Conv2D's [out, in, kh, kw]:
        # both are the Go layout.
        for i, m in enumerate(self.hidden):
            m.weight.set_value(params[f"hidden{i + 1}/weights"])
            m.bias.set_value(params[f"hidden{i + 1}/biases"])
        for i, m in enumerate(self.convs):
            m.weight.set_value(params[f"conv{i + 1}/weights"])
            m.bias.set_value(params[f"conv{i + 1}/biases"])
        self.output.weight.set_value(w)
        self.output.bias.set_value(params["output/biases"])

    def forward(self, x):
        if self.arch == "mlp":
            for fc, act in zip(self.hidden, self.acts):
                x = act(fc(x))
        elif self.arch == "cnn":
            for conv, act in zip(self.convs, self.acts):
                x = self.pool(act(conv(x)))
            x = paddle.flatten(x, 1)  # NCHW order: c*49 + h*7 + w
        return self.output(x)


class Data:
    def __init__(self, data: common.Data):
        self.train_x = paddle.to_tensor(data.train_x)
        self.valid_x = paddle.to_tensor(data.valid_x)
        self.train_y_int = paddle.to_tensor(data.train_y.reshape(-1, 1))  # int64 [N, 1]
        self.valid_y_int = paddle.to_tensor(data.valid_y.reshape(-1, 1))
        self.train_y_f = paddle.to_tensor(data.train_y.astype(np.float32).reshape(-1, 1))
        self.valid_y_f = paddle.to_tensor(data.valid_y.astype(np.float32).reshape(-1, 1))
        self.host = data


def prepare_data(data: common.Data, opts) -> Data:
    return Data(data)


class Trainer(common.Trainer):
    def __init__(self, case: common.Case, params: dict, d: Data, n_steps: int, opts):
        self.case = case
        self.model = Net(case, params)
        self.model.train()
        self.cls = case.task == "classification"
        shape = [-1, 1, common.IMAGE_SIZE, common.IMAGE_SIZE] if case.arch == "cnn" else [-1, common.NUM_PIXELS]
        self.x = d.train_x.reshape(shape)
        self.vx = d.valid_x.reshape(shape)
        self.y = d.train_y_int if self.cls else d.train_y_f
        self.vy = d.valid_y_int if self.cls else d.valid_y_f
        B = case.batch
        order = common.batch_rows(d.host, B, n_steps)  # [steps of all epochs, B]
        self.batches = [paddle.to_tensor(rows) for rows in order]
        self.opt = paddle.optimizer.SGD(learning_rate=case.learning_rate,
                                        parameters=self.model.parameters())

    def loss(self, out, y):
        if self.cls:
            return F.cross_entropy(out, y)  # softmax + mean NLL
        return paddle.mean(F.square_error_cost(out, y))  # as the course

    def step(self, s):
        idx = self.batches[s]
        out = self.model(paddle.gather(self.x, idx))
        loss = self.loss(out, paddle.gather(self.y, idx))
        loss.backward()
        self.opt.step()
        self.opt.clear_grad()
        return loss.detach()

    def sync(self, v):
        float(v)  # copies the value to the host: waits for the GPU too

    def to_float(self, v):
        return float(v)

    def eval_batch(self, start, n):
        with paddle.no_grad():
            out = self.model(self.vx[start:start + n])
            return self.loss(out, self.vy[start:start + n]), out

    def to_numpy(self, v):
        return v.numpy()


def make_trainer(case, params, d, n_steps, opts):
    return Trainer(case, params, d, n_steps, opts)
