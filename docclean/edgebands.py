"""Thin dark bands along the scan's edge: where the scanner saw past the sheet for a few pixels.

:mod:`docclean.surround` clears the scanner's dark surround where a seed square (33 pixels) fits
in it. A band narrower than that (a sheet fed a little askew, a lid seen along one side for 5-30
pixels) was left to the network, which drew it as a grey, streaky strip along the page's edge:
dark beside paper looks to it like a thick stroke, a blur of one. :func:`edge_bands` finds such
bands on the shrunk page (:func:`docclean.solids.shrunk`): along a side of the page, a run of
at least :data:`docclean.surround.EDGE` of the page's shorter side where the pixels from the
edge inwards are darker than the lid level, no deeper than a seed square, of an even grey and of
an even depth. What lies deeper than the band's own depth at some place (a letter or a rule
touching it) is not the band: it stays the network's.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from docclean.solids import SCALE, SEED

#: A band's depth varies along it by at most this many pixels of the shrunk page from a straight
#: line fitted to it (a sheet fed askew makes a wedge).
DEPTH_SPREAD = 2
#: Of the run along the edge, at least this share is of the band's depth (the rest: letters or
#: rules of the page touching it, which reach deeper).
FILLED = 0.6


def _runs(on: np.ndarray) -> list[tuple[int, int]]:
    """The (start, end) of each run of True in a 1-D boolean array."""
    padded = np.concatenate(([False], on, [False]))
    edges = np.flatnonzero(padded[1:] != padded[:-1])
    return list(zip(edges[::2].tolist(), edges[1::2].tolist()))


def _side_band(strip: np.ndarray, dark: np.ndarray, min_run: int, is_even: Callable[[np.ndarray], bool]
               ) -> np.ndarray | None:
    """The band in ``strip`` (grey, the edge at row 0, a seed's depth deep) whose pixels ``dark``
    marks, as a uint8 mask of the strip, or None."""
    depth_max = strip.shape[0]
    # The depth of dark pixels from the edge inwards, per column; the full depth: not thin.
    depth = np.where(dark.all(axis=0), depth_max, np.argmin(dark, axis=0))
    band = np.zeros(strip.shape, np.uint8)
    for start, end in _runs((depth > 0) & (depth < depth_max)):
        if end - start < min_run:
            continue
        cols = np.arange(start, end)
        d = depth[start:end].astype(np.float64)
        shallow = d <= np.median(d) + DEPTH_SPREAD  # the band itself, not the letters touching it
        fit = np.polyval(np.polyfit(cols[shallow], d[shallow], 1), cols)
        fits = np.abs(d - fit) <= DEPTH_SPREAD
        if fits.mean() < FILLED:
            continue  # a row of letters or a ragged shadow, not a band
        # Deeper than the band at a letter or a rule touching it: the band's own depth only, so
        # that the stroke beyond it stays the network's.
        reach = np.where(d > fit + DEPTH_SPREAD, np.round(fit), d).astype(int)
        rows = np.arange(depth_max)[:, None]
        part = (rows < reach[None, :]).astype(np.uint8)
        values = strip[:, start:end][part.astype(bool)]
        if values.size == 0 or not is_even(values):
            continue  # a shadow fading into the page, or a dark picture at the edge
        band[:, start:end] |= part
    return band if band.any() else None


def edge_bands(small: np.ndarray, paper: float, level: float, edge: float,
               is_even: Callable[[np.ndarray], bool]) -> np.ndarray | None:
    """A uint8 mask on the shrunk page ``small`` of the thin dark bands along its edge (see the
    module's docstring), or None when it has none. ``level``: darker than this share of ``paper``
    (the surround's lid level); ``edge``: a band runs for at least this share of the shorter side;
    ``is_even``: whether a band's grey levels are even, as a lid's are."""
    h, w = small.shape
    deep = SEED // SCALE  # a seed square on the shrunk page: the surround's own search takes wider
    if min(h, w) < 4 * deep:
        return None
    min_run = int(edge * min(h, w))
    mask = np.zeros((h, w), np.uint8)
    # Each side seen as a strip whose row 0 is the page's edge: views, so the band found in a
    # strip is marked in ``mask`` itself.
    for view in (lambda a: a[:deep], lambda a: a[::-1][:deep], lambda a: a.T[:deep], lambda a: a.T[::-1][:deep]):
        strip = view(small)
        band = _side_band(strip, strip < level * paper, min_run, is_even)
        if band is not None:
            view(mask)[...] |= band
    return mask if mask.any() else None
