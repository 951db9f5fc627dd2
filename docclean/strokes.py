"""How wide a page's strokes are, in pixels, estimated from the raw page; and what counts as a
stroke pixel (:data:`STROKE_RATIO`, :data:`STROKE_CONTRAST`), for the ink-loss guard.

The network learned strokes of a certain range of widths (text of 6-16 pt at 100-600 dpi); a page
whose strokes are far wider (a broad pen, a 600-dpi scan of large handwriting) looks to it like
stains, and it fades them. The engine uses this estimate to clean such a page at a lower
resolution (``docclean.engine``). It is the page's typical width: a wide initial or heading on a page
of ordinary text does not move it, and is found and cleaned shrunk on its own
(``docclean.widestrokes``).

The estimate: the page divided by its paper (a wide maximum filter, smoothed), lightly blurred so
that speckle inside a stroke does not cut it up, cut by Otsu; marks smaller than a few pixels are
dropped; the width follows from the median distance to the paper along the marks' ridges (the
pixels farthest from the paper in their neighbourhood), so long thin strokes and big blobs count
by their length, not their area. Measured on ruled lines of 3 to 21 pixels: exact.

Dark areas that are not strokes are left out (``ignore``): the scanner's dark surround
(``docclean.surround``) and, when the engine puts them back, solid black areas
(``docclean.solids``: boxes, logos). Beside such an area's edge the paper filter sees paper, so
the area read as a band of "ink" tens of pixels wide, and its darkness pulled Otsu's cut below
faint text, which then did not count at all. A receipt of faded print on a dark lid measured 45 px
(its strokes are 2-3) and was cleaned a second time, shrunk; the darker of the two drew every
letter bold and blurred (bench/hard_pages_picture.py). Figures: bench/experiments/surround_strokes.py
(bench/results/surround_strokes.md).

The pieces are shared: :func:`dilated_paper` (the paper as a maximum filter, smoothed; also
``docclean.widestrokes``' wider one), :func:`ridge_width` (the width of a mask's strokes; also a
wide stroke's, ``docclean.widestrokes``), and the second clean's two ends, :func:`shrink` and
:func:`keep_darker`, for the engine's page-wide pass and ``docclean.widestrokes``' part of a page.
"""

from __future__ import annotations

import cv2
import numpy as np

#: The stroke test of the ink-loss guard (``docclean.inkloss.stroke_mask``) and of its reading of
#: wide strokes (``docclean.inkwide``): a pixel belongs to a stroke when it is darker than this share
#: of its local paper level ...
STROKE_RATIO = 0.8
#: ... and at least this much darker in absolute terms.
STROKE_CONTRAST = 0.1

#: Side of the maximum filter that finds the paper (pixels); wider than any stroke it must see past.
PAPER_WINDOW = 51
#: Gaussian blur (sigma, pixels) before the cut: bridges speckle inside a stroke.
BLUR = 0.8
#: Marks smaller than this many pixels are noise, not strokes.
MIN_MARK = 30
#: Pages larger than this many pixels are measured at half resolution (4x cheaper; within a pixel
#: or two of the full-resolution figure, which is all the engine's threshold needs).
HALF_ABOVE = 4_000_000
#: A page whose darkest mark is within this many grey levels (of 255) of its paper has no strokes.
MIN_CONTRAST = 16


#: What is left out is grown by this many pixels: the blurred step from an area to the page is neither.
IGNORE_MARGIN = 5


def stroke_width(page: np.ndarray, ignore: np.ndarray | None = None) -> float:
    """The median stroke width of ``page`` (grey, float 0..1 or uint8) in pixels; 0.0 for a page
    with no marks. ``ignore``: a boolean mask of dark areas that are not strokes (the scanner's
    dark surround, solid black areas), left out of the estimate."""
    p = page.astype(np.float32) / 255.0 if page.dtype == np.uint8 else np.asarray(page, dtype=np.float32)
    if ignore is not None:
        grow = np.ones((2 * IGNORE_MARGIN + 1,) * 2, np.uint8)
        ignore = cv2.dilate(ignore.astype(np.uint8), grow).astype(bool)
    if p.size > HALF_ABOVE:
        h, w = p.shape[0] // 2, p.shape[1] // 2
        half = cv2.resize(p, (w, h), interpolation=cv2.INTER_AREA)
        return 2 * _width(half, 0.5, None if ignore is None else ignore[:2 * h:2, :2 * w:2])
    return _width(p, 1.0, ignore)


def _width(p: np.ndarray, scale: float, ignore: np.ndarray | None = None) -> float:
    """The estimate on a page shown at ``scale`` of its size (lengths in the page's own pixels)."""
    p = cv2.GaussianBlur(p, (0, 0), BLUR * scale)
    paper = dilated_paper(p, round(PAPER_WINDOW * scale) | 1)
    relative = (np.clip(p / np.maximum(paper, 1e-3), 0, 1) * 255).astype(np.uint8)
    levels = relative if ignore is None else relative[~ignore]
    if levels.size == 0 or int(levels.max()) - int(levels.min()) < MIN_CONTRAST:  # blank: Otsu would cut grain
        return 0.0
    cut = cv2.threshold(levels.reshape(-1, 1), 0, 1, cv2.THRESH_BINARY_INV + cv2.THRESH_OTSU)[0]
    ink = (relative <= cut).astype(np.uint8)
    if ignore is not None:
        ink[ignore] = 0
    count, labels, stats, _ = cv2.connectedComponentsWithStats(ink, connectivity=8)
    keep = stats[:, cv2.CC_STAT_AREA] >= MIN_MARK * scale * scale
    keep[0] = False
    return ridge_width(keep[labels].astype(np.uint8))


def dilated_paper(page: np.ndarray, window: int, shrink: int = 1, border: int = cv2.BORDER_DEFAULT) -> np.ndarray:
    """The local paper grey of ``page`` (float32) as its brightest pixel within a ``window``-pixel
    square (a maximum filter: it sees past any stroke narrower than that), smoothed by a box of the
    same size. With ``shrink``, on the page shrunk that many times (area averaging) and enlarged
    back (linearly): a wide window made cheap. ``border``: OpenCV's border for the smoothing (the
    maximum ignores what lies past the page's edge). ``docclean.inkloss.median_paper`` is another
    estimate: a median, which sees past marks that cover under half its window and is not lifted by
    a few bright pixels."""
    h, w = page.shape
    small = page if shrink == 1 else cv2.resize(page, (max(1, w // shrink), max(1, h // shrink)),
                                                interpolation=cv2.INTER_AREA)
    paper = cv2.blur(cv2.dilate(small, np.ones((window, window), np.uint8)), (window, window), borderType=border)
    return paper if shrink == 1 else cv2.resize(paper, (w, h), interpolation=cv2.INTER_LINEAR)


def ridge_width(marks: np.ndarray) -> float:
    """The median width (pixels) of the strokes in a uint8 mask (1: a stroke's pixel), from the
    distance to their edge along their ridges (the pixels farthest from it in their neighbourhood),
    so that long thin strokes and big blobs count by their length, not their area; 0.0 for an
    empty mask."""
    if not marks.any():
        return 0.0
    dist = cv2.distanceTransform(marks, cv2.DIST_L2, 5)
    ridge = (dist >= cv2.dilate(dist, np.ones((3, 3), np.uint8))) & (dist > 0)
    # A pixel's distance counts itself: the middle of a 3-pixel stroke is 2 from the paper.
    return float(2 * np.median(dist[ridge]) - 1)


def shrink(page: np.ndarray, factor: float) -> np.ndarray:
    """``page`` scaled by ``factor`` (at most 1) with area averaging, at least 16 pixels a side:
    what a second clean cleans, its strokes narrowed to what the network learned."""
    h, w = page.shape
    size = (max(16, round(w * factor)), max(16, round(h * factor)))
    return cv2.resize(page, size, interpolation=cv2.INTER_AREA)


def keep_darker(cleaned: np.ndarray, again: np.ndarray, where: np.ndarray | None = None) -> np.ndarray:
    """``cleaned`` (changed in place, and returned) with ``again`` (the same page cleaned
    :func:`shrink`-ed) enlarged back to its size (cubic, clipped to 0..1) where that is darker: at
    every pixel, or only where the boolean mask ``where`` is true. The darker of the two keeps what
    either clean kept (bench/results/stroke_scale.md)."""
    h, w = cleaned.shape
    enlarged = cv2.resize(again, (w, h), interpolation=cv2.INTER_CUBIC).clip(0, 1)
    if where is None:
        np.minimum(cleaned, enlarged, out=cleaned)
    else:
        cleaned[where] = np.minimum(cleaned[where], enlarged[where])
    return cleaned
