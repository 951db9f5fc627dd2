"""The scanner's dark surround: what lies around a page scanned on a dark lid, or photographed on a
dark table, is not the page, and comes out white.

The network whitens most of a dark surround, but not the part next to the page's edge: there it
sees a dark area beside paper, as at a thick black stroke, and keeps it. A page on a black lid came
out framed by a dark rim 10-20 pixels wide, with grey blotches in the rest of the surround
(bench/surround.py).

:func:`find_surround` finds the surround among the page's wide dark areas (darker than :data:`LID`
of the paper's grey: :func:`docclean.solids.dark_areas`, the search that finds solid black areas,
at a looser level): the ones that run along the page's edge (:data:`EDGE`) and are even (a lid is
one grey; a shadow fades, a table's grain varies: :data:`EVEN`). :func:`clear_surround` paints
white the parts of them a seed square fits in (a thick stroke running off the page onto the lid is
as dark as the lid, but narrower), except within a seed's width of writing in them (groups of
letter-sized marks lighter or darker than the area around them: :mod:`docclean.areawriting`;
white letters on a black band running off the page, text on a grey band printed to the edge)
and of patches lighter than the area (:data:`LIGHTER`: a stain at the page's edge that joins
the lid, with the text in it). There the network cleans as it did before; a lone fleck of dust or
a hair on the lid, or the shadow along the page's edge, is not writing. The ink-loss guard does
not count the surround as strokes (:func:`docclean.inkloss.ink_loss`).

Light writing alone on a lid (a microfilm frame's number, or flecks of dust grouped like letters)
the network drew as a grey blotch with light marks in it: a box of grey some 60 pixels wide in the
white surround of a form on a black lid. :class:`Surround` shows it dark on white instead (the
page turned over between the lid's grey and the paper's: :meth:`Surround.apply`), with the lid
around it, where its letters lie on the lid itself (not the paper between the page's thick strokes
where they run into the lid), the lid around them is flat (a shadow turned over is a grey ramp),
no letter reaches the network's part of the area and no light mark that is not writing lies next
to it (a letter joined to a light box on the lid): a letter the network drew light would vanish
on white. Of 819 pages as they are and laid on lids, that changed three, one a real form
(bench/experiments/lid_writing.py, bench/results/lid_writing.md).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import cv2
import numpy as np

from docclean.areawriting import (
    WRITING,
    AreaWriting,
    mostly_outside,
    near_writing,
    with_holes,
)
from docclean.edgebands import edge_bands
from docclean.regions import edge_runs, full_size
from docclean.solids import SCALE, SEED, dark_areas, page_paper, shrunk, wide_parts

#: The surround is darker than this share of the paper's grey. The network leaves its rim around the
#: page at every grey a lid has (0.1 to 0.6 of the paper's: bench/surround.py); lighter than this,
#: a grey area at the edge is as likely a shadow or tinted paper as a lid.
LID = 0.6
#: ... and runs along the page's edge for at least this share of the page's shorter side: a lid
#: shows along whole sides of the scan (a tilted page's wedge too), a stain only where it reaches the
#: edge.
EDGE = 1 / 3
#: ... and even: its 2nd and 98th percentiles of grey are at most this share of the paper's grey
#: apart, leaving out what is lighter than the area by :data:`LIGHTER` (the page reaching into it,
#: kept apart by :func:`_near_page`). A lid's grain is a few hundredths; a shadow's fade or a
#: table's wood grain spans more.
EVEN = 0.15
#: Within a dark area, a patch lighter than the area's own grey (its median) by this share of the
#: paper's grey and of at least :data:`PATCH` pixels of the shrunk page is the page reaching into it
#: (a stain at the page's edge that joins the lid); it and what lies near it stay the network's.
#: A lid's grain, and light falling off across it, stay under it.
LIGHTER = 0.08
PATCH = (SEED // SCALE) ** 2 // 4
#: ... and wider than this many pixels of the shrunk page (a line along the area's edge is not one).
THIN = 4
#: A dark area that is more than this share near writing or lighter patches is the page itself in a
#: shadow (a faint page's dark foot, its lines of text all through it), not a lid with a few
#: flecks on it: all of it is left to the network.
MOSTLY_PAGE = 0.25


@dataclass
class Surround:
    """The dark surround of a page (:func:`find_surround`): what the engine paints white, and where
    light writing on it is shown dark on white."""

    lid: np.ndarray  #: full-size boolean: painted white
    levels: np.ndarray  #: on the shrunk page: the lid's grey where light writing lies on it, else -1
    paper: float  #: the page's paper grey

    @cached_property
    def writing(self) -> np.ndarray | None:
        """A full-size boolean mask of the light writing on the lid and the lid around it, or None
        when it has none (worked out once)."""
        shown = (self.levels >= 0).astype(np.uint8)
        if not shown.any():
            return None
        return cv2.resize(shown, self.lid.shape[::-1], interpolation=cv2.INTER_NEAREST).astype(bool)

    def mask(self) -> np.ndarray:
        """Everything :meth:`apply` changes, as a full-size boolean mask."""
        return self.lid if self.writing is None else self.lid | self.writing

    def apply(self, page: np.ndarray, cleaned: np.ndarray) -> np.ndarray:
        """``cleaned`` (changed in place, and returned) with the lid white and the light writing on
        it dark on white: ``page`` (the grey page the network cleaned) turned over between the lid's
        grey (white) and the paper's (black) there."""
        where = self.writing
        if where is not None:
            full = cv2.resize(self.levels, self.lid.shape[::-1], interpolation=cv2.INTER_NEAREST)
            level = full[where]
            cleaned[where] = 1 - np.clip((page[where] - level) / np.maximum(self.paper - level, 1e-3), 0, 1)
        return paint_white(cleaned, self.lid)


def find_surround(page: np.ndarray, paper: float | None = None, small: np.ndarray | None = None
                  ) -> Surround | None:
    """The dark surround of a grey float page (0..1) (see the module's docstring), or None when it
    has none. ``paper``: the page's paper grey, when the caller has it. ``small``: the page shrunk
    (:func:`docclean.solids.shrunk`), when the caller has it."""
    paper = page_paper(page) if paper is None else paper
    small = shrunk(page) if small is None else small
    # Bands too thin for a seed square: the network drew them as a grey strip along the page's edge.
    bands = edge_bands(small, paper, LID, EDGE, lambda values: _even(values, float(np.median(values)), paper))
    areas = dark_areas(page, paper, LID, small=small)
    if areas is None:
        if bands is None:
            return None
        return Surround(full_size(bands, page.shape), np.full(small.shape, -1, np.float32), paper)
    keep = np.zeros(areas.dark.shape, np.uint8) if bands is None else bands.copy()
    levels = np.full(areas.dark.shape, -1, np.float32)
    for label in areas.seeded:
        region, (x, y) = areas.region(label)
        if edge_runs(region.astype(np.int32), 2, (x, y), areas.dark.shape)[1] < EDGE * min(areas.dark.shape):
            continue
        bh, bw = region.shape
        small = areas.small[y:y + bh, x:x + bw]
        values = small[region.astype(bool)]
        level = float(np.median(values))  # the area's own grey
        if not _even(values, level, areas.paper):
            continue
        found = near_writing(small, region, level, areas.paper, (x, y), areas.dark.shape)
        network = found.dark | _near_page(small, region, level, areas.paper)  # what stays the network's
        near = found.marks | found.light | network
        if (near.astype(bool) & region.astype(bool)).sum() > MOSTLY_PAGE * region.sum():
            continue  # writing all over it: the page in shadow, not a lid
        lid = _lid_part(region, (x, y), areas.dark.shape)
        # Light writing on the lid (white letters on a black band running off the page, numbers on a
        # microfilm frame, or flecks of dust that look like them): the network blurred it into a grey
        # blotch, so it is shown dark on white, with the lid around it, except where light marks
        # that are not part of it (a letter joined to a light box on the lid) lie next to it.
        body = with_holes(lid)  # the lid with the letters in it, not a stroke running off the page
        shown, network = _shown(found, network, body, small, level, areas.paper)
        if shown.any():  # its edge next to the page is painted white with the lid: no page pixel turns over
            levels[y:y + bh, x:x + bw][shown.astype(bool)] = level
            keep[y:y + bh, x:x + bw] |= (lid | (found.light & body)) * (network == 0) * (shown == 0)
        else:  # the network's, with the lid near any marks on it
            keep[y:y + bh, x:x + bw] |= lid * (near == 0)
    if not keep.any() and not (levels >= 0).any():
        return None
    # Not the dark pixels near it: the page's own edge, a rule or a letter close to it, are the page.
    return Surround(areas.full_mask(keep, reach=False), levels, areas.paper)


def surround_areas(page: np.ndarray, paper: float | None = None, small: np.ndarray | None = None
                   ) -> np.ndarray | None:
    """A full-size boolean mask of everything the dark surround of a grey float page (0..1) covers
    (:meth:`Surround.mask` of :func:`find_surround`), or None when it has none."""
    surround = find_surround(page, paper, small)
    return None if surround is None else surround.mask()


def _even(levels: np.ndarray, level: float, paper: float) -> bool:
    """Whether a dark area's grey ``levels`` are even (:data:`EVEN`): its 2nd percentile and the
    98th of those no lighter than :data:`LIGHTER` above its ``level`` (median) lie that close. The lighter
    ones are the page reaching into it (a stain, a coffee ring touching the page's edge), which
    :func:`_near_page` keeps out; a shadow fading into the page spreads its darker side too."""
    lid_like = levels[levels <= level + LIGHTER * paper]
    return float(np.percentile(lid_like, 98) - np.percentile(levels, 2)) <= EVEN * paper


def _lid_part(region: np.ndarray, at: tuple[int, int], shape: tuple[int, int]) -> np.ndarray:
    """The part of a dark area (``region`` over its bounding box at ``at`` on a shrunk page of
    ``shape``) that a seed square fits in and that still runs along the page's edge (:data:`EDGE`)
    once the rest is cut away (uint8). Writing that runs off the page onto the lid is as dark as the
    lid but narrower: the square does not fit in it, and what it joined to the lid (a stain, the
    letters' thick parts) is cut off with it."""
    labels, runs = wide_parts(region, at, shape)
    along = runs >= EDGE * min(shape)
    along[0] = False
    return along[labels].astype(np.uint8)


def _shown(found: AreaWriting, network: np.ndarray, body: np.ndarray, small: np.ndarray, lid: float, paper: float
           ) -> tuple[np.ndarray, np.ndarray]:
    """Where a dark area's light writing (``found``) is shown dark on white, and the part of the area
    left to the network (``network`` and what lies near light marks off the lid), as uint8 masks of
    its box, given the lid part with its holes (``body``), the shrunk page over the box (``small``),
    the lid's grey and the paper's.

    Only letters on the lid itself (mostly in ``body``) are shown, with the lid around them, away
    from its edge: the paper between the page's thick strokes where they run into the lid is light
    on the dark area too. All of it, or none where a letter reaches into the network's part, a
    light mark that is not writing (:attr:`~docclean.areawriting.AreaWriting.stray`) lies next to
    it, or the lid around the letters is not flat: the network draws a light letter light on grey,
    and the lid around it would be white, so a letter cut by that edge would vanish on its white
    side; a shadow turned over is a grey ramp in a box."""
    reach = np.ones((2 * (SEED // SCALE) + 1,) * 2, np.uint8)
    on_lid = found.letters & (mostly_outside(found.letters, body == 0) > 0)
    off_lid = found.letters & (on_lid == 0)
    if off_lid.any():
        network = network | cv2.dilate(off_lid, reach)
    none = np.zeros_like(network)
    if not on_lid.any():
        return none, network
    shown = cv2.dilate(on_lid, reach) & (network == 0) & cv2.erode(body, np.ones((3, 3), np.uint8))
    beside = cv2.dilate(shown, np.ones((5, 5), np.uint8)).astype(bool)
    count, labels = cv2.connectedComponents(found.letters, connectivity=8)
    reached = np.zeros(count, bool)  # the letters the network's part reaches
    reached[labels[network.astype(bool)]] = True
    reached[0] = False
    if (reached[labels] & beside).any() or (found.stray.astype(bool) & beside).any():
        return none, network
    plain = shown.astype(bool) & (cv2.dilate(on_lid, np.ones((5, 5), np.uint8)) == 0)
    if plain.any() and float(np.percentile(small[plain], 98)) > lid + WRITING * paper:
        return none, network
    return shown, network


def _near_page(small: np.ndarray, region: np.ndarray, level: float, paper: float) -> np.ndarray:
    """The part of a dark area (``region`` over the shrunk page ``small``, both its bounding box)
    within a seed's width of a patch of it lighter than its own ``level`` (its median) by
    :data:`LIGHTER` of the paper's grey and at least :data:`PATCH` pixels large (uint8): a stain
    on the page that joins the lid, and the writing in it, stay the network's. Lone flecks of
    dust are smaller."""
    lighter = ((small > level + LIGHTER * paper) & region.astype(bool)).astype(np.uint8)
    # Patches, not lines: the grey step from a black lid up to the page's edge (blur, JPEG) is a
    # thin line of lighter pixels all along the area; counted, it kept a band along the edge
    # out of the surround, and the network's dark rim stayed there (a receipt on black: strips).
    lighter = cv2.morphologyEx(lighter, cv2.MORPH_OPEN, np.ones((THIN + 1,) * 2, np.uint8))
    count, labels, stats, _ = cv2.connectedComponentsWithStats(lighter, connectivity=8)
    big = stats[:, cv2.CC_STAT_AREA] >= PATCH
    big[0] = False
    if not big.any():
        return np.zeros(region.shape, np.uint8)
    side = SEED // SCALE
    return cv2.dilate(big[labels].astype(np.uint8), np.ones((2 * side + 1,) * 2, np.uint8))


def clear_surround(page: np.ndarray, cleaned: np.ndarray, paper: float | None = None,
                   small: np.ndarray | None = None) -> np.ndarray:
    """``cleaned`` (changed in place, and returned) with the dark surround of ``page`` (the grey page
    the network cleaned) painted white. ``paper``: the page's paper grey, when the caller has it.
    ``small``: the page shrunk (:func:`docclean.solids.shrunk`), when the caller has it."""
    surround = find_surround(page, paper, small)
    return cleaned if surround is None else surround.apply(page, cleaned)


def paint_white(cleaned: np.ndarray, mask: np.ndarray | None) -> np.ndarray:
    """``cleaned`` (changed in place, and returned) white where ``mask`` (the surround) is true."""
    if mask is not None:
        cleaned[mask] = 1.0
    return cleaned
