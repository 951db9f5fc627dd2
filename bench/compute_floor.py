"""The compute floor of ``bench/clean_speed.py``: the model's convolution FLOPs per pixel, and the
convolution throughput this machine reaches with each backend (a microbenchmark of the model's most
common layer), from which the bench derives its efficiency figure.

The throughput is the *marginal* rate of that layer inside a network: a chain of ``CONV_CHAIN``
layers and one twice as long are timed, and the extra layers' FLOPs are divided by the extra time.
Timed alone, a layer's time is mostly the runtime converting its input and output (fp32 to bf16,
plain to blocked layout and back), which inside the network happens once per tile, not once per
layer: one OpenVINO layer ran at a third of the rate its whole network reached, and the efficiency
read 300%.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

#: The microbenchmark's convolution: the model's most common layer shape (level 1 of DocUNet,
#: 64 -> 64 channels, 3x3) on a 1024 x 1024 tile (unshuffled by 2, downsampled by 2), 2 tiles.
CONV_SHAPE = dict(batch=2, channels=64, height=256, width=256, kernel=3)
#: The shorter chain's length (each layer followed by a leaky ReLU, as in the model).
CONV_CHAIN = 8


def flops_per_pixel(model: str) -> float:
    """Convolution FLOPs (2 x multiply-adds) per input pixel of the checkpoint's network."""
    import torch

    from docclean.checkpoint import load_model
    from docclean.models import resolve_model_path

    net, _ = load_model(resolve_model_path(model))
    total = 0

    def hook(mod: torch.nn.Conv2d, inp: tuple, out: torch.Tensor) -> None:
        nonlocal total
        k = mod.kernel_size[0] * mod.kernel_size[1] * mod.in_channels // mod.groups
        total += 2 * out.numel() * k

    hooks = [m.register_forward_hook(hook) for m in net.modules() if isinstance(m, torch.nn.Conv2d)]
    with torch.inference_mode():
        net(torch.rand(1, 1, 512, 512))
    for h in hooks:
        h.remove()
    return total / (512 * 512)


def conv_chain(layers: int = CONV_CHAIN) -> object:
    """A benchmark network: ``layers`` 3x3 convolutions, each followed by a leaky ReLU."""
    import torch

    c, k = CONV_SHAPE["channels"], CONV_SHAPE["kernel"]
    mods: list[torch.nn.Module] = []
    for _ in range(layers):
        mods += [torch.nn.Conv2d(c, c, k, padding=k // 2), torch.nn.LeakyReLU(0.1)]
    return torch.nn.Sequential(*mods).eval()


def long_chain_path(path: Path) -> Path:
    """Where :func:`export_conv` puts the chain twice as long as the one at ``path``."""
    return path.with_name(path.stem + "-long" + path.suffix)


def export_conv(path: Path) -> Path:
    """The two benchmark chains as ONNX files, ``path`` and :func:`long_chain_path` (made once, so
    the ONNX workers need no torch)."""
    import torch

    x = torch.rand(CONV_SHAPE["batch"], CONV_SHAPE["channels"], CONV_SHAPE["height"], CONV_SHAPE["width"])
    for layers, out in ((CONV_CHAIN, path), (2 * CONV_CHAIN, long_chain_path(path))):
        with torch.inference_mode():
            torch.onnx.export(conv_chain(layers), (x,), str(out), input_names=["x"], opset_version=17, dynamo=False)
    return path


def conv_throughput(method: str, device: str, threads: int, conv_onnx: Path) -> float:
    """GFLOP/s of the benchmark layer inside a network on ``method``: the extra FLOPs of the long
    chain over the short one, divided by its extra time (best of 5 each, after a warm-up)."""
    b, c, h, w, k = (CONV_SHAPE[key] for key in ("batch", "channels", "height", "width", "kernel"))
    flops = 2 * b * c * c * k * k * h * w * CONV_CHAIN
    xn = np.random.default_rng(0).random((b, c, h, w), dtype=np.float32)
    short = _best_time(_runner(method, device, threads, conv_onnx, CONV_CHAIN, xn))
    long = _best_time(_runner(method, device, threads, long_chain_path(conv_onnx), 2 * CONV_CHAIN, xn))
    if long <= short:  # the machine's speed moved between the two: no marginal rate to report
        return 2 * flops / long / 1e9
    return flops / (long - short) / 1e9


def _best_time(run: Callable[[], None], repeats: int = 5) -> float:
    run()
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        run()
        times.append(time.perf_counter() - t)
    return min(times)


def _runner(method: str, device: str, threads: int, onnx_path: Path, layers: int, xn: np.ndarray
            ) -> Callable[[], None]:
    """A function that runs one chain once on ``method``."""
    if method == "torch":
        import torch

        from docclean.backends.torch_backend import resolve_device, resolve_precision

        dev = resolve_device(device)
        dtype = resolve_precision("auto", dev)
        conv = conv_chain(layers).to(dev)  # type: ignore[attr-defined]
        xd = torch.from_numpy(xn).to(dev)
        if dev.type == "cpu":
            conv, xd = conv.to(memory_format=torch.channels_last), xd.contiguous(memory_format=torch.channels_last)

        def run() -> None:
            with torch.inference_mode(), torch.autocast(dev.type, dtype=dtype or torch.float32,
                                                        enabled=dtype is not None):
                conv(xd)
            if dev.type == "cuda":
                torch.cuda.synchronize()
    elif method == "onnx":
        import onnxruntime as ort

        opts = ort.SessionOptions()
        opts.intra_op_num_threads = threads
        sess = ort.InferenceSession(str(onnx_path), opts, providers=["CPUExecutionProvider"])

        def run() -> None:
            sess.run(None, {"x": xn})
    else:
        from docclean.backends.openvino_backend import cpu_has_native_bf16, import_openvino

        core = import_openvino().Core()
        bf16 = cpu_has_native_bf16(core)
        req = core.compile_model(str(onnx_path), "CPU", {"INFERENCE_NUM_THREADS": threads, "PERFORMANCE_HINT": "LATENCY",
                                                         "INFERENCE_PRECISION_HINT": "bf16" if bf16 else "f32"}
                                 ).create_infer_request()

        def run() -> None:
            req.infer({0: xn})
    return run
