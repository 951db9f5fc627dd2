"""Reading and writing pages: the only place pixels change type or container."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image

from docclean.errors import InputError


def read_gray(path: str | Path) -> np.ndarray:
    """Read a single-page image as float32 grey levels in 0..1 (H x W)."""
    try:
        with Image.open(path) as im:
            return np.asarray(im.convert("L"), dtype=np.float32) / 255.0
    except (OSError, ValueError) as exc:
        raise InputError(f"cannot read image ({exc})", path) from None
