"""Solid dark areas: black boxes, bars and bands that the network would hollow out.

The network learned that a dark area much wider than a stroke is a stain, so it keeps the outline
of a black box and turns its inside to paper: from about 48 pixels across, a box came out grey or
white inside, and a black band with white writing in it (an invoice's "TOTAL DUE" bar, a form's
header) came out blotchy, its fill turned to paper where no letters were, so white writing there
would have been lost (bench/experiments/solids.py). A redaction bar came out as an empty frame.

:func:`solid_areas` finds such areas on the page the network cleaned: dark regions (below the
middle of paper and the darkest 1%) that contain a :data:`SEED` x :data:`SEED` square of dark
pixels, with the holes inside them (the white writing) filled, kept only when they are rectangles
(their area at least :data:`RECTANGLE` of the smallest rotated rectangle around them) with sharp
edges (:data:`SHARP`) that do not touch the page's edge. Stains, coffee rings, punch holes (round), shadows and the scanner's dark
surround (which touch the edge) are not rectangles inside the page, so the network still cleans
them. :func:`restore_solids` puts the page itself, stretched from its darkest 1% to its paper,
back into those areas where it is darker than the network's output (the engine's rule, as for
the wide-stroke pass: keep the darker).
"""

from __future__ import annotations

import cv2
import numpy as np

from docclean.levels import page_levels

#: A dark area is solid when it holds a square this many pixels wide (the network still fills a
#: 32-pixel box and starts to hollow a 48-pixel one).
SEED = 33
#: ... and when it fills at least this share of the smallest rotated rectangle around it (a disc,
#: such as a punch hole, fills 0.785).
RECTANGLE = 0.9
#: ... and when it has sharp edges: around it (within a seed's width), the pixels darker than a
#: quarter of the way from black to paper are at least this share of those darker than three
#: quarters of the way (a printed box's edge is a pixel or two of grey; a stain fades over dozens).
SHARP = 0.8
#: Strokes and rules up to this many pixels wide that touch a solid area (a table's rules around a
#: black header cell, letters running into a bar) are cut off it before it is judged.
DETACH = 11
#: A page whose paper is less than this much lighter than its darkest 1% has no black to speak of.
MIN_SPAN = 0.25
#: The search runs on the page shrunk by this factor (the seed square scaled alike): the same
#: areas to a pixel or two, 4x cheaper.
SCALE = 2


def _levels(page: np.ndarray) -> tuple[float, float]:
    """(paper, black): :func:`~docclean.levels.page_levels`' paper and darkest 1%, from every
    8th pixel (the figures need no more, and they cost a hundredth of a second at every 4th)."""
    paper, contrast = page_levels(page[::2, ::2])
    return paper, paper - contrast


def solid_areas(page: np.ndarray) -> np.ndarray | None:
    """A boolean mask of the solid dark rectangles of a grey float page (0..1), holes filled; None
    when it has none (most pages: one erosion of a half-size page decides)."""
    paper, black = _levels(page)
    span = paper - black
    if span < MIN_SPAN:
        return None
    h, w = page.shape
    small = cv2.resize(page, (max(1, w // SCALE), max(1, h // SCALE)), interpolation=cv2.INTER_AREA)
    dark = (small < black + span / 2).astype(np.uint8)
    side = SEED // SCALE
    seeds = cv2.erode(dark, np.ones((side, side), np.uint8))
    if not seeds.any():
        return None
    cut = DETACH // SCALE | 1  # the seeds are the same after this opening: it only cuts what is thinner
    dark = cv2.morphologyEx(dark, cv2.MORPH_OPEN, np.ones((cut, cut), np.uint8))
    _, labels, stats, _ = cv2.connectedComponentsWithStats(dark, connectivity=8)
    seeded = np.unique(labels[seeds.astype(bool)])
    sh, sw = dark.shape
    keep = np.zeros(dark.shape, np.uint8)
    for label in seeded[seeded > 0]:
        x, y, bw, bh, _ = stats[label]
        if x == 0 or y == 0 or x + bw >= sw or y + bh >= sh:
            continue  # the scanner's surround, a shadow or a border: the network should clean it
        region = (labels[y:y + bh, x:x + bw] == label).astype(np.uint8)
        contours, _ = cv2.findContours(region, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
        outline = max(contours, key=cv2.contourArea)
        filled = np.zeros_like(region)
        cv2.drawContours(filled, [outline], -1, 1, thickness=cv2.FILLED)
        (_, _), (rw, rh), _ = cv2.minAreaRect(outline)
        if rw * rh > 0 and filled.sum() >= RECTANGLE * rw * rh and _sharp(small, filled, (x, y), side, black, span):
            keep[y:y + bh, x:x + bw] |= filled
    if not keep.any():
        return None
    return cv2.resize(keep, (w, h), interpolation=cv2.INTER_NEAREST).astype(bool)


def _sharp(small: np.ndarray, filled: np.ndarray, at: tuple[int, int], reach: int, black: float, span: float
           ) -> bool:
    """Whether the area ``filled`` (its bounding box at ``at`` in ``small``) has sharp edges
    (:data:`SHARP`), judged within ``reach`` pixels of it."""
    x, y = at
    h, w = filled.shape
    y0, x0 = max(0, y - reach), max(0, x - reach)
    y1, x1 = min(small.shape[0], y + h + reach), min(small.shape[1], x + w + reach)
    near = np.zeros((y1 - y0, x1 - x0), np.uint8)
    near[y - y0:y - y0 + h, x - x0:x - x0 + w] = filled
    near = cv2.dilate(near, np.ones((2 * reach + 1, 2 * reach + 1), np.uint8)).astype(bool)
    around = small[y0:y1, x0:x1][near]
    return int((around < black + span / 4).sum()) >= SHARP * int((around < black + 3 * span / 4).sum())


def restore_solids(page: np.ndarray, cleaned: np.ndarray) -> np.ndarray:
    """``cleaned`` with the solid dark areas of ``page`` (the grey page the network cleaned) put
    back from the page, stretched so its darkest 1% is black and its paper white, wherever that is
    darker (so nothing the network kept gets lighter); ``cleaned`` itself (changed in place) is
    returned."""
    areas = solid_areas(page)
    if areas is None:
        return cleaned
    paper, black = _levels(page)
    cleaned[areas] = np.minimum(cleaned[areas], np.clip((page[areas] - black) / (paper - black), 0, 1))
    return cleaned
