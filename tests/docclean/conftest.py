"""Fixtures of the tests of ``docclean``: the hot-folder tests' input and output folders, and a tiny
random denoiser shared by a test module."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from docclean.engine import Denoiser


@pytest.fixture
def folders(tmp_path: Path) -> tuple[Path, Path]:
    inbox, out = tmp_path / "in", tmp_path / "out"
    inbox.mkdir()
    return inbox, out


@pytest.fixture(scope="module")
def denoiser(tmp_path_factory: pytest.TempPathFactory) -> Denoiser:
    """A tiny, randomly initialised DocUNet loaded for fp32 on the CPU, once a module (a module
    may define its own, with other metadata)."""
    import torch

    from docclean.checkpoint import save_model
    from docclean.engine import Denoiser
    from docclean.model import DocUNet, DocUNetConfig

    torch.manual_seed(0)
    model = DocUNet(DocUNetConfig(unshuffle=2, widths=[4, 8], blocks=[1, 1]))
    path = save_model(model, tmp_path_factory.mktemp("model") / "tiny.safetensors", "docunet",
                      model.config.to_dict(), {"note": "test"})
    return Denoiser.load(path, device="cpu", precision="fp32")
