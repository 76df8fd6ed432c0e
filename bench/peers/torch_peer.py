"""PyTorch peer: eager nn.Module training on the CPU or an NVIDIA GPU
(--device cuda), torch.compile optional.

The whole split is one float32 tensor built once, on the device; each step gathers its
batch with index_select on a row of the steps' sample numbers. Losses stay
tensors (detached) until the end of the epoch.
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

import common

NAME = "torch"
DEVICE = torch.device("cpu")  # set by setup


def setup(opts) -> dict:
    global DEVICE
    threads = common.thread_count()
    torch.set_num_threads(threads)
    torch.set_default_dtype(torch.float32)
    note = "eager nn.Module, index_select batches, optim.SGD"
    if opts.device == "cuda":
        if not torch.cuda.is_available():
            raise RuntimeError(f"torch {torch.__version__} sees no CUDA GPU (a CPU build, or no driver)")
        DEVICE = torch.device("cuda", 0)
        device = f"cuda: {torch.cuda.get_device_name(DEVICE)}"
        # PyTorch's defaults, stated: cuDNN convolutions may use TF32, matrix products do not.
        note += (f", CUDA {torch.version.cuda}, cuDNN {torch.backends.cudnn.version()}"
                 f", TF32 convolutions {torch.backends.cudnn.allow_tf32}, TF32 matmul {torch.backends.cuda.matmul.allow_tf32}")
    else:
        device = "cpu"
        # The kernels ATen dispatches to (ATEN_CPU_CAPABILITY caps them).
        note += ", ATen " + torch.backends.cpu.get_cpu_capability()
    if opts.torch_compile:
        note += ", torch.compile"
    return {"version": torch.__version__.split("+")[0], "threads": torch.get_num_threads(), "note": note,
            "options": {"torch_compile": bool(opts.torch_compile)}, "device": device}


def build_model(case: common.Case, params: dict) -> nn.Module:
    layers: list[nn.Module] = []
    if case.arch == "mlp":
        last = common.NUM_PIXELS
        for h in case.hidden:
            layers += [nn.Linear(last, h), nn.Sigmoid() if case.activation == "sigmoid" else nn.ReLU()]
            last = h
    elif case.arch == "cnn":
        c = case.channels
        for cin in (1, c):
            layers += [nn.Conv2d(cin, c, common.CONV_KERNEL, stride=1, padding=2), nn.ReLU(),
                       nn.MaxPool2d(2, 2)]
        layers.append(nn.Flatten())  # NCHW order: c*49 + h*7 + w
    # Dense layers in order, to receive hiddenN/... then output/...
    denses = [m for m in layers if isinstance(m, nn.Linear)]
    convs = [m for m in layers if isinstance(m, nn.Conv2d)]
    in_out = params["output/weights"].shape
    out = nn.Linear(in_out[0], in_out[1])
    layers.append(out)
    model = nn.Sequential(*layers).to(DEVICE)
    with torch.no_grad():
        for i, m in enumerate(denses):
            m.weight.copy_(torch.from_numpy(params[f"hidden{i + 1}/weights"].T.copy()))  # ours is [in, out]
            m.bias.copy_(torch.from_numpy(params[f"hidden{i + 1}/biases"]))
        for i, m in enumerate(convs):
            m.weight.copy_(torch.from_numpy(params[f"conv{i + 1}/weights"]))  # [out, in, 5, 5] both
            m.bias.copy_(torch.from_numpy(params[f"conv{i + 1}/biases"]))
        out.weight.copy_(torch.from_numpy(params["output/weights"].T.copy()))
        out.bias.copy_(torch.from_numpy(params["output/biases"]))  # copy_ moves host to device
    return model


class Data:
    def __init__(self, data: common.Data):
        # On the CPU, .to(DEVICE) is a no-op and the tensors share numpy's memory.
        self.train_x = torch.from_numpy(data.train_x).to(DEVICE)  # [N, 784] float32
        self.valid_x = torch.from_numpy(data.valid_x).to(DEVICE)
        self.train_y_int = torch.from_numpy(data.train_y).to(DEVICE)  # int64
        self.valid_y_int = torch.from_numpy(data.valid_y).to(DEVICE)
        self.train_y_f = self.train_y_int.to(torch.float32).unsqueeze(1)  # [N, 1]
        self.valid_y_f = self.valid_y_int.to(torch.float32).unsqueeze(1)
        self.host = data


def prepare_data(data: common.Data, opts) -> Data:
    return Data(data)


class Trainer(common.Trainer):
    def __init__(self, case: common.Case, params: dict, d: Data, n_steps: int, opts):
        self.case = case
        model = build_model(case, params)
        model.train()
        self.model = model
        self.fwd = torch.compile(model) if opts.torch_compile else model
        cls = case.task == "classification"
        shape = (-1, 1, common.IMAGE_SIZE, common.IMAGE_SIZE) if case.arch == "cnn" else (-1, common.NUM_PIXELS)
        self.x = d.train_x.view(shape)
        self.vx = d.valid_x.view(shape)
        self.y = d.train_y_int if cls else d.train_y_f
        self.vy = d.valid_y_int if cls else d.valid_y_f
        self.loss_fn = F.cross_entropy if cls else F.mse_loss  # both mean over the batch
        B = case.batch
        # Every step's sample numbers, on the device in one copy; the rows are views.
        rows = common.batch_rows(d.host, B, n_steps)
        self.batches = list(torch.from_numpy(rows.astype(np.int64)).to(DEVICE).unbind(0))
        self.opt = torch.optim.SGD(model.parameters(), lr=case.learning_rate)

    def step(self, s):
        idx = self.batches[s]
        x = self.x.index_select(0, idx)
        y = self.y.index_select(0, idx)
        loss = self.loss_fn(self.fwd(x), y)
        self.opt.zero_grad(set_to_none=True)
        loss.backward()
        self.opt.step()
        return loss.detach()

    def sync(self, v):
        v.item()  # copies the value to the host: waits for the GPU too

    def to_float(self, v):
        return v.item()

    def eval_batch(self, start, n):
        with torch.inference_mode():
            out = self.fwd(self.vx[start:start + n])
            return self.loss_fn(out, self.vy[start:start + n]), out

    def to_numpy(self, v):
        return v.cpu().numpy()


def make_trainer(case, params, d, n_steps, opts):
    return Trainer(case, params, d, n_steps, opts)
