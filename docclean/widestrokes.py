"""Wide strokes in one part of a page: a large initial or heading that the network hollowed.

The network learned that a dark area much wider than a stroke is a stain: it keeps the edge of a
stroke wider than about 35 pixels and turns its inside into paper. The engine's second, shrunk pass
is decided for the whole page by its typical stroke width (``docclean.strokes``), which ordinary
text sets, and ``docclean.solids`` puts back near-black areas only, so a red, blue, brown or grey
initial or bold heading of 60-200 pt on a page of text came out as an outline: on 108 synthetic
pages with such a letter, 40% of its inside lost on average, up to 94% (black ones, put back by
``docclean.solids``, lost nothing; bench/experiments/wide_strokes.py, bench/results/wide_strokes.md).

:func:`hollowed_strokes` finds where the network did that, from the page it was given and what it
made of it. On the page shrunk by :data:`SCALE`: areas darker than the local paper by
:data:`CONTRAST` that a disc :data:`WIDE` pixels across fits in, those reaching the page's edge left
out (the scanner's surround, a gutter's shadow), grouped by nearness (a letter cut apart at its
thinner joins). Each group is judged at its own grey: its pixels within :data:`CLOSE` of the way
from that grey to the paper (a stain's lighter rim joined to a letter falls away), not convex
(:data:`SOLID`: a blot of ink, an empty shaded box or a bar of a chart stays the network's, as
``docclean.shading`` leaves the last two; filled, a sharp-edged blot over text hid the words under
it), and :data:`HOLLOW` of it turned to paper by the network (lighter than halfway from its grey to
the paper). Then, at full resolution, the evidence that it is a
stroke: the share of its edge that the network kept darker than halfway (a stain it clears whole,
the text written across a stain left out: :data:`WRITING`), less how uneven its grey is (the 10th
to 90th percentile of its inside, as a share of its contrast: a stroke is one ink, a stain is
mottled), at least :data:`KEPT`. On the synthetic letters and headings it measured 0.49-1.0; on the
Dirty Documents pages, whose dark crescent stains have edges nearly as sharp as print and keep up to
0.58 of their outline, and on the synthetic coffee rings, at most 0.19. Each of its pixels is then
judged by the stretch of edge nearest to it (a stroke's width of edge, half of it kept), so that a
stain joined to a letter is not filled with it, and pieces smaller than a :data:`WIDE` square dropped.

:func:`fill_hollowed` cleans each group's part of the page again, with a margin of its width,
shrunk until its strokes are ``max_stroke`` wide, enlarges that back and keeps the darker of the two
on those pixels only, as the page-wide pass does for the whole page. Cost: 4 ms on an A4 300-dpi
page of text (one erosion of a sixteenth of the page decides), 30-50 ms where stains or shadows are
judged and rejected, and the second clean of a shrunk part (13 ms for a 120-pt initial).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import cv2
import numpy as np

from docclean.regions import on_edge
from docclean.strokes import dilated_paper, keep_darker, ridge_width, shrink

#: The search runs on the page shrunk by this factor (a wide stroke is still 8 pixels wide there).
SCALE = 4
#: A wide stroke is darker than its local paper by at least this share of it.
CONTRAST = 0.25
#: A wide stroke holds a disc this many pixels across (full page): the network still fills a
#: 32-pixel box and starts to hollow a 48-pixel one (``docclean.solids.SEED``).
WIDE = 33
#: The network hollowed a wide stroke when this share of its wide part came out lighter than
#: halfway from its grey to the paper ...
HOLLOW = 0.1
#: ... and the evidence that it is a stroke (the share of its edge the network kept, less how uneven its
#: grey is) is at least this.
KEPT = 0.35
#: Marks darker than the stroke by this share of the paper (text over a stain) are not its edge.
WRITING = 0.15
#: A wide stroke's pixels are within this share of the way from its grey to the paper: a stroke is
#: one ink, and a stain's rim, lighter, joined to it is not taken for it.
CLOSE = 0.35
#: What fills this share of its convex hull or more is a blot, a box or a bar, not a letter, whose
#: strokes bend round and leave hollows in it: on the synthetic pages letters and headings filled
#: 0.45-0.79 of theirs, sharp-edged blots 0.84-1.0.
SOLID = 0.82
#: The local paper (``docclean.strokes.dilated_paper``): a maximum over :data:`PAPER_WINDOW` pixels of
#: the page shrunk by :data:`PAPER_SCALE` (272 pixels of the page: past any stroke it must see beyond),
#: smoothed.
PAPER_SCALE = 16
PAPER_WINDOW = 17


@dataclass
class WideStroke:
    """A group of wide strokes the network hollowed: where (full-page slices), which of the box's
    pixels to fill (:func:`hollowed_strokes`), and their width (pixels)."""

    box: tuple[slice, slice]
    mask: np.ndarray
    width: float


def _disc(d: int) -> np.ndarray:
    return cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (d, d))


def hollowed_strokes(page: np.ndarray, cleaned: np.ndarray, ignore: np.ndarray | None = None) -> list[WideStroke]:
    """The wide strokes of ``page`` (the grey page the network was given, float 0..1) that the
    network hollowed in ``cleaned`` (its output, same shape): see the module's docstring.
    ``ignore``: a boolean mask of areas that are not strokes (the scanner's surround, solid black
    areas, which other steps handle)."""
    h, w = page.shape
    size = (max(1, w // SCALE), max(1, h // SCALE))
    small = cv2.resize(page, size, interpolation=cv2.INTER_AREA)
    paper = dilated_paper(small, PAPER_WINDOW, PAPER_SCALE // SCALE, cv2.BORDER_REPLICATE)
    rel = small / np.maximum(paper, np.float32(1e-3))
    ink = (rel < 1 - CONTRAST).astype(np.uint8)
    if ignore is not None:
        ink[cv2.resize(ignore.astype(np.uint8), size, interpolation=cv2.INTER_NEAREST).astype(bool)] = 0
    d = WIDE // SCALE
    core = cv2.erode(ink, _disc(d))
    if not core.any():  # most pages: one erosion of a sixteenth of the page decides
        return []
    out_small = cv2.resize(cleaned, size, interpolation=cv2.INTER_AREA)
    # The wide parts of one letter, cut apart at its thinner joins, are judged together.
    # Grouped by nearness alone: joined through the ink, a letter took in a stain's rim and the
    # text crossing it, a letter's width away.
    groups = cv2.dilate(_off_the_edge(cv2.dilate(core, _disc(d)) & ink), _disc(2 * d + 1))
    count, labels, stats, _ = cv2.connectedComponentsWithStats(groups, connectivity=8)
    strokes = []
    for label in range(1, count):
        x, y, bw, bh, _ = stats[label]
        box = (slice(y, y + bh), slice(x, x + bw))
        group = (labels[box] == label).astype(np.uint8) & ink[box]
        level = float(np.median(rel[box][group.astype(bool)]))
        half = (1 + level) / 2
        # Judged at the group's own halfway grey: a stain beside a letter, lighter, falls away.
        dark = group & (rel[box] < level + CLOSE * (1 - level))
        wide = cv2.dilate(cv2.erode(dark, _disc(d)), _disc(d)) & dark
        if np.count_nonzero(wide) < 2 * d * d:
            continue
        bx, by, bw, bh = cv2.boundingRect(wide)  # the box of the wide parts (and a pixel's margin)
        sub = (slice(max(0, by - 1), by + bh + 1), slice(max(0, bx - 1), bx + bw + 1))
        dark, wide = dark[sub], wide[sub]
        y, x = y + sub[0].start, x + sub[1].start
        box = (slice(y, y + dark.shape[0]), slice(x, x + dark.shape[1]))
        hollow = float((out_small[box][wide.astype(bool)] > half).mean())
        if _solidity(dark) < SOLID and hollow >= HOLLOW:
            full = _full_box(box, (h, w))
            mask = _stroke_pixels(page[full], cleaned[full], paper[box], wide, level)
            if mask.any():
                strokes.append(WideStroke(full, mask, round(ridge_width(wide) * SCALE, 1)))
    return strokes


def _off_the_edge(wide: np.ndarray) -> np.ndarray:
    """``wide`` (uint8) without its pieces that reach the page's edge: the scanner's surround, a
    shadow along the edge, a cut-off border (a stain's rim reaching the edge once took a letter
    with it, joined to it in one group)."""
    count, labels, stats, _ = cv2.connectedComponentsWithStats(wide, connectivity=8)
    edge = on_edge(stats, wide.shape)
    edge[0] = True
    return (~edge[labels]).astype(np.uint8)


def _full_box(box: tuple[slice, slice], shape: tuple[int, int]) -> tuple[slice, slice]:
    """A box on the shrunk page as slices of the full page."""
    return (slice(box[0].start * SCALE, min(shape[0], box[0].stop * SCALE)),
            slice(box[1].start * SCALE, min(shape[1], box[1].stop * SCALE)))


def _solidity(area: np.ndarray) -> float:
    """The share of the convex hull around all of ``area``'s pixels (uint8) that they fill."""
    points = cv2.findNonZero(area)
    hull = cv2.convexHull(points)
    return float(np.count_nonzero(area) / max(cv2.contourArea(hull), 1.0))


def _stroke_pixels(page: np.ndarray, cleaned: np.ndarray, paper: np.ndarray, wide: np.ndarray, level: float
                   ) -> np.ndarray:
    """At full resolution over a group's box (``page``, ``cleaned``; ``paper`` and its ``wide``
    parts on the shrunk page; ``level``, its grey as a share of the paper): the pixels to fill, none
    when the evidence that it is a stroke falls short of :data:`KEPT` (the share of its edge kept
    darker than halfway, less the spread of its grey; see the module's docstring)."""
    bh, bw = page.shape
    half = (1 + level) / 2
    paper = cv2.resize(paper, (bw, bh), interpolation=cv2.INTER_LINEAR)
    smooth = cv2.GaussianBlur(page, (0, 0), 1.0)  # grain and speckle do not cut the edge up
    dark = (smooth < paper * (level + CLOSE * (1 - level))).astype(np.uint8)
    inside = cv2.resize(wide, (bw, bh), interpolation=cv2.INTER_NEAREST).astype(bool) & dark.astype(bool)
    _, pieces = cv2.connectedComponents(dark, connectivity=8)
    joined = np.zeros(pieces.max() + 1, bool)
    joined[pieces[inside]] = True
    joined[0] = False
    strokes = joined[pieces]
    # Near the wide parts only: a stain's rim or a line of text running into a stroke is not it.
    near = cv2.resize(cv2.dilate(wide, np.ones((3, 3), np.uint8)), (bw, bh), interpolation=cv2.INTER_NEAREST)
    strokes &= near.astype(bool)
    edge = strokes & ~cv2.erode(strokes.astype(np.uint8), np.ones((3, 3), np.uint8)).astype(bool)
    writing = (smooth < paper * (level - WRITING)).astype(np.uint8)
    edge &= ~cv2.dilate(writing, np.ones((7, 7), np.uint8)).astype(bool)
    if not edge.any():
        return np.zeros_like(strokes)
    darkest = cv2.erode(cleaned, np.ones((3, 3), np.uint8))  # the outline is drawn a pixel or two off
    kept = edge & (darkest < half)
    evidence = float(kept.sum() / edge.sum())
    if evidence < KEPT:  # the spread below only lowers it
        return np.zeros_like(strokes)
    # A stroke is one ink; a stain is mottled. Its grey's spread, away from its edge and without
    # writing, counts against the outline kept.
    body = cv2.erode(strokes.astype(np.uint8), np.ones((7, 7), np.uint8)).astype(bool) & ~writing.astype(bool)
    tones = (smooth / paper)[body] if body.any() else (smooth / paper)[strokes]
    evidence -= float(np.percentile(tones, 90) - np.percentile(tones, 10)) / max(1 - level, 1e-3)
    if evidence < KEPT:
        return np.zeros_like(strokes)
    # Judged along the edge, a stroke's width at a time (a stretch of speckle is not a lost outline),
    # and each stroke pixel by the edge nearest to it: a stain's rim joined to a letter, whose edge
    # the network cleared, is left to it while the letter is filled.
    window = (2 * WIDE + 1,) * 2
    along = cv2.blur(kept.astype(np.float32), window) >= 0.5 * cv2.blur(edge.astype(np.float32), window)
    _, nearest = cv2.distanceTransformWithLabels((~edge).astype(np.uint8), cv2.DIST_L2, 5,
                                                 labelType=cv2.DIST_LABEL_PIXEL)
    lut = np.zeros(nearest.max() + 1, bool)
    lut[nearest[edge]] = along[edge]
    fill = (strokes & lut[nearest]).astype(np.uint8)
    # What is left is a stroke's width across or more: not a speck beside a short stretch of edge.
    count, pieces, stats, _ = cv2.connectedComponentsWithStats(fill, connectivity=8)
    large = stats[:, cv2.CC_STAT_AREA] >= WIDE * WIDE
    large[0] = False
    return large[pieces]


def fill_hollowed(page: np.ndarray, cleaned: np.ndarray, strokes: list[WideStroke], max_stroke: int,
                  clean: Callable[[np.ndarray], np.ndarray]) -> np.ndarray:
    """``cleaned`` (changed in place, and returned) with each of ``strokes`` (:func:`hollowed_strokes`)
    cleaned again by ``clean`` (a page in, the network's page out) on its part of ``page``, with a
    margin of its width, shrunk until its strokes are ``max_stroke`` wide; the darker of the two is
    kept on the strokes' pixels (``docclean.strokes.shrink`` and ``keep_darker``, as the engine's
    page-wide pass)."""
    h, w = page.shape
    for stroke in strokes:
        margin = int(round(stroke.width))
        rows, cols = stroke.box
        y0, x0 = max(0, rows.start - margin), max(0, cols.start - margin)
        y1, x1 = min(h, rows.stop + margin), min(w, cols.stop + margin)
        part = page[y0:y1, x0:x1]
        where = np.zeros(part.shape, bool)
        where[rows.start - y0:rows.stop - y0, cols.start - x0:cols.stop - x0] = stroke.mask
        factor = min(1.0, max_stroke / max(stroke.width, 1.0))
        keep_darker(cleaned[y0:y1, x0:x1], clean(shrink(part, factor)), where)
    return cleaned
