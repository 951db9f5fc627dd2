"""The ink-loss guard: how much of a page's dark strokes cleaning turned into paper.

Pure numpy/OpenCV, cheap enough to run on every page.

* :func:`ink_loss` measures how much of the input's dark stroke structure (dark relative to the
  local paper, :func:`stroke_mask`) the cleaned page turned into paper. The batch records it per
  page and warns above ``CleanSettings.ink_warning``; no other tool reports this.
* :func:`removed_marks` is the same comparison per pixel, for the desktop app's difference view.

A dithered or halftoned area (a photo or a grey tint printed as dots: a faxed photo, a 1-bit scan
of a grey form or of tinted paper) is all tiny dark dots, each dark against the paper beside it, so
the stroke test took them for strokes; the network rightly draws such an area as grey, or clears a
tint as it clears shading, and the guard warned that much of the page's strokes had gone (12-80%
on the tinted pages of ``tests/docclean/test_inkloss_dither.py``, whose text was whole).
:func:`dither_areas` finds those areas and :func:`descreened` reads them as the grey they print
before the stroke test, so a dithered page is judged as its grey scan would be, and the strokes
drawn in or beside the dots still count.

A stroke much wider than the paper window (a wide initial or heading, a broad pen, a 600-dpi scan
of large writing) is its own local paper inside, so the stroke test saw only its edges, and a
cleaning that hollowed it (kept its edges, turned its inside to paper, as the network does with a
stain) read 0% lost. ``docclean.inkwide.wide_strokes`` finds such insides against a much wider
paper, only in dark pieces that are solid, sharp-edged and hold no writing (a stain is mottled and
fades, a shaded box holds writing or is a grey rectangle), and :func:`ink_loss` counts them too.
"""

from __future__ import annotations

import cv2
import numpy as np

from docclean.inkwide import WIDE_EDGE_LOST, wide_strokes
from docclean.levels import is_bilevel
from docclean.pixels import as_float
from docclean.strokes import STROKE_CONTRAST, STROKE_RATIO
from docclean.surround import surround_areas

#: Window edge of the median that estimates the local paper (wider than any stroke).
PAPER_WINDOW = 31
#: A stroke counts as kept when the cleaned page is dark anywhere this close to it (pixels), so the
#: soft halo a clean page rightly drops around letters is not counted as lost ink.
NEAR = 5
#: A stroke pixel is lost when the darkest cleaned pixel near it moved this share of the way to white.
LOST_SHARE = 0.6
#: Dither areas (:func:`dither_areas`) are judged on blocks of this many pixels a side: a block's own
#: spread is the page's fine texture, its mean the tone the dots print.
DITHER_BLOCK = 4
#: A dither area: in a window of this many blocks a side (28 px), at least half the blocks are
#: dither blocks. Half, so that text printed on a tint (under half of each window) does not break
#: it, while text on paper, whose blocks between the lines are smooth, is not one.
DITHER_WINDOW = 7
#: A dither block is textured, its grey levels spread (standard deviation) at least this much (a
#: 1-bit dither of tones 0.05-0.95: 0.2-0.5; the synthetic pages' paper grain and noise: under 0.05) ...
DITHER_TEXTURE = 0.15
#: ... and its tone, its mean smoothed by :data:`DITHER_TONE_SIGMA` blocks (a screen whose period is
#: near the block's size beats with it), lies within this of the local median tone: the even tone
#: of a tint or the slow gradients of a photo, where the blocks of text differ.
DITHER_AGREE = 0.08
DITHER_TONE_SIGMA = 0.7
#: The areas found are closed by this many blocks (the letters printed on a tint joined to it) and
#: opened by this many (a few letters of a line of text that passed the tests, under 36 px, dropped).
DITHER_CLOSE = 7
DITHER_OPEN = 9
#: Gaussian sigma (pixels) of the blur that reads a dither area as grey: with the stroke test's own
#: 3x3 blur its dots fall under the stroke contrast, while a letter's stroke stays a stroke.
DESCREEN_SIGMA = 1.5


def _u8(values: np.ndarray) -> np.ndarray:
    return np.clip(values * np.float32(255.0) + np.float32(0.5), 0, 255).astype(np.uint8)


def dither_areas(page: np.ndarray) -> np.ndarray | None:
    """Where a page (grey 0..1 or uint8) is dithered or halftoned, on blocks of
    :data:`DITHER_BLOCK` pixels (uint8, 1 = dither), or None when nowhere: the windows of
    :data:`DITHER_WINDOW` blocks of which at least half are textured blocks of one tone (a fine
    texture on an even tone: :data:`DITHER_TEXTURE`, :data:`DITHER_AGREE`), which a dither is and
    text, however small, mostly is not. Chosen on synthetic pages (dithered photos, tints and pages;
    text from 100 to 600 dpi) and the Dirty Documents pages, as they are and dithered; never on real
    scans. About 0.02 s for an A4 page at 300 dpi (one thread)."""
    page = as_float(page)
    h, w = page.shape
    rows, cols = h // DITHER_BLOCK, w // DITHER_BLOCK
    if min(rows, cols) < DITHER_WINDOW:
        return None
    mean = cv2.resize(page, (cols, rows), interpolation=cv2.INTER_AREA)
    square = cv2.resize(page * page, (cols, rows), interpolation=cv2.INTER_AREA)
    textured = square - mean * mean > np.float32(DITHER_TEXTURE**2)
    tone = cv2.GaussianBlur(mean, (0, 0), DITHER_TONE_SIGMA)
    # The window's median tone, taken over 3 x 3 cells of 2 x 2 blocks (24 px) and interpolated
    # back: a tone is smooth, and OpenCV's 3 x 3 median is many times cheaper than its 7 x 7 one.
    cells = cv2.resize(tone, (max(1, cols // 2), max(1, rows // 2)), interpolation=cv2.INTER_AREA)
    median = cv2.medianBlur(_u8(cells), 3).astype(np.float32) / np.float32(255.0)
    median = cv2.resize(median, (cols, rows), interpolation=cv2.INTER_LINEAR)
    dither = (textured & (np.abs(tone - median) < np.float32(DITHER_AGREE))).astype(np.uint8)
    # "At least half the window" is a box sum of the dither blocks.
    count = cv2.boxFilter(dither, -1, (DITHER_WINDOW, DITHER_WINDOW), normalize=False,
                          borderType=cv2.BORDER_REPLICATE)
    found = (count >= (DITHER_WINDOW * DITHER_WINDOW + 1) // 2).astype(np.uint8)
    if not found.any():
        return None
    found = cv2.morphologyEx(found, cv2.MORPH_CLOSE, np.ones((DITHER_CLOSE, DITHER_CLOSE), np.uint8))
    found = cv2.morphologyEx(found, cv2.MORPH_OPEN, np.ones((DITHER_OPEN, DITHER_OPEN), np.uint8))
    return found if found.any() else None


#: The lowest resolution searched for dithers: 1-bit text of 6 pt passes the dither test on 63% of
#: an A4 page at 100 dpi and 50% at 120, of 7-8 pt on 17-45% at 100 dpi; from 150 dpi on none does.
DITHER_MIN_DPI = 150
#: A page is two-level (a 1-bit scan, or one stored in 8 bits) when under this share of its pixels
#: lie between its darkest and its lightest level (``docclean.levels.is_bilevel``).
TWO_LEVEL_BETWEEN = 0.01

Patch = tuple[tuple[slice, slice], np.ndarray]


def descreened(page: np.ndarray, dpi: tuple[float, float] | None = None) -> np.ndarray:
    """``page`` (float32 0..1) with its dither areas (:func:`dither_areas`) read as the grey they
    print (a Gaussian blur of :data:`DESCREEN_SIGMA`); the page itself, not a copy, where it has
    none. Only a two-level page (``docclean.levels.is_bilevel``, give or take
    :data:`TWO_LEVEL_BETWEEN`) of a known resolution of at least :data:`DITHER_MIN_DPI` along both
    axes is searched: a dither's dots stay dots only on two levels (a grey scan of a halftone blurs
    them under the stroke test, and its pages never gave the false alarm), and small text (6-8 pt)
    at 100-120 dpi passes the dither test, where text erased would then read as less (a missed
    warning is worse than a false one)."""
    return _pasted(page, dither_patch(page, dpi))


def _pasted(page: np.ndarray, patch: Patch | None) -> np.ndarray:
    """``page`` with ``patch`` (:func:`dither_patch`) in place of its pixels: a copy, or the page."""
    if patch is None:
        return page
    out = page.copy()  # the caller's page stays as it is
    out[patch[0]] = patch[1]
    return out


def dither_patch(page: np.ndarray, dpi: tuple[float, float] | None = None) -> Patch | None:
    """What :func:`descreened` changes: a box of ``page`` around its dither areas (starting on an
    even row and column, and ending on one or at the page's edge, so that it min-pools in 2 x 2
    blocks alone) and the page's pixels there with those areas read as grey (a new array of the
    box's size); None where :func:`descreened` leaves the page as it is."""
    if dpi is None or min(dpi) < DITHER_MIN_DPI or not is_bilevel(page, TWO_LEVEL_BETWEEN):
        return None
    areas = dither_areas(page)
    if areas is None:
        return None
    h, w = page.shape
    rows, cols = areas.shape
    # Blur only the box around the areas, with a margin for the kernel: most pages hold one picture.
    ys, xs = np.nonzero(areas)
    margin = int(4 * DESCREEN_SIGMA) + 1
    top, left = max(0, ys.min() * DITHER_BLOCK - margin), max(0, xs.min() * DITHER_BLOCK - margin)
    bottom = min(h, (ys.max() + 1) * DITHER_BLOCK + margin)
    right = min(w, (xs.max() + 1) * DITHER_BLOCK + margin)
    box = (slice(top, bottom), slice(left, right))
    # The areas' pixels within the box only (a 600-dpi page's full mask is 35 MB): each pixel takes
    # its block's answer; the last few rows and columns past the blocks are no area.
    by_row, by_col = np.arange(top, bottom) // DITHER_BLOCK, np.arange(left, right) // DITHER_BLOCK
    inside = areas[np.minimum(by_row, rows - 1)][:, np.minimum(by_col, cols - 1)].astype(bool)
    inside &= (by_row < rows)[:, None] & (by_col < cols)[None, :]
    blurred = cv2.GaussianBlur(page[box], (0, 0), DESCREEN_SIGMA, borderType=cv2.BORDER_REFLECT)
    even = (slice(top - top % 2, min(h, bottom + bottom % 2)), slice(left - left % 2, min(w, right + right % 2)))
    values = page[even].copy()
    np.copyto(values[top % 2:top % 2 + bottom - top, left % 2:left % 2 + right - left], blurred, where=inside)
    return even, values


def _halved(page: np.ndarray, patch: Patch | None = None) -> np.ndarray:
    """``page``, with ``patch`` (:func:`dither_patch`) in place of its pixels there, min-pooled in
    2 x 2 blocks: the patch is pooled on its own, so the page is not copied (140 MB at 600 dpi)."""
    pool = np.ones((2, 2), np.uint8)
    half = np.ascontiguousarray(cv2.erode(page, pool, anchor=(0, 0))[::2, ::2])
    if patch is not None:
        (rows, cols), values = patch
        half[rows.start // 2:(rows.stop + 1) // 2, cols.start // 2:(cols.stop + 1) // 2] = \
            cv2.erode(values, pool, anchor=(0, 0))[::2, ::2]
    return half


def median_paper(page: np.ndarray) -> np.ndarray:
    """The local paper level: a median over a window wider than any stroke (computed at a quarter
    of the resolution, where it is 16 times cheaper, then interpolated back). Not
    ``docclean.strokes.dilated_paper``, a maximum filter, smoothed: a median sees past marks that
    cover under half its window and is not lifted by a few bright pixels."""
    page = as_float(page)
    h, w = page.shape
    small = cv2.resize(page, (max(1, w // 4), max(1, h // 4)), interpolation=cv2.INTER_AREA)
    u8 = np.clip(small * 255.0 + 0.5, 0, 255).astype(np.uint8)
    paper = cv2.medianBlur(u8, max(3, (PAPER_WINDOW // 4) | 1)).astype(np.float32) / np.float32(255.0)
    return cv2.resize(paper, (w, h), interpolation=cv2.INTER_LINEAR)


def stroke_mask(original: np.ndarray, ratio: float = STROKE_RATIO, contrast: float = STROKE_CONTRAST) -> np.ndarray:
    """Pixels of the input that are dark relative to their local paper (text, lines, ink): darker
    than ``ratio`` times the paper and by at least ``contrast``; lightly smoothed first so isolated
    specks of noise do not count."""
    page = cv2.blur(as_float(original), (3, 3))
    paper = median_paper(page)
    return (page < paper * np.float32(ratio)) & (paper - page > np.float32(contrast))


def ink_loss(original: np.ndarray, cleaned: np.ndarray, ratio: float = STROKE_RATIO,
             contrast: float = STROKE_CONTRAST, dpi: tuple[float, float] | None = None) -> float:
    """Share (0..1) of the input's dark stroke pixels that cleaning turned into paper: the darkest
    cleaned pixel within :data:`NEAR` pixels moved at least :data:`LOST_SHARE` of the way from the
    stroke's grey towards white; the scanner's dark surround (:mod:`docclean.surround`) is not the
    page and holds none, and a dithered area of a page of ``dpi`` is read as the grey it prints
    (:func:`descreened`; None: the resolution is unknown, and nothing is): its dots are no
    strokes; and a wide stroke's inside counts where its edge was kept
    (``docclean.inkwide.wide_strokes``). 0 when there are no strokes. 0.003 on average for a perfect
    clean of the Dirty Documents pages (their ground truth), 0.5 when half the text is erased
    (``bench/ink_loss_calibration.py``). ``ratio``/``contrast``: what counts as a stroke
    (:func:`stroke_mask`); ``bench/ink_guard.py`` compares looser tests."""
    if original.shape != cleaned.shape:
        raise ValueError(f"shapes differ: original {original.shape}, cleaned {cleaned.shape}")
    orig, clean = as_float(original), as_float(cleaned)
    # At full resolution: the min-pooling below would merge a dither's dots into dark blots.
    patch = dither_patch(orig, dpi)
    # Large pages are checked at half resolution: strokes survive a 2x min-pooling.
    if orig.size > 4_000_000:
        orig, clean = _halved(orig, patch), _halved(clean)
    else:
        orig = _pasted(orig, patch)
    mask = stroke_mask(orig, ratio, contrast)
    wide = wide_strokes(orig)
    surround = surround_areas(orig)
    if surround is not None:  # the lid beside the page's edge is darker than the paper, but not ink
        mask &= ~surround
        if wide is not None:
            wide[surround] = 0
    darkest_near = cv2.erode(clean, np.ones((NEAR, NEAR), np.uint8))

    def lost_at(where: np.ndarray) -> np.ndarray:
        grey = orig[where]
        return darkest_near[where] >= grey + LOST_SHARE * (1.0 - grey)

    lost, total = int(np.count_nonzero(lost_at(mask))), int(np.count_nonzero(mask))
    share = lost / total if total else 0.0
    if wide is not None:
        # A wide stroke's inside counts where its edge was kept: hollowed (or kept whole). One whose
        # edge went too was cleared as a whole, as a stain is; its edges count in the stroke test.
        edge = wide < 0
        pieces = int(wide.max()) + 1
        edge_lost = np.bincount(-wide[edge], weights=lost_at(edge), minlength=pieces)
        hollow = edge_lost <= WIDE_EDGE_LOST * np.bincount(-wide[edge], minlength=pieces)
        inside = (wide > 0) & ~mask
        inside[inside] = hollow[wide[inside]]
        if inside.any():
            # The larger figure: a hollowed inside counts, and a kept one does not dilute the
            # loss of the text beside it.
            share = max(share, (lost + int(np.count_nonzero(lost_at(inside)))) / (total + int(inside.sum())))
    return float(share)


#: A pixel counts as removed when this much of its contrast with the local paper is gone (0..1).
REMOVED_MIN = 0.08


def removed_marks(original: np.ndarray, output: np.ndarray, dpi: tuple[float, float] | None = None) -> np.ndarray:
    """Per pixel, 0..1, how much of a mark's contrast with its local paper the output took away
    (float32, same shape): what the GUI's difference view paints. Paper turning from stained grey
    to white is not a removed mark; text, lines and specks that turned into paper are. A dithered
    area of a page of ``dpi`` is read as the grey it prints (:func:`descreened`, as :func:`ink_loss`
    reads it): its dots drawn grey, or a dotted tint cleared, are no marks removed."""
    page = descreened(as_float(original), dpi)
    # float32 and in place: a 600-dpi page is 35 million pixels.
    removed = median_paper(page)
    removed -= page
    del page  # the descreened copy, where one was made
    removed += as_float(output)
    removed -= 1.0
    strength = removed * np.float32(2.5)
    np.clip(strength, 0.0, 1.0, out=strength)
    strength[removed < REMOVED_MIN] = 0.0
    return strength
