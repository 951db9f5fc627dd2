"""Training pages held in memory as 8- or 16-bit integers instead of float32.

``docclean train`` keeps every pair in memory for random crops: as float32 a 300-dpi A4 pair costs
about 70 MB, so a few hundred pairs would not fit. A page read from an 8-bit file is kept as the
uint8 values it came from (a quarter of the memory, no value changed); any other page (16-bit,
composited alpha, rendered PDF) as uint16 (half, within 1/131070 of its value). Crops, validation
and pictures read them back through :func:`as_float`.

The pages once read are also checked as a whole, before any training: clean pages that are copies
of the scans (:func:`check_not_copies`), or noisy and clean folders given the wrong way round
(:func:`check_not_swapped`).
"""

from __future__ import annotations

import numpy as np

from docclean.errors import UsageError
from docclean.metrics import pooled_rmse
from docclean.pairs_swap import looks_swapped

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


#: Pages whose RMSE to each other is below this are one page (a copy, a lossless re-save).
SAME_PAGES = 1e-3


def check_not_copies(pages: list[tuple[np.ndarray, np.ndarray]]) -> None:
    """UsageError when every pair's clean page is its scan (a clean folder of copies of the scans):
    the model would learn to change nothing, and score perfectly doing it."""
    if pages and all(n.shape == c.shape and pooled_rmse([(as_float(n), as_float(c))]) < SAME_PAGES for n, c in pages):
        raise UsageError(f"every clean page is the same as its scan ({len(pages)} pairs): the clean folder holds "
                         "copies of the scans; give --clean a folder of clean versions of them", settings=("clean",))


#: Share of pairs that must look swapped (``docclean.pairs_swap.looks_swapped``) before a run is refused:
#: ordinary pairs measured had none, swapped folders 95% and more.
SWAPPED_SHARE = 0.8


def check_not_swapped(pages: list[tuple[np.ndarray, np.ndarray]], noisy: str, clean: str,
                      flags: tuple[str, str] = ("noisy", "clean")) -> None:
    """UsageError when nearly every pair's clean page (from ``clean``) looks more like a scan than
    its scan (from ``noisy``) does: the folders were given the wrong way round, and the run would
    learn to dirty pages. ``flags`` are the settings that gave the two folders."""
    swapped = sum(looks_swapped(n, c) for n, c in pages)
    if pages and swapped >= SWAPPED_SHARE * len(pages):
        given = [f"--{name.replace('_', '-')}" for name in flags]
        raise UsageError(f"the folders look swapped: on {swapped} of {len(pages)} pairs the clean page (in {clean}) "
                         f"is less even and less white than its scan (in {noisy}); give the scans to {given[0]} and "
                         f"their clean versions to {given[1]}, or add --allow-swapped to train on them as they are",
                         settings=flags)


def pad(page: np.ndarray, size: int) -> np.ndarray:
    """``page`` padded with white paper to at least ``size`` x ``size`` (a page smaller than a crop)."""
    h, w = page.shape
    if h >= size and w >= size:
        return page
    return np.pad(page, ((0, max(0, size - h)), (0, max(0, size - w))), constant_values=paper(page))


def synthetic_pairs(clean_pages: list[np.ndarray], n: int, seed: int) -> list[tuple[np.ndarray, np.ndarray]]:
    """``n`` extra pairs: synthetic damage (``docclean.synth.degrade``) over the user's clean pages."""
    from docclean.synth import degrade

    rng = np.random.default_rng(seed)
    out = []
    for i in range(n):
        clean = clean_pages[i % len(clean_pages)]
        out.append((compact(degrade(as_float(clean), rng).astype(np.float32)), clean))
    return out
