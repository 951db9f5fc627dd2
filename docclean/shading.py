"""Shaded boxes and bands: flat grey areas printed behind text (a form's shaded cells, an invoice's
grey total band, a highlighted paragraph), which the network outlines.

The network whitens the inside of a grey area as it whitens a stain, but keeps its edge, where it
sees grey beside paper as at a stroke: a box shaded 0.45-0.7 of the paper's grey came out white
with a dark frame that the scan never had, and ``--binarize`` drew much of it black
(bench/shading.py). A grey band with white writing came out with most of it turned to paper
(71%), its letters left on what remained of it.

:func:`shaded_areas` finds such areas on the page the network is given: wide areas (a seed square
fits in them once strokes are cut off: :func:`docclean.solids.dark_areas`) darker than
:data:`SHADED` of the paper's grey but lighter than a solid black area (``docclean.solids``), that

* are one grey: its spread without the writing on it is at most :data:`EVEN` of the paper's grey
  (a stain or a shadow is mottled, and fades into the paper around it: its fading rim is part of
  the area);
* are rectangles (:data:`RECTANGLE`, at any tilt): a stain's tinted disc or a blot is not;
* are cut from what they touch where the grey steps sharply (:data:`EDGE`: a printed edge does,
  a shadow's or a stain's does not), so a box reaching a shadow is found apart from it;
* do not touch the page's edge (that is the scanner's surround, ``docclean.surround``, or a
  shadow).

:func:`flatten_shading` then divides each area that holds writing (and its soft edge) by its own
grey before the network sees the page, so the area is paper to the network, with its writing on
it: no edge to keep, and the writing keeps its contrast. An area with light writing in it (white
letters on a grey band: groups of letter-sized marks lighter than the area, as
``docclean.surround`` finds them) is not flattened, which would turn its letters to paper; the
scan is put back there after the network instead (:func:`restore_as_scanned`), as for a solid
black band.

A *printed fill* is put back as scanned too: an area as even and as sharp-edged as the above, of
any shape, at least as dark as :data:`FILL` of the paper's grey, that is not a shaded box with
dark writing (a grey logo, a disc or a triangle in a diagram, a bar of a bar chart). Flattened, it
would vanish; left to the network, it came out as its outline, or hollowed and blotched: a disc
0.38 of the paper's grey became a dark ring, one of 0.55 a dark mottled disc, and the ink-loss
guard warned about the page (bench/shading.py, its fills table). A lighter even disc with no
writing is left to the network: a coffee stain's tinted disc (``docclean.synth.fields``, 0.8-0.95
of the paper) is one.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from docclean.areawriting import grouped_letters
from docclean.regions import filled_outline, rectangular
from docclean.solids import DARK, SCALE, dark_areas, page_paper, put_back

#: An area darker than this share of the paper's grey may be shaded; lighter, it is paper with a
#: tint (set by reasoning: the 0.85 boxes of bench/shading.py keep a faint frame of 0.04).
SHADED = 0.9
#: The spread (2nd to 98th percentile) of a shaded area's grey, without the writing on it, is at
#: most this share of the paper's grey: a printed tint varies by a few hundredths.
EVEN = 0.15
#: A shaded area is cut from what it touches (a shadow, a stain) where the grey steps by more than
#: this share of the paper's grey within a pixel of the shrunk page: a printed edge does, a
#: shadow's or a stain's does not.
EDGE = 0.1
#: A shaded area fills at least this share of the smallest rectangle around it (at any tilt):
#: printed shading is a box or a band; a stain's tinted disc fills 0.79 of its square.
RECTANGLE = 0.85
#: Writing on a shaded area is this much darker than the area's own grey (share of the paper's).
WRITING = 0.1
#: Light writing on a shaded area: marks this much lighter than the area (share of the paper's grey).
LIGHT_WRITING = 0.1
#: A printed fill (put back as scanned) is at least this dark, as a share of the paper's grey: the
#: grey of printed shapes and chart bars (0.3-0.7), darker than a stain's tint (0.8-0.95 in
#: ``docclean.synth.fields``, whose tinted discs are even and sharp-edged). Set by reasoning.
FILL = 0.7
#: A printed fill is put back with this many pixels (of the shrunk page) around it: its soft edge,
#: which the network draws as a dark rim, and a pixel of paper; and, up to :data:`FILL_CORNER`
#: pixels from it, what is as grey as the fill (darker than halfway to the paper's grey, and not
#: darker than writing would be, :data:`WRITING`): its sharp corners, which the search, cutting at
#: steep steps of grey on the half-size page, rounds off (the network drew a dark tip there).
FILL_EDGE = 2
FILL_CORNER = 10


@dataclass
class Shading:
    """The shaded areas of a page: a full-size float32 map of the gain that makes each flat area
    paper (1 elsewhere), a full-size boolean mask of the areas the scan fills after the network
    (those with light writing, and printed fills: each None when there are none), and the page's
    paper grey."""

    gain: np.ndarray | None
    scanned: np.ndarray | None
    paper: float


def shaded_areas(page: np.ndarray, paper: float | None = None, small: np.ndarray | None = None
                 ) -> Shading | None:
    """The shaded areas of a grey float page (0..1) (see the module's docstring), or None when it
    has none. ``paper``: the page's paper grey, when the caller has it. ``small``: the page shrunk
    (:func:`docclean.solids.shrunk`), when the caller has it."""
    paper = page_paper(page) if paper is None else paper
    areas = dark_areas(page, paper, SHADED, edges=EDGE, small=small)
    if areas is None:
        return None
    gain = np.ones(areas.dark.shape, np.float32)
    light = np.zeros(areas.dark.shape, np.uint8)
    fills = np.zeros(areas.dark.shape, np.uint8)
    corners = []
    for label in areas.seeded:
        if areas.touches_edge(label):
            continue
        region, (x, y) = areas.region(label)
        outline, filled = filled_outline(region)
        bh, bw = region.shape
        small = areas.small[y:y + bh, x:x + bw]
        levels = small[region.astype(bool)]
        level = float(np.median(levels))  # the area's own grey: its writing is a minority
        if level < DARK * paper:
            continue  # a solid black area: docclean.solids
        tint = without_writing(levels, level, paper)
        if float(np.percentile(tint, 98) - np.percentile(tint, 2)) > EVEN * paper:
            continue
        box = rectangular(outline, RECTANGLE)  # else round or ragged: a logo, or a stain's tinted disc
        if box and _writing(small, filled, level, paper, lighter=True):
            light[y:y + bh, x:x + bw] |= filled
        elif box and _writing(small, filled, level, paper, lighter=False):
            view = gain[y:y + bh, x:x + bw]
            view[filled.astype(bool)] = paper / level
        elif level <= FILL * paper:
            fills[y:y + bh, x:x + bw] |= filled
            corners.append(_fill_corners(page, filled, (x, y), (level - WRITING * paper, (level + paper) / 2)))
    if (gain == 1).all() and not light.any() and not fills.any():
        return None
    h, w = areas.shape
    full_gain = None
    if (gain != 1).any():
        # Its soft edge too (the page's blur, and the shrunk page's pixel): a pixel or two beyond.
        grown = cv2.dilate(gain, np.ones((5, 5), np.uint8))
        full_gain = cv2.resize(grown, (w, h), interpolation=cv2.INTER_NEAREST)
        full_gain = cv2.dilate(full_gain, np.ones((5, 5), np.uint8))
    if fills.any():
        edge = 2 * FILL_EDGE + 1
        light |= cv2.dilate(fills, np.ones((edge, edge), np.uint8))
    scanned = areas.full_mask(light, reach=False) if light.any() else None
    for box, own in corners:
        scanned[box] |= own
    return Shading(full_gain, scanned, paper)


def _fill_corners(page: np.ndarray, filled: np.ndarray, at: tuple[int, int], greys: tuple[float, float]
                  ) -> tuple[tuple[slice, slice], np.ndarray]:
    """The pixels of the full ``page`` within :data:`FILL_CORNER` pixels of the shrunk page of a
    fill (``filled``, a mask over its box at ``at`` on the shrunk page) whose grey lies between
    ``greys`` (its own grey, give or take: not the paper nor dark writing beside it). Returns the box
    (slices of the page) and the mask over it."""
    r = FILL_CORNER * SCALE
    x, y = at[0] * SCALE, at[1] * SCALE
    h, w = filled.shape[0] * SCALE, filled.shape[1] * SCALE
    y0, x0 = max(0, y - r), max(0, x - r)
    y1, x1 = min(page.shape[0], y + h + r), min(page.shape[1], x + w + r)
    inside = np.zeros((y1 - y0, x1 - x0), np.uint8)
    grown = cv2.resize(filled, (w, h), interpolation=cv2.INTER_NEAREST)
    inside[y - y0:y - y0 + h, x - x0:x - x0 + w] = grown[:y1 - y, :x1 - x]
    near = cv2.dilate(inside, np.ones((2 * r + 1, 2 * r + 1), np.uint8)).astype(bool)
    box = (slice(y0, y1), slice(x0, x1))
    crop = page[box]
    return box, near & (crop > np.float32(greys[0])) & (crop < np.float32(greys[1]))


def without_writing(levels: np.ndarray, level: float, paper: float) -> np.ndarray:
    """An area's grey ``levels`` without its writing: those no darker than its own grey ``level``
    (its median) by :data:`WRITING` of the paper's grey."""
    return levels[levels >= level - WRITING * paper]


def _writing(small: np.ndarray, filled: np.ndarray, level: float, paper: float, lighter: bool) -> bool:
    """Whether a shaded area holds writing: groups of letter-sized marks, away from its edge,
    lighter than its grey ``level`` by :data:`LIGHT_WRITING` of the paper's (``lighter``), or
    darker by :data:`WRITING`."""
    inside = cv2.erode(filled, np.ones((5, 5), np.uint8)).astype(bool)
    if lighter:
        marks = small > level + LIGHT_WRITING * paper
    else:
        marks = small < level - WRITING * paper
    marks = (marks & inside).astype(np.uint8)
    return bool(marks.any()) and bool(grouped_letters(marks).any())


def flatten_shading(page: np.ndarray, shading: Shading | None) -> np.ndarray:
    """``page`` with each flat shaded area brought to the paper's grey (a new array; the page
    itself when there is nothing to flatten). Nothing is brightened past the paper's grey: the
    paper a pixel or two around an area, which the gain reaches too, and the area's soft edge
    stay paper, with no light halo for the network to outline in turn."""
    if shading is None or shading.gain is None:
        return page
    return np.minimum(page * shading.gain, np.maximum(page, np.float32(shading.paper)))


def restore_as_scanned(page: np.ndarray, cleaned: np.ndarray, shading: Shading | None) -> np.ndarray:
    """``cleaned`` (changed in place, and returned) with the shaded areas that hold light writing
    and the printed fills put back from ``page``, divided by its paper's grey."""
    if shading is None:
        return cleaned
    return put_back(page, cleaned, shading.scanned, shading.paper)
