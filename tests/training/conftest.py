"""Shared fixtures of the training tests."""

import numpy as np
import pytest
from PIL import Image


@pytest.fixture
def pairs_dir(tmp_path):
    """4 texts x 2 noise versions of 48x64 pages; clean pages identical within a text."""
    rng = np.random.default_rng(0)
    for t in range(4):
        clean = np.ones((48, 64), np.float32)
        for _ in range(10):
            y, x = rng.integers(2, 40), rng.integers(2, 58)
            clean[y:y + 5, x:x + 2] = 0.0
        for v in range(2):
            noisy = clean * 0.8 + 0.1 * rng.random((48, 64))
            for sub, page in (("train", noisy), ("train_cleaned", clean)):
                (tmp_path / sub).mkdir(exist_ok=True)
                Image.fromarray((np.clip(page, 0, 1) * 255).astype(np.uint8)).save(tmp_path / sub / f"{t * 2 + v}.png")
    return tmp_path
