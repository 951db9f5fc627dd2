"""The ink-loss guard's test for strokes much wider than its paper window (``docclean.inkloss``).

A stroke much wider than the guard's 31-px paper window (a wide initial or heading, a broad pen, a
600-dpi scan of large writing) is its own local paper inside, so the stroke test saw only its
edges, and a cleaning that hollowed it (kept its edges, turned its inside to paper, as the network
does with a stain) read 0% lost. :func:`wide_strokes` finds such insides against a much wider
paper, only in dark pieces that are solid, sharp-edged and hold no writing (a stain is mottled and
fades, a shaded box holds writing or is a grey rectangle); ``docclean.inkloss.ink_loss`` counts
them where their edge was kept. Figures: ``bench/experiments/guard_wide.py``
(``bench/results/guard_wide.md``).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import NamedTuple

import cv2
import numpy as np

from docclean.regions import edge_runs, rectangular
from docclean.strokes import STROKE_CONTRAST, STROKE_RATIO

#: The wide-stroke test (:func:`wide_pieces`) runs on the page judged shrunk this much; its paper is
#: a grey closing over this many shrunk pixels (260 px: a 200-pt bold initial's stroke at 400 dpi).
WIDE_SCALE, WIDE_PAPER = 4, 65
#: A piece's inside: its shrunk pixels at least this deep (strokes from 16 px wide, whose middle
#: the 31-px median may take for paper), at least :data:`WIDE_INSIDE` of them; and a piece that
#: reaches the page's edge is no stroke (the scanner's surround, a receipt's dark table).
WIDE_DEPTH, WIDE_INSIDE = 2, 16
#: A piece is a stroke when its inside is at most :data:`WIDE_DARK` of its paper's grey (a mid-grey
#: initial: 0.5); solid, its grey's spread (10th-90th percentile) at most :data:`WIDE_SPREAD` of its
#: contrast (the synthetic pages' wide strokes: 0.06-0.25); sharp-edged, its grey stepping by
#: :data:`WIDE_STEP` of that within 2 shrunk pixels of its edge (printed strokes: mostly 0.8-0.98; a
#: shadow or a soft stain: under 0.6; the Dirty Documents' darkest coffee stains: 0.66-0.79); with no
#: writing in it, under :data:`WIDE_WRITING` of its inside darker than its grey by
#: :data:`WIDE_WRITING_STEP` of its contrast (text on a shaded box or under a stain); and no grey
#: rectangle, unless darker than :data:`WIDE_BLACK` of its paper (an empty shaded box, which cleaning
#: rightly clears, fills over :data:`WIDE_RECTANGLE` of its rectangle; a black one the engine keeps).
WIDE_DARK, WIDE_SPREAD, WIDE_STEP = 0.6, 0.3, 0.7
WIDE_WRITING, WIDE_WRITING_STEP = 0.02, 0.25
WIDE_RECTANGLE, WIDE_BLACK = 0.85, 0.3
#: A wide stroke's inside counts when at most this share of its edge was lost (hollowed, or kept);
#: one cleared edge and all was cleared as a stain is, and only its edges count, as before.
WIDE_EDGE_LOST = 0.5

Box = tuple[slice, slice]


class Figures(NamedTuple):
    """What :func:`wide_stroke` judges a piece of :func:`wide_pieces` by (see :data:`WIDE_DARK`)."""

    grey: float  #: its inside's median grey, as a share of its paper's
    spread: float  #: that grey's 10th to 90th percentile, as a share of its contrast
    inside: int  #: how many shrunk pixels its inside has
    step: float  #: how far its grey steps at its edge, as a share of its contrast
    writing: float  #: the share of its inside (on the page judged) darker than its grey: writing
    rectangle: bool  #: whether it fills :data:`WIDE_RECTANGLE` of its rectangle
    edge: bool  #: whether it reaches the page's edge


def wide_pieces(page: np.ndarray) -> Iterator[tuple[Box, np.ndarray, Figures]]:
    """The dark pieces of ``page`` (float32 0..1) that may be a wide stroke (:data:`WIDE_INSIDE` deep
    pixels, :data:`WIDE_DARK`), on the page shrunk by :data:`WIDE_SCALE`: each one's box and mask
    there, and what :func:`wide_stroke` judges it by. A piece is the part of a region dark against
    the wide paper that is darker than halfway from its inside to the paper, so a stroke crossed by
    a lighter stain or shading is judged alone."""
    h, w = page.shape
    shrunk = cv2.resize(page, (max(1, w // WIDE_SCALE), max(1, h // WIDE_SCALE)), interpolation=cv2.INTER_AREA)
    paper = cv2.morphologyEx(shrunk, cv2.MORPH_CLOSE, np.ones((WIDE_PAPER, WIDE_PAPER), np.uint8))
    share = shrunk / np.maximum(paper, np.float32(1e-3))  # the grey as a share of its paper: a shadow cancels
    dark = ((share < STROKE_RATIO) & (paper - shrunk > STROKE_CONTRAST)).astype(np.uint8)
    depth = cv2.distanceTransform(dark, cv2.DIST_L2, 3)
    if depth.max(initial=0) < WIDE_DEPTH:  # most pages: nothing wide, nothing more to do
        return
    count, labels, stats, _ = cv2.connectedComponentsWithStats(dark, connectivity=8)
    deep = np.bincount(labels[depth >= WIDE_DEPTH], minlength=count)
    for label in np.nonzero(deep >= WIDE_INSIDE)[0]:  # a piece holds no more deep pixels than its region
        x, y, bw, bh, _ = stats[label]
        box = (slice(max(0, y - 3), y + bh + 3), slice(max(0, x - 3), x + bw + 3))
        region, grey = labels[box] == label, share[box]
        parts = (region & (grey < (1 + np.median(grey[region & (depth[box] >= WIDE_DEPTH)])) / 2)).astype(np.uint8)
        parts_count, part_labels = cv2.connectedComponents(parts, connectivity=8)
        part_depth = cv2.distanceTransform(parts, cv2.DIST_L2, 3)
        on_edge = edge_runs(part_labels, parts_count, (box[1].start, box[0].start), shrunk.shape) > 0
        for part in range(1, parts_count):
            piece = part_labels == part
            inside = piece & (part_depth >= WIDE_DEPTH)
            # The cheap tests first: most pieces of a text page are a few shrunk pixels of a bold word.
            if np.count_nonzero(inside) >= WIDE_INSIDE and np.median(grey[inside]) <= WIDE_DARK:
                yield box, piece, _figures(page, box, piece, inside, grey, bool(on_edge[part]))


def _figures(page: np.ndarray, box: Box, piece: np.ndarray, inside: np.ndarray, share: np.ndarray,
             on_edge: bool) -> Figures:
    """What :func:`wide_stroke` judges a piece of :func:`wide_pieces` by; ``on_edge``: whether it
    reaches the page's edge."""
    grey = float(np.median(share[inside]))
    contrast = max(1.0 - grey, 1e-3)
    low, high = np.percentile(share[inside], [10, 90])
    ring, as_u8 = np.ones((5, 5), np.uint8), piece.astype(np.uint8)
    outer = cv2.dilate(as_u8, ring).astype(bool) & ~piece
    edge = piece & ~cv2.erode(as_u8, ring).astype(bool)
    outside = float(np.median(share[outer])) if outer.any() else 1.0
    # Writing is looked for on the page judged: shrunk, small text on a shaded box is a smooth grey.
    top, left = box[0].start * WIDE_SCALE, box[1].start * WIDE_SCALE
    crop = cv2.blur(page[top:top + inside.shape[0] * WIDE_SCALE, left:left + inside.shape[1] * WIDE_SCALE], (3, 3))
    values = crop[cv2.resize(inside.astype(np.uint8), crop.shape[::-1], interpolation=cv2.INTER_NEAREST).astype(bool)]
    own = float(np.median(values)) if values.size else 0.0
    below = own - WIDE_WRITING_STEP * contrast * own / max(grey, 1e-3)  # own / grey: the paper's grey there
    contours, _ = cv2.findContours(as_u8, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    # Its pixels, not its outline's area: a piece is a few shrunk pixels across.
    rectangle = rectangular(max(contours, key=cv2.contourArea), WIDE_RECTANGLE, pixels=float(piece.sum()))
    return Figures(grey, float(high - low) / contrast, int(inside.sum()),
                   (outside - float(np.median(share[edge]))) / contrast,
                   float(np.mean(values < below)) if values.size else 0.0, rectangle, on_edge)


def wide_stroke(judged: Figures) -> bool:
    """Whether a piece of :func:`wide_pieces` is a wide stroke (see :data:`WIDE_DARK`)."""
    return (not judged.edge and judged.inside >= WIDE_INSIDE and judged.grey <= WIDE_DARK
            and judged.spread <= WIDE_SPREAD and judged.step >= WIDE_STEP and judged.writing < WIDE_WRITING
            and (not judged.rectangle or judged.grey <= WIDE_BLACK))


def wide_strokes(page: np.ndarray) -> np.ndarray | None:
    """Where ``page``'s wide strokes are (:func:`wide_pieces` that :func:`wide_stroke` accepts), as
    a full-size int32 map: the k-th one's inside (a shrunk pixel in from its edge) k, that edge -k,
    elsewhere 0; or None when there are none."""
    labels = np.zeros((page.shape[0] // WIDE_SCALE, page.shape[1] // WIDE_SCALE), np.int32)
    count = 0
    for box, piece, judged in wide_pieces(page):
        if wide_stroke(judged):
            count += 1
            inside = cv2.erode(piece.astype(np.uint8), np.ones((3, 3), np.uint8)).astype(bool)
            labels[box][piece & ~inside & (labels[box] == 0)] = -count
            labels[box][inside] = count
    if not count:
        return None
    full = np.zeros(page.shape, np.int32)
    full[: labels.shape[0] * WIDE_SCALE, : labels.shape[1] * WIDE_SCALE] = labels.repeat(WIDE_SCALE, 0).repeat(
        WIDE_SCALE, 1)
    return full
