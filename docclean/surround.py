"""The scanner's dark surround: what lies around a page scanned on a dark lid, or photographed on a
dark table, is not the page, and comes out white.

The network whitens most of a dark surround, but not the part next to the page's edge: there it
sees a dark area beside paper, as at a thick black stroke, and keeps it. A page on a black lid came
out framed by a dark rim 10-20 pixels wide, with grey blotches in the rest of the surround
(bench/surround.py).

:func:`surround_areas` finds the surround among the page's wide dark areas (darker than :data:`LID`
of the paper's grey: :func:`docclean.solids.dark_areas`, the search that finds solid black areas,
at a looser level): the ones that run along the page's edge (:data:`EDGE`), are even (a lid is one grey; a shadow
fades, a table's grain varies: :data:`EVEN`) and hold no writing (nothing inside them lighter or
darker than the area around it by :data:`WRITING` of the paper's grey). :func:`clear_surround`
paints them white. A dark area with writing in it (white letters on a black band running off the
page, text in the dark shadow of a book's gutter), or an uneven one, is left to the network, as it
was before. The ink-loss guard does not count the surround as strokes
(:func:`docclean.postprocess.ink_loss`).
"""

from __future__ import annotations

import cv2
import numpy as np

from docclean.solids import SCALE, SEED, dark_areas

#: The surround is darker than this share of the paper's grey. The network leaves its rim around the
#: page at every grey a lid has (0.1 to 0.6 of the paper's: bench/surround.py); lighter than this,
#: a grey area at the edge is as likely a shadow or tinted paper as a lid.
LID = 0.6
#: ... and runs along the page's edge for at least this share of the page's shorter side: a lid
#: shows along whole sides of the scan (a tilted page's wedge too), a stain only where it reaches the
#: edge.
EDGE = 1 / 3
#: ... and even: its 2nd and 98th percentiles of grey are at most this share of the paper's grey
#: apart. A lid's grain is a few hundredths; a shadow's fade or a table's wood grain spans more.
EVEN = 0.15
#: A dark area holds writing when some of its pixels differ from the area's own level around them
#: (its closing, for dark marks, or opening, for light ones, over a seed's width) by this share of
#: the paper's grey: a pen stroke in a dark shadow, white letters on a black band running off the
#: page. A scanner lid's grain and a JPEG's noise stay well under it.
WRITING = 0.05
#: ... and when at least this many pixels of the shrunk page do: a few pixels of a letter, more than
#: a fleck of dust on the lid.
WRITING_PIXELS = 12
#: Holes in a dark area up to this many pixels of the shrunk page are part of it (white writing, a
#: blot of paper); the page itself, which a surround may enclose, is far larger.
HOLE_MAX = (4 * SEED // SCALE) ** 2


def surround_areas(page: np.ndarray, paper: float | None = None) -> np.ndarray | None:
    """A full-size boolean mask of the dark surround of a grey float page (0..1) (see the module's
    docstring), or None when it has none. ``paper``: the page's paper grey, when the caller has it."""
    areas = dark_areas(page, paper, LID)
    if areas is None:
        return None
    keep = np.zeros(areas.dark.shape, np.uint8)
    for label in areas.seeded:
        region, (x, y) = areas.region(label)
        if _edge_run(region, (x, y), areas.dark.shape) < EDGE * min(areas.dark.shape):
            continue
        bh, bw = region.shape
        small = areas.small[y:y + bh, x:x + bw]
        low, high = np.percentile(small[region.astype(bool)], (2, 98))
        if high - low <= EVEN * areas.paper and not _has_writing(small, region, areas.paper):
            keep[y:y + bh, x:x + bw] |= region
    # Not the dark pixels near it: the page's own edge, a rule or a letter close to it, are the page.
    return areas.full_mask(keep, reach=False) if keep.any() else None


def _edge_run(region: np.ndarray, at: tuple[int, int], shape: tuple[int, int]) -> int:
    """How many pixels of the page's edge a region (``region`` over its bounding box at ``at`` on a
    page of ``shape``) lies on."""
    x, y = at
    bh, bw = region.shape
    run = 0
    if y == 0:
        run += int(region[0].sum())
    if y + bh == shape[0]:
        run += int(region[-1].sum())
    if x == 0:
        run += int(region[:, 0].sum())
    if x + bw == shape[1]:
        run += int(region[:, -1].sum())
    return run


def _has_writing(small: np.ndarray, region: np.ndarray, paper: float) -> bool:
    """Whether a dark area (``region`` over the shrunk page ``small``, both its bounding box) holds
    writing, dark or light (:data:`WRITING`), inside it: within the area and its holes up to
    :data:`HOLE_MAX`, away from its edge (where the page's own edge is)."""
    # The area with its small holes: the pixels outside it that the box's border cannot reach.
    padded = cv2.copyMakeBorder(1 - region, 1, 1, 1, 1, cv2.BORDER_CONSTANT, value=1)
    _, labels, stats, _ = cv2.connectedComponentsWithStats(padded, connectivity=4)
    small_hole = stats[:, cv2.CC_STAT_AREA] <= HOLE_MAX
    small_hole[labels[0, 0]] = False
    inside = (region.astype(bool) | small_hole[labels[1:-1, 1:-1]]).astype(np.uint8)
    inside = cv2.erode(inside, np.ones((5, 5), np.uint8), borderType=cv2.BORDER_CONSTANT, borderValue=1)
    window = np.ones(((SEED // SCALE) | 1,) * 2, np.uint8)  # odd: an even one shifts the closing by a pixel
    level = np.float32(WRITING * paper)
    dark = cv2.morphologyEx(small, cv2.MORPH_BLACKHAT, window, borderType=cv2.BORDER_REPLICATE) > level
    light = cv2.morphologyEx(small, cv2.MORPH_TOPHAT, window, borderType=cv2.BORDER_REPLICATE) > level
    return int(((dark | light) & inside.astype(bool)).sum()) >= WRITING_PIXELS


def clear_surround(page: np.ndarray, cleaned: np.ndarray, paper: float | None = None) -> np.ndarray:
    """``cleaned`` (changed in place, and returned) with the dark surround of ``page`` (the grey page
    the network cleaned) painted white. ``paper``: the page's paper grey, when the caller has it."""
    mask = surround_areas(page, paper)
    if mask is not None:
        cleaned[mask] = 1.0
    return cleaned
