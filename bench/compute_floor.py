"""The compute floor of ``bench/clean_speed.py``: the model's convolution FLOPs per pixel, and the
convolution throughput this machine reaches with each backend (a microbenchmark of the model's most
common layer), from which the bench derives its efficiency figure."""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np

#: The microbenchmark's convolution: the model's most common layer shape (level 1 of DocUNet,
#: 64 -> 64 channels, 3x3) on a 1024 x 1024 tile (unshuffled by 2, downsampled by 2), 2 tiles.
CONV_SHAPE = dict(batch=2, channels=64, height=256, width=256, kernel=3)


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


def export_conv(path: Path) -> Path:
    """The benchmark convolution as an ONNX file (made once, so the ONNX workers need no torch)."""
    import torch

    c, k = CONV_SHAPE["channels"], CONV_SHAPE["kernel"]
    conv = torch.nn.Conv2d(c, c, k, padding=k // 2).eval()
    x = torch.rand(CONV_SHAPE["batch"], c, CONV_SHAPE["height"], CONV_SHAPE["width"])
    with torch.inference_mode():
        torch.onnx.export(conv, (x,), str(path), input_names=["x"], opset_version=17, dynamo=False)
    return path


def conv_throughput(method: str, device: str, threads: int, conv_onnx: Path) -> float:
    """GFLOP/s of the benchmark convolution on ``method`` (best of 5 after a warm-up)."""
    b, c, h, w, k = (CONV_SHAPE[key] for key in ("batch", "channels", "height", "width", "kernel"))
    flops = 2 * b * c * c * k * k * h * w
    xn = np.random.default_rng(0).random((b, c, h, w), dtype=np.float32)
    if method == "torch":
        import torch

        from docclean.backends.torch_backend import resolve_device, resolve_precision

        dev = resolve_device(device)
        dtype = resolve_precision("auto", dev)
        conv = torch.nn.Conv2d(c, c, k, padding=k // 2).eval().to(dev)
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
        sess = ort.InferenceSession(str(conv_onnx), opts, providers=["CPUExecutionProvider"])

        def run() -> None:
            sess.run(None, {"x": xn})
    else:
        from docclean.backends.openvino_backend import cpu_has_native_bf16, import_openvino

        core = import_openvino().Core()
        bf16 = cpu_has_native_bf16(core)
        req = core.compile_model(str(conv_onnx), "CPU", {"INFERENCE_NUM_THREADS": threads, "PERFORMANCE_HINT": "LATENCY",
                                                         "INFERENCE_PRECISION_HINT": "bf16" if bf16 else "f32"}
                                 ).create_infer_request()

        def run() -> None:
            req.infer({0: xn})
    run()
    times = []
    for _ in range(5):
        t = time.perf_counter()
        run()
        times.append(time.perf_counter() - t)
    return flops / min(times) / 1e9
