"""Label bars: black bars with white writing in them, too narrow for ``docclean.solids``.

A form's labels ("Current Budget", "Offer Description") are often white writing on a black bar a
line of text high. At fax resolution (about 100 dpi) such a bar is 15-25 pixels high, too narrow
for a solid area's seed square (:data:`docclean.solids.SEED`). On a crisp page (edges a pixel wide:
a born-digital form, a clean fax made grey) the network, which learned on scans, draws it as a
blotchy grey blur with its letters half lost in it (funsd-train 0060173256 in the shared real
scans, looked at, never tuned on; bench/bars.py); blurred by a pixel first, the same page comes
out right. On a scan's softer edges it draws such a bar well, blacker than the scan.

:func:`label_bars` finds them on the page the network cleaned, on the shrunk page
(:func:`docclean.solids.shrunk`): near-black regions (under :data:`docclean.solids.DARK` of the
paper's grey), with white strokes up to a couple of pixels wide closed over and strokes up to
:data:`docclean.solids.DETACH` cut off, that

* hold a :data:`BAR` square and are :data:`BAR_LONG` times as long as they are across;
* are rectangles (:data:`RECTANGLE`, at any tilt) with sharp edges (as a solid area's) that do not
  touch the page's edge;
* are framed (:data:`BAR_SIDES`): the bar runs along the inside of the rectangle's long sides,
  where a bold word's letters, closed into one blob, leave gaps;
* hold white writing (grouped letter-sized marks lighter than :data:`HALF` of the paper's grey):
  a black bar without any is the network's to fill, and a letter's stem or a rule has none.

:func:`restore_bars` puts the scan back over each whole bar, its white letters with it (divided by
its paper's grey), where the network drew the bar lighter than the scan (:data:`HOLLOWED`), as
``docclean.solids`` does for wider areas; the engine runs it with ``keep_solids``.
"""

from __future__ import annotations

import cv2
import numpy as np

from docclean.areawriting import MARK_MIN, grouped_letters
from docclean.regions import filled_outline, rectangular
from docclean.solids import DARK, SCALE, detach_kernel, page_paper, put_back, sharp_edged, shrunk

#: A label bar is at least this many pixels across (a line of 6-pt type at fax resolution) ...
BAR = 12
#: ... and at least this many times as long as it is across.
BAR_LONG = 3
#: It fills this share of the smallest rectangle around it.
RECTANGLE = 0.9
#: On the shrunk page, where a white stroke a pixel or two wide is averaged with the black beside
#: it, a pixel darker than this share of the paper's grey is the bar's, a lighter one its writing.
HALF = 0.5
#: Each long side of its rectangle, a pixel inside it, runs along the bar's pixels for at least
#: this share of its length (a bold word's top and foot, closed into one blob, run along its
#: letters' tops and feet only), each short side for at least
#: :data:`BAR_ENDS` (a white letter may reach the bar's end).
BAR_SIDES = 0.9
BAR_ENDS = 0.5
#: Each side is judged at its best of these insets (pixels of the shrunk page inside the rectangle).
INSETS = (0.25, 1.0, 1.5)
#: A bar goes back when the network drew its black (the scan's pixels darker than :data:`HALF` of
#: the paper's grey) this much lighter on average than the scan has it: on a crisp page it draws a
#: bar with white writing as a grey blur (0.25-0.35 where the scan has 0.02, bench/bars.py); on a
#: blurred scan it draws it blacker than the scan and its letters whiter, and keeps it.
HOLLOWED = 0.1


def label_bars(page: np.ndarray, paper: float | None = None, small: np.ndarray | None = None
               ) -> np.ndarray | None:
    """A boolean mask of the label bars of a grey float page (0..1), their white writing with them;
    None when it has none. ``paper``: the page's paper grey, when the caller has it. ``small``:
    the page shrunk (:func:`docclean.solids.shrunk`), when the caller has it."""
    paper = page_paper(page) if paper is None else paper
    small = shrunk(page) if small is None else small
    dark = (small < DARK * paper).astype(np.uint8)
    side = max(1, BAR // SCALE)
    closed = cv2.morphologyEx(dark, cv2.MORPH_CLOSE, np.ones((3, 3), np.uint8))  # over the white letters
    wide = cv2.morphologyEx(closed, cv2.MORPH_OPEN, detach_kernel())
    # A white letter as high as the bar, with little black above or below it, lets the opening
    # cut the bar in two: join the pieces along its rows or columns.
    line = side | 1
    wide = cv2.morphologyEx(wide, cv2.MORPH_CLOSE, np.ones((1, line), np.uint8)) | \
        cv2.morphologyEx(wide, cv2.MORPH_CLOSE, np.ones((line, 1), np.uint8))
    seeds = cv2.erode(wide, np.ones((side, side), np.uint8))
    if not seeds.any():
        return None
    _, labels, stats, _ = cv2.connectedComponentsWithStats(wide, connectivity=8)
    keep = np.zeros(dark.shape, np.uint8)
    sh, sw = dark.shape
    for label in np.unique(labels[seeds.astype(bool)]):
        x, y, bw, bh, _ = (int(v) for v in stats[label])
        if label == 0 or x == 0 or y == 0 or x + bw >= sw or y + bh >= sh:
            continue
        region = (labels[y:y + bh, x:x + bw] == label).astype(np.uint8)
        outline, filled = filled_outline(region)
        if (_long(outline) and rectangular(outline, RECTANGLE) and _framed(small < HALF * paper, outline, (x, y))
                and sharp_edged(small, filled, (x, y), side, paper) and _lettered(page, filled, (x, y), paper)):
            keep[y:y + bh, x:x + bw] |= filled
    if not keep.any():
        return None
    h, w = page.shape
    full = cv2.resize(keep, (w, h), interpolation=cv2.INTER_NEAREST)
    return cv2.dilate(full, np.ones((3, 3), np.uint8)).astype(bool)  # and a pixel of its grey edge


def _long(outline: np.ndarray) -> bool:
    """Whether the rectangle around ``outline`` is :data:`BAR_LONG` times as long as it is across."""
    (_, _), (w, h), _ = cv2.minAreaRect(outline)
    return max(w, h) >= BAR_LONG * min(w, h)


def _framed(bar: np.ndarray, outline: np.ndarray, at: tuple[int, int]) -> bool:
    """Whether the sides of the rectangle around ``outline`` (its box at ``at`` in ``bar``, a
    boolean mask of the bar's pixels) run along the bar just inside it (:data:`BAR_SIDES`,
    :data:`BAR_ENDS`): each side at its best of :data:`INSETS`, as the bar's margin may be a
    single pixel of the shrunk page."""
    (cx, cy), (w, h), angle = cv2.minAreaRect(outline)
    best = np.zeros(4)
    lengths = np.zeros(4)
    for inset in INSETS:
        size = (max(1.0, w - 2 * inset), max(1.0, h - 2 * inset))
        corners = cv2.boxPoints(((cx + at[0], cy + at[1]), size, angle))
        for i, (a, b) in enumerate(zip(corners, np.roll(corners, -1, axis=0))):
            n = max(2, int(np.hypot(*(b - a))))
            points = a + np.linspace(0.1, 0.9, n)[:, None] * (b - a)  # its corners are rounded
            xs = np.clip(np.round(points[:, 0]).astype(int), 0, bar.shape[1] - 1)
            ys = np.clip(np.round(points[:, 1]).astype(int), 0, bar.shape[0] - 1)
            best[i] = max(best[i], float(bar[ys, xs].mean()))
            lengths[i] = n
    order = np.argsort(lengths)  # the two ends, then the two long sides
    return best[order[2:]].min() >= BAR_SIDES and best[order[:2]].min() >= BAR_ENDS


def _lettered(page: np.ndarray, filled: np.ndarray, at: tuple[int, int], paper: float) -> bool:
    """Whether the bar ``filled`` (its box at ``at`` on the shrunk page) holds white writing, on
    the full page ``page``, where a white stroke one pixel wide is still white."""
    x, y = at
    h, w = filled.shape
    inside = cv2.erode(filled, np.ones((3, 3), np.uint8))
    box = page[y * SCALE:(y + h) * SCALE, x * SCALE:(x + w) * SCALE]
    inside = cv2.resize(inside, (box.shape[1], box.shape[0]), interpolation=cv2.INTER_NEAREST).astype(bool)
    marks = ((box > HALF * paper) & inside).astype(np.uint8)
    # grouped_letters counts in pixels of the shrunk page: a mark under its least size there is a
    # speck here too (the white grain of a thermal receipt's thick strokes), not a letter.
    _, labels, stats, _ = cv2.connectedComponentsWithStats(marks, connectivity=8)
    big = stats[:, cv2.CC_STAT_AREA] >= MARK_MIN * SCALE * SCALE
    big[0] = False
    marks = big[labels].astype(np.uint8)
    return bool(marks.any()) and bool(grouped_letters(marks).any())


def restore_bars(page: np.ndarray, cleaned: np.ndarray, paper: float | None = None,
                 small: np.ndarray | None = None) -> np.ndarray:
    """``cleaned`` (changed in place, and returned) with each label bar of ``page`` (the grey page
    the network cleaned) that the network drew lighter than the scan (:data:`HOLLOWED`) put back
    from the page, divided by its paper's grey. ``paper``: the page's paper grey, when the caller
    has it. ``small``: the page shrunk, when the caller has it."""
    paper = page_paper(page) if paper is None else paper
    bars = label_bars(page, paper, small)
    if bars is None:
        return cleaned
    count, labels = cv2.connectedComponents(bars.astype(np.uint8), connectivity=8)
    black = bars & (page < HALF * paper)
    scan = np.bincount(labels[black], weights=page[black] / paper, minlength=count)
    drawn = np.bincount(labels[black], weights=cleaned[black], minlength=count)
    pixels = np.maximum(np.bincount(labels[black], minlength=count), 1)
    hollowed = (drawn - scan) / pixels > HOLLOWED
    hollowed[0] = False
    return put_back(page, cleaned, hollowed[labels], paper)
