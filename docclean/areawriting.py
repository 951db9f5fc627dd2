"""Writing in a wide dark area: groups of letter-sized marks darker or lighter than the area around
them (a pen stroke in a shadow, white letters on a black band), found on the page shrunk by
:data:`docclean.solids.SCALE`.

:mod:`docclean.surround` asks it which parts of a scanner's lid lie near writing (and which light
marks on it are letters, which a light box); :mod:`docclean.bars` and :mod:`docclean.shading` ask
whether a band holds writing (:func:`grouped_letters`).
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from docclean.solids import SCALE, SEED

#: Writing in a dark area: marks that differ from the area's own level around them (its closing,
#: for dark marks, or opening, for light ones, over a seed's width) by this share of the paper's
#: grey: a pen stroke in a dark shadow, white letters on a black band running off the page. A
#: scanner lid's grain and a JPEG's noise stay well under it.
WRITING = 0.05
#: A mark is letter-sized: at least :data:`MARK_MIN` pixels of the shrunk page and at most
#: :data:`MARK_MAX` across (longer, it is the shadow along the page's edge, or a rule) ...
MARK_MIN = 3
MARK_MAX = 4 * (SEED // SCALE)
#: ... and writing when at least :data:`GROUP` marks lie within :data:`GAP` pixels of the shrunk
#: page of each other (letters come in words; a fleck of dust or a hair on the lid comes alone).
GROUP = 3
GAP = SEED // SCALE // 2
#: Holes in a dark area up to this many pixels of the shrunk page are part of it (white writing, a
#: blot of paper); the page itself, which a surround may enclose, is far larger.
HOLE_MAX = (4 * SEED // SCALE) ** 2


@dataclass
class AreaWriting:
    """Writing in a dark area (:func:`near_writing`), as uint8 masks of its bounding box."""

    #: the part within a seed's width of dark or light marks (the area's own grey between light
    #: letters counted as dark)
    marks: np.ndarray
    dark: np.ndarray  #: the part within a seed's width of dark writing
    light: np.ndarray  #: the part within a seed's width of light writing
    letters: np.ndarray  #: the light writing's marks
    stray: np.ndarray  #: light marks not part of the writing (a light box on the lid, a letter joined to it)


def near_writing(small: np.ndarray, region: np.ndarray, lid: float, paper: float, at: tuple[int, int],
                  shape: tuple[int, int]) -> AreaWriting:
    """The part of a dark area (``region`` over the shrunk page ``small``, both its bounding box)
    within a seed's width of writing in it: groups of letter-sized marks, dark or light
    (:data:`WRITING`, :data:`MARK_MAX`, :data:`GROUP`), inside the area and its holes up to
    :data:`HOLE_MAX`, away from its edge where it meets the page (the box lies at ``at`` on a shrunk
    page of ``shape``; where it reaches that page's edge, the area goes on beyond it)."""
    filled = with_holes(region)
    # Away from where it meets the page, not from the page's edge (beyond which the area goes on).
    inside = cv2.copyMakeBorder(filled, 2, 2, 2, 2, cv2.BORDER_CONSTANT, value=0)
    (x, y), (bh, bw) = at, region.shape
    for on, strip in ((y == 0, inside[:2]), (y + bh == shape[0], inside[-2:]), (x == 0, inside[:, :2]),
                      (x + bw == shape[1], inside[:, -2:])):
        strip[...] = 1 if on else 0
    inside = cv2.erode(inside, np.ones((5, 5), np.uint8))[2:-2, 2:-2].astype(bool)
    side = SEED // SCALE
    window = np.ones((side | 1,) * 2, np.uint8)  # odd: an even one shifts the closing by a pixel
    level = np.float32(WRITING * paper)
    # Each apart: light letters touch the dark between them.
    dark, light = (cv2.morphologyEx(small, kind, window, borderType=cv2.BORDER_REPLICATE) > level
                   for kind in (cv2.MORPH_BLACKHAT, cv2.MORPH_TOPHAT))
    dark, light = dark & inside, light & inside
    # The lid between light letters and in their counters is darker than what closes over it, but
    # no darker than the lid: it is not dark writing.
    between = cv2.dilate(light.astype(np.uint8), window).astype(bool) & (small >= lid - level)
    letters = [grouped_letters(marks.astype(np.uint8)).astype(np.uint8) for marks in (dark, light)]
    letters.insert(1, mostly_outside(letters[0], between))  # the dark writing proper
    reach = np.ones((2 * side + 1,) * 2, np.uint8)
    near = [cv2.dilate(marks, reach) if marks.any() else marks for marks in letters]
    # Light (nearer the paper's grey than the lid's), and not the writing or its rim: a light box on
    # the lid, a letter joined to it. (A faint scratch on the lid is no box.)
    other = ((small > (lid + paper) / 2) & (cv2.dilate(letters[2], np.ones((3, 3), np.uint8)) == 0)).astype(np.uint8)
    other = (other & filled) | enclosed(other * (filled == 0), region)
    count, labels, stats, _ = cv2.connectedComponentsWithStats(other, connectivity=8)
    sized = stats[:, cv2.CC_STAT_AREA] >= MARK_MIN  # not a fleck of dust
    sized[0] = False
    return AreaWriting(near[0], near[1], near[2], letters[2], sized[labels].astype(np.uint8))


def with_holes(mask: np.ndarray) -> np.ndarray:
    """A uint8 mask with its holes up to :data:`HOLE_MAX` pixels filled: the pixels outside it that
    the box's border cannot reach."""
    padded = cv2.copyMakeBorder(1 - mask, 1, 1, 1, 1, cv2.BORDER_CONSTANT, value=1)
    _, labels, stats, _ = cv2.connectedComponentsWithStats(padded, connectivity=4)
    small_hole = stats[:, cv2.CC_STAT_AREA] <= HOLE_MAX
    small_hole[labels[0, 0]] = False
    return (mask.astype(bool) | small_hole[labels[1:-1, 1:-1]]).astype(np.uint8)


def mostly_outside(marks: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """The marks (uint8, 8-connected) of which at most half lies in ``mask``."""
    count, labels = cv2.connectedComponents(marks, connectivity=8)
    inside = np.bincount(labels[mask & (marks > 0)], minlength=count)
    size = np.bincount(labels.ravel(), minlength=count)
    keep = inside * 2 <= size
    keep[0] = False
    return keep[labels].astype(np.uint8)


def enclosed(marks: np.ndarray, region: np.ndarray) -> np.ndarray:
    """The marks (uint8) up to :data:`HOLE_MAX` pixels that the dark area ``region`` (uint8, the
    same box) surrounds for more than half of the pixels around them: a light letter on the lid
    joined to a light box on it, not the paper between the page's letters next to the lid, nor the
    page that the lid surrounds. Beyond the box is not the area (it is the area's bounding box)."""
    if not marks.any():
        return marks
    # One pixel around the box, outside the area, so a mark on the box's edge has its rim there too.
    marks, region = (cv2.copyMakeBorder(m, 1, 1, 1, 1, cv2.BORDER_CONSTANT, value=0) for m in (marks, region))
    ring = cv2.dilate(marks, np.ones((3, 3), np.uint8))
    # a mark's rim is the ring around it; marks that a pixel apart share theirs
    _, owner = cv2.connectedComponents(ring, connectivity=8)
    rim = (ring > 0) & (marks == 0)
    around = np.bincount(owner[rim], minlength=owner.max() + 1)
    dark = np.bincount(owner[rim & (region > 0)], minlength=owner.max() + 1)
    size = np.bincount(owner[marks > 0], minlength=owner.max() + 1)
    inside = (dark > around / 2) & (size <= HOLE_MAX)
    inside[0] = False
    return (inside[owner] & (marks > 0)).astype(np.uint8)[1:-1, 1:-1]


def grouped_letters(marks: np.ndarray) -> np.ndarray:
    """The letter-sized marks (:data:`MARK_MIN`, :data:`MARK_MAX`) of a uint8 mask that lie in
    groups of at least :data:`GROUP` within :data:`GAP` pixels of each other (a boolean mask)."""
    count, labels, stats, _ = cv2.connectedComponentsWithStats(marks, connectivity=8)
    across = np.maximum(stats[:, cv2.CC_STAT_WIDTH], stats[:, cv2.CC_STAT_HEIGHT])
    letter = (stats[:, cv2.CC_STAT_AREA] >= MARK_MIN) & (across <= MARK_MAX)
    letter[0] = False
    if not letter.any():
        return np.zeros(marks.shape, bool)
    on = letter[labels]
    group_count, groups = cv2.connectedComponents(cv2.dilate(on.astype(np.uint8), np.ones((GAP | 1,) * 2, np.uint8)),
                                                  connectivity=8)
    group_of = np.zeros(count, np.int64)  # each mark's group (a mark lies in one)
    group_of[labels[on]] = groups[on]
    members = np.bincount(group_of[np.flatnonzero(letter)], minlength=group_count)
    return (members >= GROUP)[groups] & on


