"""Training pages held in memory as 8- or 16-bit integers instead of float32.

``docclean train`` keeps every pair in memory for random crops: as float32 a 300-dpi A4 pair costs
about 70 MB, so a few hundred pairs would not fit. A page read from an 8-bit file is kept as the
uint8 values it came from (a quarter of the memory, no value changed); any other page (16-bit,
composited alpha, rendered PDF) as uint16 (half, within 1/131070 of its value). Crops, validation
and pictures read them back through :func:`as_float`.
"""

from __future__ import annotations

import numpy as np

#: How far from a multiple of 1/255 a page's values may lie and still be kept as uint8 (float32
#: rounding of k/255, nothing more).
_EIGHT_BIT = 1e-3


def compact(page: np.ndarray) -> np.ndarray:
    """``page`` (float, 0..1) as uint8 when every value is a multiple of 1/255, else as uint16."""
    scaled = page * np.float32(255.0)
    levels = np.rint(scaled)
    if float(np.max(np.abs(scaled - levels), initial=0.0)) < _EIGHT_BIT:
        return levels.clip(0, 255).astype(np.uint8)
    return np.rint(np.clip(page, 0.0, 1.0) * np.float32(65535.0)).astype(np.uint16)


def as_float(page: np.ndarray) -> np.ndarray:
    """A page kept by :func:`compact` (or a float page, returned as it is) as float32 0..1, as
    docclean's reader gives the same file's pixels."""
    if np.issubdtype(page.dtype, np.integer):
        return page.astype(np.float32) / np.float32(np.iinfo(page.dtype).max)
    return page


def paper(page: np.ndarray) -> float | int:
    """The value of white paper in ``page``'s type (for padding)."""
    return int(np.iinfo(page.dtype).max) if np.issubdtype(page.dtype, np.integer) else 1.0
