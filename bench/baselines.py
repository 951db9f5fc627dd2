"""Classical baselines the benchmarks compare docclean against, timed and scored in the same run."""

from __future__ import annotations

import cv2
import numpy as np


def median_background_division(page: np.ndarray, ksize: int = 21) -> np.ndarray:
    """Estimate the paper with a median filter wider than a stroke and divide it out
    (the classic "background division" clean-up; float32 0..1 in and out)."""
    u8 = (np.clip(page, 0, 1) * 255).round().astype(np.uint8)
    background = cv2.medianBlur(u8, ksize | 1).astype(np.float32) / 255.0
    return np.clip(page / np.maximum(background, 1e-3), 0, 1).astype(np.float32)
