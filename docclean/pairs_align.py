"""Lining up a noisy page and its clean target when their sizes differ by a few pixels.

A clean page trimmed by 2 pixels on every side, or a scan cropped a little differently, lies
somewhere inside its bigger partner, not necessarily at the top-left: cropping both to the common
size from the top-left would make a pair 2 pixels apart, whose every stroke the model is taught to
move. :func:`align` tries every placement of the smaller page inside the bigger one (at most 5 x 5
for the 4 pixels ``docclean.pairs`` allows) and keeps the one whose pixels differ least: first on
a strided view of some 100,000 pixels, then the three best again on a view four times as dense. A
300-dpi A4 pair takes about 15 ms (``bench/input_checks.py``).
"""

from __future__ import annotations

import numpy as np

#: Pixels compared per placement in the first, coarse pass.
COARSE_PIXELS = 100_000


def _starts(a: int, b: int) -> list[tuple[int, int]]:
    """Where the overlap of two sizes ``a`` (noisy) and ``b`` (clean) of one axis may start in
    each: (noisy start, clean start), the smaller page lying anywhere inside the bigger."""
    if a >= b:
        return [(k, 0) for k in range(a - b + 1)]
    return [(0, k) for k in range(b - a + 1)]


def _difference(noisy: np.ndarray, clean: np.ndarray, place: tuple[int, int, int, int], size: tuple[int, int],
                stride: int) -> float:
    ny, cy, nx, cx = place
    h, w = size
    a = noisy[ny:ny + h:stride, nx:nx + w:stride]
    b = clean[cy:cy + h:stride, cx:cx + w:stride]
    return float(np.abs(a.astype(np.float32) - b.astype(np.float32)).mean())


def align(noisy: np.ndarray, clean: np.ndarray) -> tuple[np.ndarray, np.ndarray, tuple[int, int] | None]:
    """``noisy`` and ``clean`` cropped to their common size where they match best, and the clean
    page's shift against the scan as (right, down) pixels (None when the sizes were equal)."""
    if noisy.shape == clean.shape:
        return noisy, clean, None
    h, w = min(noisy.shape[0], clean.shape[0]), min(noisy.shape[1], clean.shape[1])
    # Nearest the centre first: when nothing tells placements apart (a blank page), the middle wins.
    places = sorted(((ny, cy, nx, cx) for ny, cy in _starts(noisy.shape[0], clean.shape[0])
                     for nx, cx in _starts(noisy.shape[1], clean.shape[1])),
                    key=lambda p: abs(2 * (p[0] - p[1]) - (noisy.shape[0] - clean.shape[0]))
                    + abs(2 * (p[2] - p[3]) - (noisy.shape[1] - clean.shape[1])))
    stride = max(1, int((h * w / COARSE_PIXELS) ** 0.5))
    coarse = sorted(range(len(places)), key=lambda i: (_difference(noisy, clean, places[i], (h, w), stride), i))
    fine = max(1, stride // 2)
    if fine < stride:
        best = min(coarse[:3], key=lambda i: (_difference(noisy, clean, places[i], (h, w), fine), i))
    else:
        best = coarse[0]
    ny, cy, nx, cx = places[best]
    return noisy[ny:ny + h, nx:nx + w], clean[cy:cy + h, cx:cx + w], (nx - cx, ny - cy)


def shift_text(shift: tuple[int, int]) -> str:
    """The clean page's placement over the scan in words: "2 px right and 2 px down"."""
    right, down = shift
    parts = [f"{abs(right)} px {'right' if right > 0 else 'left'}" if right else "",
             f"{abs(down)} px {'down' if down > 0 else 'up'}" if down else ""]
    said = " and ".join(p for p in parts if p)
    return said or "at the top-left corner"
