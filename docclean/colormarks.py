"""Coloured marks (stamps, signatures and pen in red, blue, green or violet) kept on the cleaned page.

The network sees luminance only, and a lighter, broad mark lying over darker printed text looks to
it like a stain or show-through: a red "APPROVED" stamp across a paragraph came out a faint ghost
(27% of its pixels kept, `bench/marks_over_text.py`), and the same stamp on blank paper whole. On a
colour scan the colour says what the grey cannot: a stain, foxing or yellowed paper is weakly
coloured or brownish-yellow, a stamp's or a pen's ink is strongly coloured in another hue.

:func:`colored_marks` finds, on the scanned colour page, the pixels

* strongly coloured: a channel spread (max - min) of at least :data:`SPREAD` of full scale and at
  least :data:`SATURATION` of the brightest channel (a dark blue ink has a small spread but a high
  saturation; grey text with a scanner's colour noise has neither);
* of a hue outside :data:`STAIN_HUES` (red-brown, orange, brown and yellow: coffee, tea, rust,
  foxing, aged paper; iron-gall ink, which the network keeps, is brown too);
* darker than :data:`DARK` of the paper's grey: ink, not a highlighter's light band;
* at least :data:`MIN_PIXELS` of them after an opening by a 2-px square (a colour fringe along
  black letters is a pixel wide), connected with each other or through the black text they cross,
  and not in or touching a wide coloured area (of any lightness), one a :data:`WIDE` square fits
  in: a coloured band along a receipt's edge, a highlighted line (printed fills are
  ``docclean.shading``'s).

:func:`keep_colored_marks` puts them back, grown by a pixel for their soft edge, as the scan's grey
divided by the paper's wherever that is darker than the cleaned page: the printed text under a
stamp stays as black as the network drew it, and the stamp lies over it in its own grey. A page
without colour, or without such marks, is left as it is. Measured in ``bench/marks_over_text.py``
and, on the shared real scans, in ``bench/experiments/color_marks.py``.
"""

from __future__ import annotations

import cv2
import numpy as np

from docclean.solids import page_paper

#: A mark's channel spread (max - min, 0..1) is at least this ...
SPREAD = 0.25
#: ... and at least this share of its brightest channel.
SATURATION = 0.4
#: Hues (degrees) of stains and aged paper, never a mark: red-brown, orange, brown and yellow. The
#: lower bound was 15 until a reddish-brown spot on a receipt (hue 6-14) and a historical
#: postmark (median 8) of the validation scans came back as marks; red stamp pads print at 350-5.
STAIN_HUES = (5.0, 70.0)
#: A mark is darker than this share of the paper's grey (a highlighter is lighter).
DARK = 0.65
#: A mark holds at least this many pixels after the opening, in one 8-connected area with the
#: black text it crosses (pixels darker than :data:`JOIN` of the paper's grey).
MIN_PIXELS = 24
JOIN = 0.35
#: Areas a square this wide fits in are bands and fills, not strokes.
WIDE = 31


def colored_marks(color: np.ndarray, gray: np.ndarray, paper: float | None = None) -> np.ndarray | None:
    """A boolean mask of the coloured marks (see the module's docstring) of a colour page (uint8
    RGB) and its grey (float 0..1), or None when it has none. ``paper``: the page's paper grey,
    when the caller has it."""
    return _marks_and_paper(color, gray, paper)[0]


def _marks_and_paper(color: np.ndarray, gray: np.ndarray, paper: float | None = None
                     ) -> tuple[np.ndarray | None, float | None]:
    """(:func:`colored_marks`, the paper grey it read: None when the page has no coloured pixel)."""
    if color.ndim != 3 or color.shape[2] != 3 or color.shape[:2] != gray.shape:
        raise ValueError(f"shapes differ: grey {gray.shape}, colour {color.shape}")
    colored = _colored(color)
    if not colored.any():  # most colour scans of office paper: no paper level needed
        return None, paper
    paper = page_paper(gray) if paper is None else paper
    strong = colored & (gray <= np.float32(DARK * paper))
    rows, cols = np.flatnonzero(strong.any(axis=1)), np.flatnonzero(strong.any(axis=0))
    if rows.size == 0:
        return None, paper
    # The rest is read within the box of the strong pixels and as much again as a wide area that
    # touches them reaches (a 600-dpi colour page held 110 MB more when it was read whole).
    reach = WIDE + 2
    box = (slice(max(0, rows[0] - reach), rows[-1] + 1 + reach), slice(max(0, cols[0] - reach), cols[-1] + 1 + reach))
    strong, colored, gray = strong[box], colored[box], gray[box]
    marks = cv2.morphologyEx(strong.astype(np.uint8), cv2.MORPH_OPEN, np.ones((2, 2), np.uint8))
    # The opening also trims a thin diagonal stroke's stair-steps: those come back (strong pixels
    # next to what it kept), a lone line of fringe does not.
    marks = (strong & (cv2.dilate(marks, np.ones((3, 3), np.uint8)) > 0)).astype(np.uint8)
    # Wide is read on the coloured pixels at any lightness (closed over a pixel's gap): a printed band
    # is mottled, with light streaks that would break it into strokes.
    near = cv2.morphologyEx(colored.astype(np.uint8), cv2.MORPH_CLOSE, np.ones((3, 3), np.uint8))
    wide = cv2.morphologyEx(near, cv2.MORPH_OPEN, np.ones((WIDE, WIDE), np.uint8))
    if wide.any():  # a band or a fill, with the strokes that touch it
        marks[cv2.dilate(wide, np.ones((3, 3), np.uint8)) > 0] = 0
    inside = marks.astype(bool)
    if not inside.any():
        return None, paper
    # A mark is measured with the black text it crosses: a pen line over a paragraph is cut by the
    # letters into pieces smaller than any threshold that stops specks.
    joined = inside | (gray <= np.float32(JOIN * paper))
    count, labels = cv2.connectedComponents(joined.astype(np.uint8), connectivity=8)
    big = np.bincount(labels[inside], minlength=count) >= MIN_PIXELS
    big[0] = False  # the background label
    if not big[labels[inside]].any():
        return None, paper
    found = np.zeros(color.shape[:2], bool)
    found[box] = inside & big[labels]
    return found, paper


def _colored(color: np.ndarray) -> np.ndarray:
    """Where a uint8 RGB page is strongly coloured (:data:`SPREAD`, :data:`SATURATION`) in a hue
    outside :data:`STAIN_HUES`. OpenCV's HSV holds all three: V is the brightest channel, S the
    spread over it (x255) and so S * V / 255 the spread. In row blocks of about a megapixel, so
    the conversion's temporaries stay small on a 600-dpi page."""
    out = np.empty(color.shape[:2], bool)
    # Full-circle hue in bytes: degrees * 256 / 360.
    low, high = int(np.ceil(STAIN_HUES[0] * 256 / 360)), int(np.floor(STAIN_HUES[1] * 256 / 360))
    step = max(1, 1_000_000 // max(1, color.shape[1]))
    for y in range(0, color.shape[0], step):
        hue, sat, value = cv2.split(cv2.cvtColor(np.ascontiguousarray(color[y:y + step]), cv2.COLOR_RGB2HSV_FULL))
        strong = cv2.bitwise_and(cv2.compare(cv2.multiply(sat, value, scale=1 / 255), round(SPREAD * 255), cv2.CMP_GE),
                                 cv2.compare(sat, round(SATURATION * 255), cv2.CMP_GE))
        out[y:y + step] = cv2.bitwise_and(strong, cv2.bitwise_not(cv2.inRange(hue, low, high))) > 0
    return out


def keep_colored_marks(gray: np.ndarray, cleaned: np.ndarray, color: np.ndarray | None) -> np.ndarray:
    """``cleaned`` (a float grey page 0..1, not changed) with the coloured marks of the scan
    (``gray`` and its ``color``, uint8 RGB; None: a grey scan) put back where the scan is darker:
    a new array when there are marks, else ``cleaned`` itself."""
    if color is None:
        return cleaned
    marks, paper = _marks_and_paper(color, gray)
    if marks is None:
        return cleaned
    edge = cv2.dilate(marks.astype(np.uint8), np.ones((3, 3), np.uint8)).astype(bool)
    out = cleaned.copy()
    out[edge] = np.minimum(out[edge], np.clip(gray[edge] / np.float32(paper), 0, 1))
    return out
