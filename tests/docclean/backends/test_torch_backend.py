"""The torch backend's device paths: CPU here; the CUDA path where a GPU exists (skipped otherwise)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from docclean import engine
from docclean.backends.torch_backend import CUDA_BATCH, TorchBackend
from docclean.engine import Denoiser
from docclean.model import DocUNet, DocUNetConfig
from docclean.settings import CleanSettings
from docclean.whiten import whiten_paper


def _net() -> DocUNet:
    """Random weights scaled by fan-in, so activations stay in range like a trained model's (plain
    randn weights blow them up, and bf16's rounding then moves outputs by far more than it would
    on a real model) while the output still differs clearly from the input."""
    torch.manual_seed(0)
    net = DocUNet(DocUNetConfig(unshuffle=2, widths=[4, 8], blocks=[1, 1]))
    with torch.no_grad():
        for p in net.parameters():
            scale = 0.5 / p[0].numel() ** 0.5 if p.dim() > 1 else 0.05
            p.copy_(torch.randn_like(p) * scale)
    return net


def test_cpu_backend_keeps_the_default_batch() -> None:
    backend = TorchBackend(_net(), device="cpu", precision="fp32")
    assert backend.default_batch_size is None and backend.stream is None


class _GpuLike:
    """Stands in for a GPU backend: asks for a bigger batch, records the batches it gets."""

    name, device, precision, multiple, metadata = "torch", "cuda", "bf16", 4, {}
    default_batch_size = CUDA_BATCH

    def __init__(self) -> None:
        self.batches: list[int] = []

    def run(self, tiles: np.ndarray) -> np.ndarray:
        self.batches.append(len(tiles))
        return tiles


@pytest.mark.parametrize("asked, expected", [(None, CUDA_BATCH), (0, CUDA_BATCH), (4, 4), (1, 1)])
def test_gpu_backend_gets_a_larger_default_batch_unless_the_user_chose(
        monkeypatch: pytest.MonkeyPatch, tiny_model_path: Path, asked: int | None, expected: int) -> None:
    fake = _GpuLike()
    monkeypatch.setattr(engine, "open_backend", lambda path, settings: fake)
    settings = CleanSettings(model=str(tiny_model_path), auto_levels=False,  # a random page is "dark"
                             **({} if asked is None else {"batch_size": asked}))
    den = Denoiser.from_settings(settings)
    assert den.batch_size == expected
    page = np.random.default_rng(0).random((400, 400), dtype=np.float32)
    den.tile_size, den.overlap = 128, 16
    assert np.allclose(den.clean(page), whiten_paper(page.copy()), atol=1e-6)
    assert max(fake.batches) == min(expected, len(engine.plan_tiles(400, 400, 128, 16, 4)))


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")
@pytest.mark.parametrize("precision, atol", [("fp32", 1e-3), ("auto", 2 / 255)])
def test_cuda_matches_cpu(precision: str, atol: float) -> None:
    net = _net()
    tiles = np.random.default_rng(0).random((5, 64, 80), dtype=np.float32)
    ref = TorchBackend(_net(), device="cpu", precision="fp32").run(tiles)
    gpu = TorchBackend(net, device="cuda", precision=precision)
    assert gpu.default_batch_size == CUDA_BATCH
    assert np.abs(ref - tiles).max() > 0.05  # the network changes the page: the comparison means something
    for _ in range(2):  # the second call reuses the pinned buffers
        out = gpu.run(tiles)
        assert out.shape == tiles.shape
        assert np.abs(out - ref).max() <= atol, f"max |cuda - cpu| = {np.abs(out - ref).max():.5f}"
    assert gpu.run(tiles[:2]).shape == (2, 64, 80)
