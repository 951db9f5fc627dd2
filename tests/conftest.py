"""Shared fixtures: tiny models and tiny pages, so every test runs on CPU in seconds."""

from __future__ import annotations

import os
import signal
import tempfile
from pathlib import Path

import numpy as np
import pytest
import torch

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("MPLBACKEND", "Agg")
# Converted backend models go to a throwaway cache, never the user's ~/.cache.
os.environ.setdefault("DOCCLEAN_CACHE", tempfile.mkdtemp(prefix="docclean-test-cache-"))
torch.set_num_threads(min(2, torch.get_num_threads()))
# A suite started in the background by a non-interactive shell (`cmd &`, nohup) ignores SIGINT, and
# the processes it starts inherit that: the tests that press Ctrl-C on one would see nothing happen.
if signal.getsignal(signal.SIGINT) == signal.SIG_IGN:
    signal.signal(signal.SIGINT, signal.default_int_handler)

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = REPO.parent / "shared" / "data"


@pytest.fixture
def tiny_model_path(tmp_path: Path) -> Path:
    """A tiny, randomly initialised DocUNet saved as a checkpoint (not the shipped model)."""
    from docclean.checkpoint import save_model
    from docclean.model import DocUNet, DocUNetConfig

    torch.manual_seed(0)
    model = DocUNet(DocUNetConfig(unshuffle=2, widths=[4, 8], blocks=[1, 1]))
    return save_model(model, tmp_path / "tiny.safetensors", "docunet", model.config.to_dict(), {"note": "test"})


@pytest.fixture
def text_page() -> np.ndarray:
    """A small synthetic page: dark strokes on light grey paper with a gradient (float32 0..1)."""
    rng = np.random.default_rng(0)
    page = np.full((72, 100), 0.85, dtype=np.float32) - np.linspace(0, 0.2, 100, dtype=np.float32)[None]
    for _ in range(12):
        y, x = rng.integers(4, 64), rng.integers(4, 90)
        page[y:y + 6, x:x + 2] = 0.1
    return page


@pytest.fixture(scope="session")
def tiny_fashion_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A Fashion-MNIST-shaped folder of the four IDX gz files holding 64 train and 32 test images
    (bright rectangles of a few sizes on black, label = size class). Not the official files, so load
    it with ``verify=False`` / ``--no-verify``. Session-scoped: treat it as read-only."""
    from training.suite.fashion_data import FILES, write_idx_images, write_idx_labels

    folder = tmp_path_factory.mktemp("fashion")
    rng = np.random.default_rng(0)
    for split, n in (("train", 64), ("test", 32)):
        labels = rng.integers(0, 10, n).astype(np.uint8)
        images = np.zeros((n, 28, 28), np.uint8)
        for img, label in zip(images, labels):
            half = 3 + int(label)  # rectangle half-height grows with the label
            img[14 - half:14 + half, 8:20] = rng.integers(120, 255)
        write_idx_images(folder / FILES[f"{split}_images"][0], images)
        write_idx_labels(folder / FILES[f"{split}_labels"][0], labels)
    return folder
