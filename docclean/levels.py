"""Auto levels: bring a dark or washed-out scan to the paper and contrast the network works best on.

The network decides what is ink partly by how dark it is, so the same page scanned darker or paler
loses more strokes: with every grey level times 0.7, 8.5% of the synthetic pages' strokes went
instead of 2.0%; with the contrast halved, 29% (bench/results/exposure.md). Before cleaning, a page
whose paper (:func:`page_levels`: the median of its brighter grey levels) is darker than
:data:`PAPER` is brightened until it is, and a page
whose contrast (paper minus its darkest 1%) is under :data:`CONTRAST` is then stretched away from
white until it is that, by at most :data:`MAX_STRETCH`. Pages already in range are left exactly as
they are. The darkest 1% is taken outside wide dark areas (:func:`wide_dark`: a black logo or bar,
a scanner lid, a photograph, a grey box), which are not the page's writing. The two levels
were set by reasoning (Dirty Documents' paper sits near 0.86; 0.4 is half an ordinary print's
contrast); the cap of 3 was chosen on the synthetic pages among 2, 3, 4 and
none, and a gate that stretched only pages whose ink stands out from the paper's grain was tried
and dropped (it left the faint pages that need the stretch most: bench/results/exposure.md).
The price: a blank stained sheet comes out with a little more residue (its binarized page 2.4%
black instead of 1.4%, on synthetic blank pages). Until 2026-12-05 the paper was the median of every
pixel, which on a page lying on a dark scanner lid is the lid: the page was multiplied by up to
8.5 and synthetic pages on a dark platen lost 82% of their strokes (bench/results/paper_level.md).

A 1-bit page (fax, a bilevel TIFF archive, a scanner's black-and-white mode) holds no grey the
network could read, and a dithered one is all dots: the network, which learned on grey scans, took
a dithered page's text for noise (F-measure 14 on synthetic pages) and dropped 5% of the strokes
of a thresholded noisy scan. :func:`soften_bilevel` gives such a page a light blur first, which
turns dither back into grey and gives edges the softness of a scan
(bench/results/bilevel.md).

A negative (light writing on dark paper: microfilm, photostats) came out as blank grey: the
network keeps what is darker than its surroundings. :func:`is_negative` finds one (mostly dark,
and its light part thin strokes rather than a sheet of paper, or far more thin light marks than
thin dark ones) and the engine cleans the page inverted, so the result is dark writing on white
paper like every other.
"""

from __future__ import annotations

import cv2
import numpy as np

#: A page whose paper is darker than this is brightened (a gain) until its paper is this grey.
PAPER = 0.85
#: A page with less contrast than this (paper minus the darkest 1%) is stretched from white to it.
CONTRAST = 0.4
#: The stretch is at most this factor (contrast 0.1 becomes 0.3).
MAX_STRETCH = 3.0
#: The statistics come from every STEP-th pixel in each direction: the same figures, 16x cheaper.
STEP = 4
#: A page's contrast is read from its writing, not from wide areas clearly darker than its paper:
#: those darker than the paper by this much ...
WIDE_MARGIN = 0.1
#: ... that a square this many pixels wide fits in (docclean.solids' SEED): a black logo or bar, a
#: scanner lid, a photograph, a grey box. Read with them, a faint page with a black logo, a dark
#: photograph or a grey box over text measured as full contrast and was not stretched: 26-31% of
#: its strokes lost against under 1% alone (bench/experiments/dark_area_sweep.py and
#: surround_strokes.py; the margin chosen there among 0.1 and 0.2, on synthetic pages) ...
SOLID_WIDE = 33
#: ... unless they leave under this share of the page.
SOLID_REST = 0.05
#: A page is a negative when its light part is under this share of it (writing, not a sheet) ...
NEGATIVE_LIGHT = 0.35
#: ... and its largest connected light region under this share of the light part (many marks, not
#: one sheet; a crease or a rule may join some of them) ...
NEGATIVE_LARGEST = 0.5
#: ... and under this share of the light part survives an erosion by this many sampled pixels (5:
#: 20 page pixels; thin strokes, not the patches of paper a table's rules cut apart). Set on the
#: pages of bench/negatives.py, which prints how close the positive pages come to each limit.
NEGATIVE_THICK = 0.1
NEGATIVE_EROSION = 5
#: A mostly dark page that fails those two tests is still a negative when, on the page at half size,
#: its thin light marks (8-connected regions of the light part that no :data:`NEGATIVE_STROKE`-pixel
#: square fits in: letters, not stains or table cells) number at least :data:`NEGATIVE_MARKS` and
#: at least :data:`NEGATIVE_RATIO` times its thin dark marks (plus one each). In a negative the
#: letters are light and the counters inside them dark; in a positive it is the other way round,
#: and the wide light blotches a stain leaves in a negative (which joined its letters into one
#: region and failed the tests above) are not counted. Set by reasoning and checked on the
#: synthetic and Dirty Documents pages (inverted, as they are and on a dark platen): no positive
#: there has 200 thin light marks while mostly dark; 3 is a margin over the 2 letters per counter
#: of ordinary text. bench/negatives.py prints how close the positive pages come.
NEGATIVE_MARKS = 200
NEGATIVE_RATIO = 3
NEGATIVE_STROKE = 7
#: Gaussian sigma (pixels) of the blur a two-level page gets; chosen on synthetic pages among 0.7, 1
#: and 1.5 (bench/results/bilevel.md): 1 lost 0.84% of a thresholded scan's strokes against 1.17%
#: for 0.7, and scored the best F-measure on dithered pages; 1.5 lost fewer (0.57%) but cost
#: 4-8 F-measure points on every kind of 1-bit page.
BILEVEL_SIGMA = 1.0


def _sample(page: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Every :data:`STEP`-th pixel of a float page, and the same as grey levels 0..255 (for Otsu)."""
    sample = page[::STEP, ::STEP]
    return sample, np.clip(sample * 255 + 0.5, 0, 255).astype(np.uint8)


def light_marks(page: np.ndarray) -> tuple[float, float, float] | None:
    """What :func:`is_negative` judges a page by, from every :data:`STEP`-th pixel: its light part
    (above Otsu's cut) as a share of the page, its largest 8-connected region as a share of the
    light part, and the share of the light part that survives an erosion by
    :data:`NEGATIVE_EROSION` sampled pixels. None for a page with no light part or too little
    contrast to have one."""
    _, u8 = _sample(page)
    light = cv2.threshold(u8, 0, 1, cv2.THRESH_BINARY + cv2.THRESH_OTSU)[1]
    total = int(light.sum())
    if total == 0 or int(u8.max()) - int(u8.min()) < 64:
        return None
    _, _, stats, _ = cv2.connectedComponentsWithStats(light, connectivity=8)
    thick = cv2.erode(light, np.ones((NEGATIVE_EROSION, NEGATIVE_EROSION), np.uint8))
    return total / light.size, int(stats[1:, cv2.CC_STAT_AREA].max()) / total, int(thick.sum()) / total


def thin_marks(page: np.ndarray) -> tuple[int, int]:
    """(dark, light): how many thin marks of each kind a grey float page has at half size: the
    8-connected regions of its dark and of its light part (split at Otsu's cut) of at least 4
    pixels that no :data:`NEGATIVE_STROKE`-pixel square fits in."""
    h, w = page.shape
    small = cv2.resize(page, (max(1, w // 2), max(1, h // 2)), interpolation=cv2.INTER_AREA)
    u8 = np.clip(small * 255 + 0.5, 0, 255).astype(np.uint8)
    light = cv2.threshold(u8, 0, 1, cv2.THRESH_BINARY + cv2.THRESH_OTSU)[1]
    square = np.ones((NEGATIVE_STROKE, NEGATIVE_STROKE), np.uint8)
    counts = []
    for part in (1 - light, light):
        count, labels, stats, _ = cv2.connectedComponentsWithStats(part, connectivity=8)
        thick = np.zeros(count, bool)
        thick[labels[cv2.erode(part, square).astype(bool)]] = True
        counts.append(int(((stats[:, cv2.CC_STAT_AREA] >= 4) & ~thick)[1:].sum()))
    return counts[0], counts[1]


def is_negative(page: np.ndarray) -> bool:
    """Whether a grey page is a negative (light writing on dark paper: microfilm, a photostat)
    (:func:`light_marks`): its light part is under :data:`NEGATIVE_LIGHT` of it, is many separate
    marks rather than one sheet (its largest region under :data:`NEGATIVE_LARGEST` of it), and is
    thin strokes rather than patches (under :data:`NEGATIVE_THICK` of it survives the erosion). A
    receipt on a dark scanner lid, a page half in shadow or a table whose cells its rules cut apart
    has a light part too, but one sheet or a few wide patches, and is not a negative. A mostly dark
    page whose stains turned into light blotches joining its letters fails those tests, and is
    found by its thin marks instead (:func:`thin_marks`, :data:`NEGATIVE_MARKS`)."""
    marks = light_marks(page)
    if marks is None or marks[0] >= NEGATIVE_LIGHT:
        return False
    if marks[1] < NEGATIVE_LARGEST and marks[2] < NEGATIVE_THICK:
        return True
    dark, light = thin_marks(page)
    return light >= NEGATIVE_MARKS and light + 1 >= NEGATIVE_RATIO * (dark + 1)


def as_positive(page: np.ndarray) -> np.ndarray:
    """``page`` as float32 0..1, inverted when it is a negative (:func:`is_negative`): what the
    network cleans, and what the ink-loss guard compares the cleaned page with."""
    page = page.astype(np.float32) / np.float32(255) if page.dtype == np.uint8 else page
    return np.subtract(1, page, dtype=np.float32) if is_negative(page) else page


def is_bilevel(page: np.ndarray, between: float = 0.0) -> bool:
    """Whether a grey page has at most two grey levels (a 1-bit scan, whatever the file's type),
    give or take ``between`` (a share) of its pixels lying between its darkest and its lightest,
    judged on every :data:`STEP`-th pixel. With none allowed (the default), every pixel is then
    looked at too: the sample rejects a grey scan cheaply."""
    for sample in (page[::STEP, ::STEP], page) if between == 0 else (page[::STEP, ::STEP],):
        lo, hi = sample.min(), sample.max()
        if np.count_nonzero((sample != lo) & (sample != hi)) > between * sample.size:
            return False
    return True


def soften_bilevel(page: np.ndarray) -> np.ndarray:
    """``page`` (float32 0..1) blurred by :data:`BILEVEL_SIGMA` when it is two-level
    (:func:`is_bilevel`), so dither reads as grey; the page itself (not a copy) otherwise."""
    if not is_bilevel(page):
        return page
    return cv2.GaussianBlur(page, (0, 0), BILEVEL_SIGMA, borderType=cv2.BORDER_REFLECT)


def page_levels(page: np.ndarray) -> tuple[float, float]:
    """(paper, contrast) of a grey float page: the median of its brighter grey levels (those above
    Otsu's cut), and that minus its darkest 1% outside wide dark areas (:func:`wide_dark`). Not
    the median of every pixel: on a receipt lying on a dark scanner lid that is the lid
    (bench/results/paper_level.md)."""
    sample, u8 = _sample(page)
    paper = _paper(sample, u8)
    rest = sample[~wide_dark(sample, paper)]
    writing = rest if rest.size >= SOLID_REST * sample.size else sample
    return paper, paper - float(np.percentile(writing, 1))


def paper_level(page: np.ndarray) -> float:
    """:func:`page_levels`' paper alone (the median of the brighter grey levels), without the
    search for wide dark areas that the contrast needs."""
    return _paper(*_sample(page))


def _paper(sample: np.ndarray, u8: np.ndarray) -> float:
    cut = cv2.threshold(u8, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)[0]
    bright = sample[u8 > cut]
    return float(np.median(bright if bright.size else sample))


def wide_dark(sample: np.ndarray, paper: float) -> np.ndarray:
    """The pixels of a sampled page (every :data:`STEP`-th pixel) in wide dark areas: darker than
    the paper's grey by :data:`WIDE_MARGIN`, in a region a :data:`SOLID_WIDE`-pixel square fits."""
    dark = (sample < np.float32(paper - WIDE_MARGIN)).astype(np.uint8)
    side = max(1, SOLID_WIDE // STEP) | 1  # odd: an even square's opening shifts the area by a pixel
    return cv2.morphologyEx(dark, cv2.MORPH_OPEN, np.ones((side, side), np.uint8)).astype(bool)


def auto_levels(page: np.ndarray) -> np.ndarray:
    """``page`` (float32 0..1) with its paper brought up to :data:`PAPER` and its contrast up to
    :data:`CONTRAST` where they fall short; the page itself (not a copy) where neither does."""
    paper, contrast = page_levels(page)
    gain = PAPER / paper if 0 < paper < PAPER else 1.0
    contrast *= gain  # a gain scales both levels (percentiles commute with it): no second look
    stretch = min(CONTRAST / contrast, MAX_STRETCH) if 0 < contrast < CONTRAST else 1.0
    if gain == 1.0 and stretch == 1.0:
        return page
    out = np.multiply(page, np.float32(gain), dtype=np.float32)
    np.minimum(out, 1, out=out)
    if stretch != 1.0:  # 1 - (1 - out) * stretch, in place
        out -= 1
        out *= np.float32(stretch)
        out += 1
        np.clip(out, 0, 1, out=out)
    return out


def network_page(page: np.ndarray, levels: bool = True) -> np.ndarray:
    """The page as the network is given it (float32 0..1 in): a negative inverted
    (:func:`as_positive`), a two-level page softened (:func:`soften_bilevel`) and, with ``levels``,
    auto levels (:func:`auto_levels`; a black page lifted to paper). The engine cleans this page,
    and what it finds on the page after the network (solid areas, the surround) it finds on this one."""
    page = soften_bilevel(as_positive(page))
    if not levels:
        return page
    if float(page[::STEP, ::STEP].max()) < 0.5 / 255:
        # A black page (a separator sheet; every sampled pixel at grey level 0, so its paper is 0):
        # auto levels' gain cannot lift 0, and left black the network drew it grey with a dark frame
        # and a band. An offset puts it where the gain puts a nearly black page.
        return np.minimum(page + np.float32(PAPER), np.float32(1))
    return auto_levels(page)
