"""Faint writing between ruled lines: pencil in a form's boxes, which the network cleared.

The network keeps a faint line of pencil or light handwriting on open paper but clears the same line
lying in a band between two dark rules, a form's box or a table's row: to it, that is what a shaded
table row looks like, and it was taught to clear those; one rule alone does not do it. On a 150-dpi
form of our own, pencil in boxes 49-120 pixels high kept 0-3% of its pixels dark, and 35-78% on open
paper beside them (``python bench/form_boxes.py OUT --measure``, bench/results/form_boxes.md).
Cleaned again with the rules painted out, the same part of the page comes out as on open paper.

:func:`ruled_bands` finds the rules, on the page at half size: dark runs (under :data:`RULE_DARK`
of the paper) at least :data:`RULE_LEN` pixels long and under :data:`RULE_THICK` thick, horizontal
or vertical (a stain holds long runs both ways, and is thick), and the bands between two of them
at most :data:`BAND` and at least :data:`MIN_GAP` apart (a double rule is one). Every page pays
for this search; most find no band.
:func:`cleared_between_rules` finds, inside the bands, the faint marks the network cleared: darker
than the local paper by :data:`FAINT` of it, their darkest pixel within 2 pixels at most
:data:`FAINT_MAX` darker on the page as scanned, before auto levels (a halftone-shaded cell's dots
are dark: the network rightly clears it),
of :data:`MIN_MARK` pixels or more (not the paper's grain), of which it kept less than :data:`LOST`
of their darkness; the rules, their soft edges (:data:`RIM`) and the pixels near them
(:data:`CLEAR`) are left out. :func:`refill_between_rules` cleans each group of those again, its
part of the page with a margin of :data:`MARGIN` (wider along the line of writing), with the rules
and their edges painted the local paper's grey, and keeps the darker of the two on each faint mark
away from the part's cut edges (:data:`EDGE`) that the second clean drew darker by :data:`GAIN` on
average (``docclean.strokes.keep_darker``, as the wide-stroke passes do). Only faint marks between
rules can darken. The figures, and what it costs: docs/cleaning.md (writing between rules).
"""

from __future__ import annotations

from collections.abc import Callable

import cv2
import numpy as np

from docclean.strokes import dilated_paper, keep_darker

#: A rule is a dark run at least this many pixels long (the network's band effect is a matter of
#: pixels, not inches, so neither is this).
RULE_LEN = 61
#: ... and at most this many pixels thick.
RULE_THICK = 12
#: A rule's pixels are darker than this share of the page's paper.
RULE_DARK = 0.6
#: A band: between two rules at most this many pixels apart (at 150 dpi the network cleared pencil
#: in 120-pixel boxes; in 240-pixel ones at 300 dpi it kept most of it).
BAND = 260
#: ... and at least this many apart: closer, two rules are one (a double rule), with no band between.
MIN_GAP = 16
#: A rule's soft edge, darker than the paper (by half of :data:`FAINT`), is painted out with it up to
#: this many pixels from it, and no mark is looked at there: left, a double rule's blurred edges came
#: back as dark fringes along it (a historical page ruled in columns).
RIM = 4
#: ... and nothing within this many pixels of that is looked at either: the shadow along a rule, once
#: the rule was painted out, came back as a dark fringe.
CLEAR = 6
#: A faint mark is darker than the local paper by at least this share of it (after a 1-pixel blur).
FAINT = 0.12
#: ... and was cleared when the network kept less than this share of that darkness.
LOST = 0.6
#: ... and its darkest pixel within 2 pixels is darker than the paper by at most this share: on our
#: pages of pencil in boxes, 90% of the cleared pixels were within 0.30 of it; in a fax's
#: halftone-shaded cells 90% were 0.49 or more (the dots are dark).
FAINT_MAX = 0.45
#: A faint mark of fewer pixels than this (8-connected) is grain or a speck, not writing.
MIN_MARK = 32
#: The second clean is kept on a mark only where it drew it darker than the first by this on average
#: (a mark: 8-connected faint pixels). On our pages of pencil in boxes the marks gained 0.04-0.38
#: (the middle one 0.07-0.32 a page); on the historical pages whose pen strokes were taken for rules,
#: the paper's grain and creases between them gained at most 0.05 on 90% of their pixels: either
#: clean clears them, and the darker of two is darker than either.
GAIN = 0.06
#: Fewer cleared pixels than this on a page and nothing is done.
MIN_PIXELS = 40
#: The part of the page cleaned again reaches this far past what was cleared ...
MARGIN = 96
#: ... and the darker of the two is kept on its faint marks at least this far from where the part was
#: cut out of the page (the network's output near a cut edge is not to be trusted: the engine's tiles
#: overlap by 64 pixels). A word of which the first pass kept a few letters is filled whole.
EDGE = 48
#: The local paper (``docclean.strokes.dilated_paper``), as ``docclean.widestrokes`` reads it.
PAPER_SCALE = 8
PAPER_WINDOW = 17


def ruled_bands(page: np.ndarray, paper: float) -> tuple[np.ndarray, np.ndarray] | None:
    """(the rules, uint8 0/1; the bands between two of them, bool) of ``page`` (float grey 0..1,
    its paper's grey ``paper``), or None when no two rules lie within :data:`BAND` of each other.
    Searched at half size, each pixel the darkest of its four (a one-pixel rule stays dark): every
    page pays for this search, a quarter of it at full size."""
    h, w = page.shape
    small = cv2.erode(page, np.ones((2, 2), np.uint8), anchor=(0, 0))[::2, ::2]
    dark = (small < RULE_DARK * paper).astype(np.uint8)
    rules = np.zeros_like(dark)
    band = np.zeros_like(dark)
    joined = np.zeros_like(dark)
    # Odd lengths: a closing by an even kernel shifts its result by a pixel.
    length, thickness, apart, gap = RULE_LEN // 2, RULE_THICK // 2, BAND // 2 | 1, MIN_GAP // 2 | 1
    for run, thin, across in (((1, length), (thickness, 1), (apart, 1)), ((length, 1), (1, thickness), (1, apart))):
        # Thin: what is thicker across the run than a rule is (a stain, a bar, a letter's stem) is
        # left out, so a wide dark area, which holds long runs both ways, is no rule.
        thick = cv2.morphologyEx(dark, cv2.MORPH_OPEN, np.ones(thin, np.uint8))
        found = cv2.morphologyEx(dark & (1 - thick), cv2.MORPH_OPEN, np.ones(run, np.uint8))
        if not found.any():
            continue
        rules |= found
        # Closing fills the gaps shorter than BAND; past the page's edge is paper, so no band
        # reaches from a rule to the edge (OpenCV's own border would let one). A gap narrower than
        # MIN_GAP (a double rule) is part of the rule, not a band.
        pad = apart
        padded = cv2.copyMakeBorder(found, pad, pad, pad, pad, cv2.BORDER_CONSTANT, value=0)
        band |= cv2.morphologyEx(padded, cv2.MORPH_CLOSE, np.ones(across, np.uint8))[pad:-pad, pad:-pad]
        pair = (gap, 1) if across[1] == 1 else (1, gap)
        joined |= cv2.morphologyEx(padded, cv2.MORPH_CLOSE, np.ones(pair, np.uint8))[pad:-pad, pad:-pad]
    band &= 1 - joined
    if not band.any():
        return None
    return (cv2.resize(rules, (w, h), interpolation=cv2.INTER_NEAREST),
            cv2.resize(band, (w, h), interpolation=cv2.INTER_NEAREST).astype(bool))


def cleared_between_rules(page: np.ndarray, cleaned: np.ndarray, rules: np.ndarray, band: np.ndarray,
                          scan: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(the pixels of faint marks in ``band`` that the network cleared in ``cleaned``, bool; every
    faint mark's pixels, bool; the rules with their soft edges, to paint out, bool; the local paper,
    float), over the page given (see the module's docstring; the rules and their edges are left out
    of the marks). ``scan``: the page as scanned, before auto levels, where faintness is judged
    (default: ``page``)."""
    paper = dilated_paper(page, PAPER_WINDOW, PAPER_SCALE, cv2.BORDER_REPLICATE)
    blur = cv2.GaussianBlur(page, (0, 0), 1.0)

    def below(a: np.ndarray, b: np.ndarray, share: float) -> np.ndarray:  # a < share * b, as a 0/255 mask
        return cv2.compare(a, cv2.addWeighted(b, share, b, 0, 0), cv2.CMP_LT)

    # Darker than the paper by FAINT, and the network kept less than LOST of that darkness: with d
    # the darkness (1 - blur / paper), 1 - cleaned / paper < LOST * d, that is cleaned above
    # (1 - LOST) * paper + LOST * blur. OpenCV's comparisons: a page holds millions of pixels.
    lost = cv2.bitwise_and(below(blur, paper, 1 - FAINT),
                           cv2.compare(cleaned, cv2.addWeighted(paper, 1 - LOST, blur, LOST, 0), cv2.CMP_GT))
    shade = below(blur, paper, 1 - FAINT / 2)
    # The rules with their soft edges (grown through what is darker than the paper, RIM pixels at
    # most) and two pixels more: painted out in the second clean, and no mark is looked at there.
    erase = rules * np.uint8(255)
    for _ in range(RIM):
        erase = cv2.bitwise_or(erase, cv2.bitwise_and(cv2.dilate(erase, np.ones((3, 3), np.uint8)), shade))
    erase = cv2.dilate(erase, np.ones((5, 5), np.uint8))
    keep = cv2.bitwise_not(cv2.dilate(erase, np.ones((2 * CLEAR + 1,) * 2, np.uint8)))
    marks = cv2.bitwise_and(shade, keep)
    lost = cv2.bitwise_and(cv2.bitwise_and(lost, marks), band.view(np.uint8) * np.uint8(255))
    if cv2.countNonZero(lost) < MIN_PIXELS:  # most forms: nothing was cleared
        return lost.astype(bool), marks.astype(bool), erase.astype(bool), paper
    # Faint through and through, as scanned (before auto levels darkened it): a halftone-shaded
    # cell, whose dots are dark, is no faint writing (the network was taught to clear it), nor is
    # the rim of a dark stroke.
    raw = page if scan is None else scan
    raw_paper = paper if scan is None else dilated_paper(raw, PAPER_WINDOW, PAPER_SCALE, cv2.BORDER_REPLICATE)
    faint = cv2.bitwise_not(below(cv2.erode(raw, np.ones((5, 5), np.uint8)), raw_paper, 1 - FAINT_MAX))
    marks = cv2.bitwise_and(marks, faint)
    lost = cv2.bitwise_and(lost, faint)
    if cv2.countNonZero(lost) < MIN_PIXELS:
        return lost.astype(bool), marks.astype(bool), erase.astype(bool), paper
    # Marks of some size: the paper's grain and specks are cleared as well on open paper, and the
    # darker of two cleans of them is darker than either (a historical page's grain came back).
    count, pieces, stats, _ = cv2.connectedComponentsWithStats(marks, connectivity=8)
    big = stats[:, cv2.CC_STAT_AREA] >= MIN_MARK
    big[0] = False
    marks = big[pieces].view(np.uint8) * np.uint8(255)
    lost = cv2.bitwise_and(lost, marks).astype(bool)
    return lost, marks.astype(bool), erase.astype(bool), paper


def refill_between_rules(page: np.ndarray, cleaned: np.ndarray, paper: float,
                         clean: Callable[[np.ndarray], np.ndarray], scan: np.ndarray | None = None) -> int:
    """Clean again, with the rules painted out, the parts of ``page`` (the grey page the network was
    given) where the network cleared faint marks between rules in ``cleaned`` (its output, changed
    in place): see the module's docstring. ``paper``: the page's paper grey; ``clean``: a part of a
    page in, the network's part out; ``scan``: the page before auto levels (faintness is judged on
    it: levels can darken faint writing on a page of little else by up to 3x). Returns how many
    parts were cleaned again."""
    found = ruled_bands(page, paper)
    if found is None:
        return 0
    rules, band = found
    ys, xs = np.nonzero(band)
    h, w = page.shape
    y0, y1 = max(0, ys.min() - MARGIN), min(h, ys.max() + MARGIN + 1)
    x0, x1 = max(0, xs.min() - MARGIN), min(w, xs.max() + MARGIN + 1)
    area = (slice(y0, y1), slice(x0, x1))
    lost, marks, erase, local = cleared_between_rules(page[area], cleaned[area], rules[area], band[area],
                                                      None if scan is None else scan[area])
    if np.count_nonzero(lost) < MIN_PIXELS:
        return 0
    lost = lost.astype(np.uint8)
    groups = cv2.dilate(lost, np.ones((2 * MARGIN + 1, 8 * MARGIN + 1), np.uint8))
    count, _, stats, _ = cv2.connectedComponentsWithStats(groups, connectivity=8)
    for x, y, bw, bh, _ in stats[1:]:
        box = (slice(y, y + bh), slice(x, x + bw))
        part = page[area][box].copy()
        part[erase[box]] = local[box][erase[box]]
        where = np.zeros(part.shape, bool)  # the part's inside, but up to the page's own edges
        top, left = (0 if y + y0 == 0 else EDGE), (0 if x + x0 == 0 else EDGE)
        bottom, right = (0 if y0 + y + bh == h else EDGE), (0 if x0 + x + bw == w else EDGE)
        where[top:bh - bottom, left:bw - right] = True
        before = cleaned[area][box]
        again = clean(part)
        keep_darker(before, again, _gained(before, again, where & marks[box]))
    return count - 1


def _gained(before: np.ndarray, again: np.ndarray, where: np.ndarray) -> np.ndarray:
    """The marks of ``where`` (8-connected) that the second clean ``again`` drew darker than the
    first, ``before``, by :data:`GAIN` on average: writing the first cleared, not the grain or a
    crease that either clean leaves about as light."""
    count, pieces = cv2.connectedComponents(where.view(np.uint8), connectivity=8)
    if count < 2:
        return where
    size = np.bincount(pieces.ravel(), minlength=count).astype(np.float64)
    gain = np.bincount(pieces.ravel(), (before - again).ravel(), minlength=count) / np.maximum(size, 1)
    chosen = gain >= GAIN
    chosen[0] = False
    return chosen[pieces]
