"""Pictures on a page (photographs, continuous-tone logos and banners): rectangles of continuous tone
with sharp straight sides, which the network would turn into a line drawing; they are kept as
scanned.

The network learned pages of text: in a photograph it keeps what looks like ink and whitens the
rest, so a face came out as white paper with its eyes and mouth (bench/pictures.py).
:func:`picture_areas` finds, on the page the network cleaned, wide areas darker than
:data:`TONED` of the paper's grey (:func:`docclean.solids.dark_areas`) that

* are at least :data:`SIDE` pixels across, and fill :data:`RECTANGLE` of the smallest rectangle
  around them (at any tilt): a photograph that a stain runs into is not kept, stain and all;
* have sharp sides: along at least three of the four sides of their bounding box,
  the grey steps by :data:`EDGE` of the paper's grey within a pixel or two for :data:`ALONG` of
  the side's length (a printed picture's frame; a stain's or an oval's outline meets its box at
  four points, and a stain's edge fades);
* are continuous tone: the 10th to 90th percentile of their grey, without writing and lightly
  smoothed (:data:`SMOOTH`), spans more than :data:`CONTINUOUS` of the paper's grey. Flat
  shading (``docclean.shading``) does not, nor does a halftone tint behind text, whose dots the
  smoothing merges into its grey (the scan itself binarizes 22-37% black in such a tint, the
  network's output 11-12%: bench/pictures.py);
* do not touch the page's edge.

A photograph with a light part (a landscape's sky, a portrait's backdrop, lighter than
:data:`TONED`) is, at that level, only its dark part: no rectangle, or its ground alone. A second
pass, which only adds, looks again around each area of the first (its box grown by its longer side)
at the areas darker than :data:`LIGHTER` of the paper's grey: the one holding it is kept too when it
adds a wide part (:data:`ADDS`) and passes the same tests, except that only thin dark marks (up to
``docclean.solids.DETACH``) count as writing, not the photograph's dark ground. Where the lighter
level joins a photograph to the paper's shading or a stain (degraded paper), it is no rectangle and
nothing is added (bench/pictures.py's third table).

:func:`keep_pictures` puts the page itself (divided by its paper's grey) back there, as for a
solid black area: a picture is left as the scan has it, never cleaned and never lost. A picture
that fails a test (a full-bleed photograph, an oval portrait, one a stain runs into) is cleaned as
before.
"""

from __future__ import annotations

import cv2
import numpy as np

from docclean.regions import filled_outline, rectangular
from docclean.shading import WRITING, without_writing
from docclean.solids import SCALE, DarkAreas, dark_areas, detach_kernel, page_paper, put_back

#: An area darker than this share of the paper's grey may be a picture (most of a photograph is).
TONED = 0.8
#: A second pass looks again at this lighter share of the paper's grey (a photograph's light sky or
#: backdrop is lighter than :data:`TONED`).
LIGHTER = 0.93
#: ... when it adds to what is kept at least this share of a :data:`SIDE` square.
ADDS = 0.25
#: A picture is at least this many pixels of the full page across (a third of an inch at 300 dpi).
SIDE = 96
#: ... fills at least this share of the smallest rectangle around it (without this, photographs
#: that a stain or the page's shading had joined were kept with it: 2.6% of the rest of the page
#: kept uncleaned on bench/pictures.py's pages) ...
RECTANGLE = 0.85
#: ... and three of its four sides are sharp: the grey steps by this share of the paper's grey
#: within a pixel of the shrunk page, within :data:`BAND` pixels of the side ...
EDGE = 0.1
BAND = 2
#: ... along at least this share of the side's length.
ALONG = 0.7
#: Continuous tone: the 10th to 90th percentile of the area's grey (without writing, smoothed by a
#: Gaussian of this many pixels of the shrunk page) span more than this share of the paper's grey.
#: Photographs of faces span 0.19-0.32, a halftone tint 0.08-0.09 (0.17-0.20 unsmoothed):
#: bench/pictures.py's pages and its halftone boxes.
SMOOTH = 1.0
CONTINUOUS = 0.15


def picture_areas(page: np.ndarray, paper: float | None = None, small: np.ndarray | None = None
                  ) -> np.ndarray | None:
    """A full-size boolean mask of the pictures on a grey float page (0..1), or None when it has
    none. ``paper``: the page's paper grey, when the caller has it. ``small``: the page shrunk
    (:func:`docclean.solids.shrunk`), when the caller has it."""
    paper = page_paper(page) if paper is None else paper
    areas = dark_areas(page, paper, TONED, small=small)
    if areas is None:
        return None
    keep = np.zeros(areas.dark.shape, np.uint8)
    for label in areas.seeded:
        _picture(areas, label, paper, keep)
    for label in areas.seeded:  # the second pass: it only adds
        if not areas.touches_edge(label):  # (lighter, it would reach the edge too)
            _lighter(page, areas, label, keep)
    return areas.full_mask(keep, reach=False) if keep.any() else None


def _picture(areas: DarkAreas, label: int, paper: float, keep: np.ndarray, thin: bool = False) -> bool:
    """Whether area ``label`` of ``areas`` is a picture (the tests of this module's docstring); if
    so its filled region is marked in ``keep`` (uint8 on the shrunk page). ``thin``: only thin
    dark marks are writing (:func:`_tones`)."""
    if areas.touches_edge(label):
        return False
    x, y, bw, bh, _ = (int(v) for v in areas.stats[label])
    if min(bw, bh) < SIDE // SCALE:
        return False
    if _sharp_sides(areas.small, (x, y, bw, bh), EDGE * paper) < 3:
        return False
    region, _ = areas.region(label)
    outline, filled = filled_outline(region)  # filled: with a photograph's highlights
    if not rectangular(outline, RECTANGLE):
        return False
    tones = _tones(areas.small[y:y + bh, x:x + bw], region.astype(bool), paper, thin)
    if float(np.percentile(tones, 90) - np.percentile(tones, 10)) <= CONTINUOUS * paper:
        return False  # one grey, or a halftone tint: shading, not a picture
    keep[y:y + bh, x:x + bw] |= filled
    return True


def _lighter(page: np.ndarray, areas: DarkAreas, label: int, keep: np.ndarray) -> None:
    """The second pass, for area ``label`` of ``areas``: the area darker than :data:`LIGHTER` of
    the paper's grey that holds it, looked for around it (its box grown by its longer side: one
    reaching further is left out, as at the page's edge), is marked in ``keep`` when it adds a
    wide part (:data:`ADDS`) to it and passes the same tests (a landscape whose dark ground alone
    the first pass kept, its sky too)."""
    x, y, bw, bh, _ = (int(v) for v in areas.stats[label])
    grow = max(bw, bh)
    x0, y0 = max(0, x - grow), max(0, y - grow)
    x1, y1 = min(keep.shape[1], x + bw + grow), min(keep.shape[0], y + bh + grow)
    near = dark_areas(page[y0 * SCALE:y1 * SCALE, x0 * SCALE:x1 * SCALE], areas.paper, LIGHTER,
                      small=areas.small[y0:y1, x0:x1])
    if near is None:
        return
    inside = areas.labels[y0:y1, x0:x1] == label
    (light,) = np.unique(near.labels[inside])[-1:]  # the lighter area holding it (openings nest)
    kept = keep[y0:y1, x0:x1]  # a view: marked in place
    if light == 0 or light not in near.seeded:
        return
    new = (near.labels == light) & ~cv2.dilate(kept, np.ones((5, 5), np.uint8)).astype(bool)
    if new.sum() < ADDS * (SIDE // SCALE) ** 2:
        return  # nothing, or the rim of a picture kept
    _picture(near, int(light), areas.paper, kept, thin=True)


def _tones(crop: np.ndarray, inside: np.ndarray, paper: float, thin: bool) -> np.ndarray:
    """The grey of an area (``inside``, over its bounding box ``crop`` of the shrunk page), lightly
    smoothed (:data:`SMOOTH`), without its writing: what is darker than its median by
    ``docclean.shading.WRITING`` of the paper's grey; with ``thin``, only where that is thinner than
    ``docclean.solids.DETACH`` (a photograph's dark ground under a light sky is no writing)."""
    smooth = cv2.GaussianBlur(crop, (0, 0), SMOOTH)
    levels = smooth[inside]
    median = float(np.median(levels))
    if not thin:
        return without_writing(levels, median, paper)
    dark = ((smooth < median - WRITING * paper) & inside).astype(np.uint8)
    writing = dark.astype(bool) & ~cv2.morphologyEx(dark, cv2.MORPH_OPEN, detach_kernel()).astype(bool)
    return smooth[inside & ~writing]


def _sharp_sides(small: np.ndarray, box: tuple[int, int, int, int], sharp: float) -> int:
    """How many sides of ``box`` (x, y, width, height on the shrunk page ``small``) run along steps
    of grey greater than ``sharp`` within a pixel, for :data:`ALONG` of their length, within
    :data:`BAND` pixels of the side."""
    x, y, w, h = box
    # The steps around the box only (the box and a margin), not the whole page: most pages' wide
    # dark areas are a stain or a shadow that an earlier test already left out.
    cx, cy = max(0, x - BAND - 1), max(0, y - BAND - 1)
    crop = small[cy:y + h + BAND + 1, cx:x + w + BAND + 1]
    step = cv2.morphologyEx(crop, cv2.MORPH_GRADIENT, np.ones((3, 3), np.uint8)) > sharp
    x, y = x - cx, y - cy  # the box on the crop
    sh, sw = step.shape

    def along(strip: np.ndarray, axis: int) -> float:
        return float(strip.any(axis=axis).mean()) if strip.size else 0.0

    y0, y1 = max(0, y - BAND), min(sh, y + BAND + 1)
    b0, b1 = max(0, y + h - 1 - BAND), min(sh, y + h + BAND)
    x0, x1 = max(0, x - BAND), min(sw, x + BAND + 1)
    r0, r1 = max(0, x + w - 1 - BAND), min(sw, x + w + BAND)
    sides = (along(step[y0:y1, x:x + w], 0), along(step[b0:b1, x:x + w], 0),
             along(step[y:y + h, x0:x1], 1), along(step[y:y + h, r0:r1], 1))
    return sum(s >= ALONG for s in sides)


def keep_pictures(page: np.ndarray, cleaned: np.ndarray, paper: float | None = None,
                  small: np.ndarray | None = None) -> np.ndarray:
    """``cleaned`` (changed in place, and returned) with the pictures of ``page`` (the grey page the
    network cleaned) put back from the page, divided by its paper's grey. ``small``: the page shrunk
    (:func:`docclean.solids.shrunk`), when the caller has it."""
    paper = page_paper(page) if paper is None else paper
    return put_back(page, cleaned, picture_areas(page, paper, small), paper)
