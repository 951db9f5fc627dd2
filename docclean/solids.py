"""Solid dark areas: black boxes, bars, bands and shapes that the network would hollow out.

The network learned that a dark area much wider than a stroke is a stain, so it keeps the outline
of a black box and turns its inside to paper: from about 48 pixels across, a box came out grey or
white inside, and a black band with white writing in it (an invoice's "TOTAL DUE" bar, a form's
header) came out blotchy, its fill turned to paper where no letters were, so white writing there
would have been lost (bench/solids.py). A redaction bar came out as an empty frame, a black logo
as its outline.

:func:`solid_areas` finds such areas on the page the network cleaned: near-black regions (under
:data:`DARK` of the paper's grey) that contain a :data:`SEED` x :data:`SEED` square, kept only when
their edges are sharp (:data:`FADE`: judged around the region with its holes filled) and they do
not touch the page's edge; their holes (white writing, a letter's counter, a black frame's inside)
stay the network's. Stains and shadows (which fade, and are rarely near black),
coffee rings (no solid square), the scanner's dark surround (which touches the edge) and grey
shading are not, so the network still cleans them. A wide part of an edge-touching area that does
not touch the edge itself once lines narrower than the seed are cut (:func:`inner_parts`: a
microfilm frame's black band joined to the surround by a dark line) is judged as an area of its
own, and put back with its letters (:func:`small_holes`), the thin strips of it beside a label
and the dark between its letters: there the network made the band a grey blotch, and, with the
band put back, drew its white number outlined and joined by a grey line.
A first version also asked for a rectangle; on the shared scans that only left out a form's black
header banner and a round sticker, which come back as the scan has them now
(bench/results/solids.md).

:func:`restore_solids` puts the page itself (divided by its paper's grey) back into those areas,
so white writing in a black bar, or black writing on dark shading (which the network drowned:
bench/solids.py), keeps the contrast the scan gave it.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from docclean.levels import paper_level
from docclean.regions import edge_runs, filled_outline, full_size, on_edge

#: A dark area is solid when it holds a square this many pixels wide (the network still fills a
#: 32-pixel box and starts to hollow a 48-pixel one).
SEED = 33
#: ... and when it has sharp edges: of the ring of pixels around it (a seed's width wide), at most
#: this share is darker than halfway from :data:`DARK` to the paper (a printed box's edge is a
#: pixel or two of grey, and what lies around it is paper and writing; a stain fades across the
#: whole ring).
FADE = 0.5
#: Strokes and rules up to this many pixels wide that touch a solid area (a table's rules around a
#: black header cell, letters running into a bar) are cut off it before it is judged.
DETACH = 11
#: A solid area is darker than this share of the paper's grey: near black, as the boxes and bars
#: the network hollows are. A shaded band (grey 0.35 of white and lighter), whose dark writing the
#: network keeps on it, is not one: taking its darkest 1% for black once stretched a grey band
#: with black text in it to black (bench/solids.py).
DARK = 0.3
#: The search runs on the page shrunk by this factor (the seed square scaled alike): the same
#: areas to a pixel or two, 4x cheaper.
SCALE = 2


def page_paper(page: np.ndarray) -> float:
    """:func:`~docclean.levels.paper_level`, from every 8th pixel (the figure needs no more, and
    it costs a hundredth of a second at every 4th)."""
    return paper_level(page[::2, ::2])


@dataclass
class DarkAreas:
    """The wide dark areas of a page, for :func:`solid_areas` and
    :func:`docclean.surround.surround_areas`: on the page shrunk by :data:`SCALE`, the dark pixels
    (under a share of the paper's grey: :data:`DARK` for solid areas), their 8-connected regions
    once strokes up to :data:`DETACH` are cut off, and which of those hold a :data:`SEED` square."""

    shape: tuple[int, int]  #: the full page's (height, width)
    paper: float
    small: np.ndarray  #: the shrunk page
    dark: np.ndarray  #: uint8, 1 where the shrunk page is darker than the level asked for
    labels: np.ndarray  #: the regions' labels on the shrunk page (0: none)
    stats: np.ndarray  #: OpenCV's per-label (x, y, width, height, area)
    seeded: list[int]  #: the labels of the regions that hold a seed square

    def touches_edge(self, label: int) -> bool:
        """Whether region ``label`` reaches the page's edge."""
        return bool(on_edge(self.stats[label], self.dark.shape))

    def region(self, label: int) -> tuple[np.ndarray, tuple[int, int]]:
        """Region ``label`` as a uint8 mask over its bounding box, and the box's (x, y)."""
        x, y, bw, bh, _ = self.stats[label]
        return (self.labels[y:y + bh, x:x + bw] == label).astype(np.uint8), (int(x), int(y))

    def full_mask(self, keep: np.ndarray, reach: bool = True) -> np.ndarray:
        """``keep`` (uint8 on the shrunk page: the wide parts of some regions) as a full-size boolean
        mask, and a pixel of its grey edge. ``reach``: also the dark pixels up to :data:`DETACH`
        from it (the thin dark between white letters), but not its holes (a black frame's inside, a
        letter's counter)."""
        if reach:
            keep = cv2.dilate(keep, detach_kernel()) & self.dark
        return full_size(keep, self.shape)


def put_back(page: np.ndarray, cleaned: np.ndarray, mask: np.ndarray | None, paper: float) -> np.ndarray:
    """``cleaned`` (changed in place, and returned) with ``page``, divided by its paper's grey,
    where ``mask`` is true: what the scan holds there (nothing when ``mask`` is None)."""
    if mask is not None:
        cleaned[mask] = np.clip(page[mask] / np.float32(paper), 0, 1)
    return cleaned


def detach_kernel() -> np.ndarray:
    """The square that strokes up to :data:`DETACH` wide fit in, on the shrunk page: an opening by
    it cuts them off a wide area."""
    return np.ones((DETACH // SCALE | 1,) * 2, np.uint8)


def shrunk(page: np.ndarray) -> np.ndarray:
    """``page`` shrunk by :data:`SCALE` (area averaging), as the wide-area searches see it: the
    engine makes it once for all of them."""
    h, w = page.shape
    return cv2.resize(page, (max(1, w // SCALE), max(1, h // SCALE)), interpolation=cv2.INTER_AREA)


def dark_areas(page: np.ndarray, paper: float | None = None, level: float = DARK,
               edges: float | None = None, small: np.ndarray | None = None) -> DarkAreas | None:
    """The wide areas of a grey float page (0..1) darker than ``level`` of its paper's grey, or None
    when it has none (most pages: one erosion of a half-size page decides). ``paper``: the page's
    paper grey, when the caller has it. ``edges``: pixels where the grey, without strokes (dark or
    light) up to :data:`DETACH` wide, steps by more than this share of the paper's grey within a
    pixel are left out, so that areas meeting at a sharp edge (a shaded box and the shadow it
    touches) are apart. ``small``: :func:`shrunk` of the page, when the caller has it."""
    paper = page_paper(page) if paper is None else paper
    h, w = page.shape
    small = shrunk(page) if small is None else small
    dark = (small < level * paper).astype(np.uint8)
    if edges is not None:  # on the page without its strokes, so writing on an area does not cut it up
        levels = np.clip(small * 255 + 0.5, 0, 255).astype(np.uint8)  # 8-bit morphology is cheaper
        near = detach_kernel()
        tones = cv2.morphologyEx(cv2.morphologyEx(levels, cv2.MORPH_CLOSE, near), cv2.MORPH_OPEN, near)
        dark[cv2.morphologyEx(tones, cv2.MORPH_GRADIENT, np.ones((3, 3), np.uint8)) > edges * paper * 255] = 0
    side = SEED // SCALE
    seeds = cv2.erode(dark, np.ones((side, side), np.uint8))
    if not seeds.any():
        return None
    wide = cv2.morphologyEx(dark, cv2.MORPH_OPEN, detach_kernel())  # the same seeds: it only cuts what is thinner
    _, labels, stats, _ = cv2.connectedComponentsWithStats(wide, connectivity=8)
    seeded = [int(label) for label in np.unique(labels[seeds.astype(bool)]) if label > 0]
    return DarkAreas((h, w), paper, small, dark, labels, stats, seeded)


def solid_areas(page: np.ndarray, paper: float | None = None, small: np.ndarray | None = None
                ) -> np.ndarray | None:
    """A boolean mask of the solid black areas of a grey float page (0..1), without their holes
    (white writing in a bar is the network's to draw, a black frame's inside its to clean) except
    the letters of a band hanging off the surround (:func:`inner_parts`); None when it has none.
    ``paper``: the page's paper grey, when the caller has it. ``small``: the page shrunk
    (:func:`docclean.solids.shrunk`), when the caller has it."""
    areas = dark_areas(page, paper, small=small)
    if areas is None:
        return None
    keep = np.zeros(areas.dark.shape, np.uint8)
    letters = np.zeros(areas.dark.shape, np.uint8)
    for label in areas.seeded:
        region, (x, y) = areas.region(label)
        bh, bw = region.shape
        if areas.touches_edge(label):  # the scanner's surround, a shadow or a border is not one ...
            holes = small_holes(region)
            for part, band in inner_parts(region, (x, y), areas.dark.shape):  # ... a band hanging off it may be
                _, filled = filled_outline(part)
                if sharp_edged(areas.small, filled, (x, y), SEED // SCALE, areas.paper):
                    # Its dark pixels, those between its white letters too (cut off it with strokes: there
                    # the network drew grey smudges between a microfilm frame's white digits).
                    keep[y:y + bh, x:x + bw] |= areas.dark[y:y + bh, x:x + bw] & band
                    letters[y:y + bh, x:x + bw] |= holes & band
            continue
        _, filled = filled_outline(region)
        if sharp_edged(areas.small, filled, (x, y), SEED // SCALE, areas.paper):
            keep[y:y + bh, x:x + bw] |= region
    if not keep.any():
        return None
    mask = areas.full_mask(keep)
    if letters.any():
        mask |= cv2.resize(letters, areas.shape[::-1], interpolation=cv2.INTER_NEAREST).astype(bool)
    return mask


def inner_parts(region: np.ndarray, at: tuple[int, int], shape: tuple[int, int]
                ) -> list[tuple[np.ndarray, np.ndarray]]:
    """The wide parts (a :data:`SEED` square fits in) of a dark area touching the page's edge
    (``region``, uint8 over its bounding box at ``at`` on a shrunk page of ``shape``) that do not
    touch it themselves (a black band with a microfilm frame's number in it, joined to the
    scanner's surround by a thin dark line), each with its band (uint8 masks of the box): the part
    and the area's thin pixels (in no wide part) joined to it within its rows or columns. A white
    label at the page's edge, as high as most of the band, leaves the band beside it too thin for
    the square; left out, that was neither solid nor surround, and the network drew a grey smear.
    Thin pixels beyond its rows and columns are not the band (a thin lid strip down the side)."""
    # Closed first, so the writing in a band does not cut it into strips too thin for the square.
    labels, runs = wide_parts(region, at, shape, close=True)
    thin = region.astype(bool) & (labels == 0)
    found = []
    for label in range(1, len(runs)):
        if runs[label]:
            continue
        part = (labels == label).astype(np.uint8)
        ys, xs = np.nonzero(part)
        across = np.zeros(region.shape, bool)
        across[ys.min():ys.max() + 1] = True
        across[:, xs.min():xs.max() + 1] = True
        _, pieces = cv2.connectedComponents((part.astype(bool) | (thin & across)).astype(np.uint8), connectivity=8)
        found.append((part, (pieces == pieces[ys[0], xs[0]]).astype(np.uint8)))
    return found


def wide_parts(region: np.ndarray, at: tuple[int, int], shape: tuple[int, int], close: bool = False
               ) -> tuple[np.ndarray, np.ndarray]:
    """The parts of a dark area (``region``, uint8 over its bounding box at ``at`` on a shrunk page
    of ``shape``) that a :data:`SEED` square fits in, once lines narrower than it are cut (closed
    first with ``close``): their labels over the box (0: none) and, per label, how many pixels of
    the page's edge it lies on (:func:`edge_runs`). :func:`inner_parts` and the surround's lid
    (:mod:`docclean.surround`) are both such parts."""
    square = np.ones(((SEED // SCALE) | 1,) * 2, np.uint8)
    if close:
        region = cv2.morphologyEx(region, cv2.MORPH_CLOSE, square, borderType=cv2.BORDER_REPLICATE)
    wide = cv2.morphologyEx(region, cv2.MORPH_OPEN, square, borderType=cv2.BORDER_REPLICATE)
    count, labels = cv2.connectedComponents(wide, connectivity=8)
    return labels, edge_runs(labels, count, at, shape)


def small_holes(part: np.ndarray) -> np.ndarray:
    """The holes of a uint8 mask that a :data:`SEED` square does not fit in (its letters)."""
    padded = cv2.copyMakeBorder(1 - part, 1, 1, 1, 1, cv2.BORDER_CONSTANT, value=1)
    count, labels, stats, _ = cv2.connectedComponentsWithStats(padded, connectivity=4)
    small = (stats[:, cv2.CC_STAT_WIDTH] < SEED // SCALE) | (stats[:, cv2.CC_STAT_HEIGHT] < SEED // SCALE)
    small[labels[0, 0]] = False
    return small[labels[1:-1, 1:-1]].astype(np.uint8)


def sharp_edged(small: np.ndarray, filled: np.ndarray, at: tuple[int, int], reach: int, paper: float) -> bool:
    """Whether the area ``filled`` (its bounding box at ``at`` in ``small``) has sharp edges: at
    most :data:`FADE` of the ring ``reach`` pixels wide around it is darker than halfway from
    :data:`DARK` to the paper."""
    x, y = at
    h, w = filled.shape
    y0, x0 = max(0, y - reach), max(0, x - reach)
    y1, x1 = min(small.shape[0], y + h + reach), min(small.shape[1], x + w + reach)
    inside = np.zeros((y1 - y0, x1 - x0), np.uint8)
    inside[y - y0:y - y0 + h, x - x0:x - x0 + w] = filled
    ring = cv2.dilate(inside, np.ones((2 * reach + 1, 2 * reach + 1), np.uint8)).astype(bool) & (inside == 0)
    return float((small[y0:y1, x0:x1][ring] < (1 + DARK) / 2 * paper).mean()) <= FADE


def restore_solids(page: np.ndarray, cleaned: np.ndarray, paper: float | None = None,
                   small: np.ndarray | None = None) -> np.ndarray:
    """``cleaned`` (changed in place, and returned) with the solid dark areas of ``page`` (the
    grey page the network cleaned) put back from the page, divided by its paper's grey: what the
    scan holds there, where the network's output is wrong (too light in a hollowed box, too dark
    where it drowned writing in dark shading). ``paper``: the page's paper grey, when the caller
    has it. ``small``: the page shrunk (:func:`docclean.solids.shrunk`), when the caller has it."""
    paper = page_paper(page) if paper is None else paper
    return put_back(page, cleaned, solid_areas(page, paper, small), paper)
