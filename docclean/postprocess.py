"""What happens to a cleaned page after the network: binarization.

Pure numpy/OpenCV, cheap enough to run on every page. The ink-loss check that the batch runs on
every written page is :mod:`docclean.inkloss`.

* :func:`binarize` turns the cleaned grey page into 1-bit. The default is adaptive (Sauvola's
  local threshold on the cleaned page, where paper is already flat white, combined with a bounded
  global Otsu cut): a faint or one-pixel stroke is darker than its own neighbourhood and stays
  black, where a fixed 0.5 cut loses it.
* :func:`binarize_without_show_through` (``--remove-show-through``, opt in) is the adaptive
  binarization with the lighter of two clearly separated ink layers turned to paper
  (:func:`drop_light_layer`): the other side of the sheet showing through, and with it any
  genuine faint writing on that page.
"""

from __future__ import annotations

import cv2
import numpy as np

from docclean.pixels import as_float

#: Sauvola's parameters: window edge in pixels, sensitivity k and dynamic range R of the std-dev.
SAUVOLA_WINDOW, SAUVOLA_K, SAUVOLA_R = 31, 0.2, 0.5
#: The global cut: Otsu's threshold of the cleaned page, kept within these bounds. A cleaned page is
#: nearly two-valued (ink near 0, paper near 1), so Otsu falls between them; the bounds keep a page of
#: almost only paper (where Otsu is meaningless) from calling pale grey residue ink, and a page of
#: almost only ink from losing faint strokes. The default model draws a faint stroke at about half
#: darkness (its synthetic targets are graded, ``docclean.synth.ink.target_darkness``), so the cut
#: must sit above 0.5. Chosen on 56 synthetic pages (seed 3000, F-measure against every stroke of the
#: target: 0.845 against 0.838 for the earlier (0.5, 0.75)), not on real scans.
GLOBAL_CUT = (0.6, 0.85)
#: Otsu's cut is taken over the page without its wide dark areas: those a square this wide fits in,
#: wider than any stroke the engine passes (``max_stroke``, 11 px). A page on a dark scanner lid
#: comes out of the model with a black rim around it, and those dark pixels dragged the cut to its
#: floor, so the faint strokes the model leaves grey (0.6-0.8) went white: synthetic pages on a
#: dark platen lost 7.75% of their strokes, 1.67% with this, and pages as they are 0.62% either way
#: (F 83.69 to 83.48). Widths 9 and 25 scored alike (1.55% and 1.74%); 15 follows from the stroke
#: width. Synthetic pages only (bench/experiments/global_cut.py, bench/results/global_cut.md).
THICK = 15
#: Below this grey level a cleaned pixel is ink whatever its neighbourhood, unless something
#: within Sauvola's window is darker than it by :data:`DARKER_NEARBY` (then it is dark shading
#: with writing on it, and Sauvola's test decides). Sauvola's threshold inside a wide, even dark
#: area is its mean times 1 - k (the deviation there is nil), below the area's own grey, so
#: without this the inside of a black box or bar, or of a stroke wider than the window, turned
#: white (bench/solids.py). A cleaned page's paper is near 1 and its ink near 0: a quarter of the
#: way to white is ink by any reading. Both set by reasoning, not tuned.
#: So is a pixel of a wide area (one a :data:`THICK` square fits in) darker than the global cut: a
#: grey fill kept as scanned (a logo, a disc in a diagram, a bar of a bar chart:
#: ``docclean.shading``) is even, Sauvola's threshold sinks below its grey inside it, and it came out
#: as a ring with ragged holes. A cleaned page's paper and stains are lighter than the cut; on the
#: historical pages of real-scans/dibco-extra no page changed, on 56 synthetic pages one, by
#: 0.01 F-measure (bench/experiments/binarize_fills.py, bench/results/shading.md).
INK_LEVEL = 0.25
DARKER_NEARBY = 0.1
#: Above this grey level a pixel is paper whatever its neighbourhood: the global cut is always lower,
#: and ink grows (hysteresis) only into pixels darker than this.
PAPER_LEVEL = 0.92
#: ``keep_faint`` grows the adaptive ink into the *body* of every connected mark: a grown pixel
#: stays ink only when it is darker than this share of the way from the darkest pixel within
#: :data:`FAINT_WINDOW` to white. So a faint stroke keeps its own width while the grey halo around a
#: black stroke (darker than the paper level, far lighter than its core) stays paper. Chosen on the
#: 56 synthetic pages of ``bench/binarize_synthetic.py`` as the setting that keeps the untrimmed
#: growth's recall (median 0.997 against 0.998, pages under 80% 2 against 2) at the best
#: F-measure (76.8 against 71.1, with the mark limit below), never on real scans.
FAINT_SHARE = 0.8
FAINT_WINDOW = 5
#: Ink grows only into *marks*: pixels at least this much darker than the closing of the page over
#: :data:`MARK_WINDOW` (a black top-hat), i.e. darker than the paper around them within a window
#: wider than any faint stroke. Grey paper that a model left grey is not a mark, so growth never
#: floods it from the text: a random tiny model that leaves paper at 0.87 had 70% of a page
#: turned black without this test. On the synthetic pages it changes almost nothing.
MARK_CONTRAST = 0.05
MARK_WINDOW = 15
#: ``remove_show_through``: the marks of the adaptive ink (8-connected regions) are split in two
#: layers by the darkest cleaned grey in each (Otsu over their pixels), and the lighter layer turns
#: to paper when its mean darkest grey is at least this much lighter than the darker layer's. Set by
#: reasoning, not tuned: on historical pages the writing is near black in the cleaned page and the
#: other side's writing grey; 0.3 asks for a gap clearly wider than a pen's own variation.
#: ``bench/quality_real.py`` prints the dibco figures at 0.2 and 0.4 beside it.
LAYER_GAP = 0.3
#: A page with fewer ink pixels than this has no layers to tell apart.
LAYER_MIN_PIXELS = 100
#: A dropped layer under this share of the page's ink is specks, not writing: recorded, not warned
#: about (the sample scans' speck layers are 0.01-0.4% of their ink).
LAYER_WARNING = 0.01

def sauvola_threshold(page: np.ndarray, window: int = SAUVOLA_WINDOW, k: float = SAUVOLA_K,
                      r: float = SAUVOLA_R) -> np.ndarray:
    """Sauvola's per-pixel threshold ``m * (1 + k * (s / r - 1))`` over a ``window`` square."""
    page = as_float(page)
    size = (window, window)
    mean = cv2.boxFilter(page, cv2.CV_32F, size, borderType=cv2.BORDER_REFLECT)
    sq = cv2.boxFilter(page * page, cv2.CV_32F, size, borderType=cv2.BORDER_REFLECT)
    std = np.sqrt(np.maximum(sq - mean * mean, 0.0))
    return mean * (1.0 + k * (std / r - 1.0))


def binarize(cleaned: np.ndarray, threshold: float | None = None, keep_faint: bool = False) -> np.ndarray:
    """1-bit page from a cleaned grey page (float 0..1 or uint8); True = white paper.

    ``threshold`` None: adaptive (:func:`adaptive_ink`): a pixel is ink when it is below Sauvola's
    local threshold on the cleaned page *and* below a global cut. The local test keeps thin and
    faint strokes that are darker than their neighbourhood; the global one keeps pale residue
    (show-through, stain rims) on paper.
    ``keep_faint``: then the ink also grows into the marks connected to it (:func:`marks`: darker
    than :data:`PAPER_LEVEL` and than the paper around them; hysteresis, as in edge detection),
    as far as the body of each mark (:data:`FAINT_SHARE`): the faded rest of a stroke or a faint
    hairline whose darker part was found stays, whole; an isolated grey mark, the grey edge of a
    black stroke and grey paper do not. More ink kept, lower precision (README: quality). It
    relies on the model having whitened the paper: where it left the paper's texture, the
    texture that touches the letters grows into them, which is why it is not the default.
    A number: a fixed cut, pixels below it turn black."""
    page = as_float(cleaned)
    if threshold is not None:
        return page >= threshold
    ink = adaptive_ink(page)
    if keep_faint:
        ink |= grow_ink(ink, marks(page)) & mark_body(page)
    return ~ink


def ink_layers(page: np.ndarray, ink: np.ndarray, gap: float = LAYER_GAP) -> tuple[np.ndarray, np.ndarray] | None:
    """The two ink layers of a page, or None when it has one: each 8-connected mark of ``ink``
    (True = ink) is as dark as its darkest pixel of ``page`` (the cleaned grey page); Otsu splits
    the ink pixels by the darkness of their mark, and there are two layers when the lighter class's
    mean is at least ``gap`` lighter than the darker class's. Returns (labels of the marks, and per
    label whether that mark is in the lighter layer; label 0, the paper, is not)."""
    page = as_float(page)
    if int(ink.sum()) < LAYER_MIN_PIXELS:
        return None
    count, labels = cv2.connectedComponents(ink.astype(np.uint8), connectivity=8)
    darkest = np.ones(count, dtype=np.float32)
    np.minimum.at(darkest, labels[ink], page[ink])
    levels = np.clip(darkest[labels[ink]] * 255.0 + 0.5, 0, 255).astype(np.uint8)
    cut = cv2.threshold(levels.reshape(-1, 1), 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)[0]
    dark, light = levels[levels <= cut], levels[levels > cut]
    if light.size == 0 or dark.size == 0 or (light.mean() - dark.mean()) / 255.0 < gap:
        return None
    lighter = darkest > np.float32((cut + 0.5) / 255.0)
    lighter[0] = False  # the paper label
    return labels, lighter


def drop_light_layer(page: np.ndarray, ink: np.ndarray, gap: float = LAYER_GAP) -> np.ndarray:
    """``ink`` (True = ink) without its lighter layer (:func:`ink_layers`), when the page has two:
    every mark of the lighter layer turns to paper. A mark touching a dark stroke is part of it and
    stays. One layer of ink (any darkness) is left as it is."""
    layers = ink_layers(page, ink, gap)
    if layers is None:
        return ink
    labels, lighter = layers
    return ink & ~lighter[labels]


def binarize_without_show_through(cleaned: np.ndarray) -> tuple[np.ndarray, float]:
    """``--remove-show-through``: the adaptive 1-bit page (True = paper) without its lighter ink
    layer (:func:`drop_light_layer`), and the share (0..1) of the adaptive ink that went: 0 when the
    page had one layer. The batch records the share per page and warns where :func:`layer_warning`
    says so."""
    page = as_float(cleaned)
    ink = adaptive_ink(page)
    kept = drop_light_layer(page, ink)
    total = int(ink.sum())
    return ~kept, (total - int(kept.sum())) / total if total else 0.0


def layer_warning(share: float | None) -> bool:
    """Whether a page whose ``--remove-show-through`` dropped ``share`` of its ink (None: the
    option was off) deserves a warning: at least :data:`LAYER_WARNING`."""
    return share is not None and share >= LAYER_WARNING


def marks(page: np.ndarray) -> np.ndarray:
    """Where ink may grow: pixels darker than :data:`PAPER_LEVEL` and at least
    :data:`MARK_CONTRAST` darker than the page's closing over :data:`MARK_WINDOW` (strokes and
    hairlines, not an expanse of grey paper)."""
    page = as_float(page)
    window = np.ones((MARK_WINDOW, MARK_WINDOW), np.uint8)
    tophat = cv2.morphologyEx(page, cv2.MORPH_BLACKHAT, window, borderType=cv2.BORDER_REPLICATE)
    return (page < PAPER_LEVEL) & (tophat > MARK_CONTRAST)


def adaptive_ink(page: np.ndarray) -> np.ndarray:
    """The seeds of the adaptive binarization (True = ink): below Sauvola's local threshold on
    the cleaned page, which keeps thin and faint strokes darker than their neighbourhood, *and*
    below the global cut (:func:`global_cut`), which leaves pale residue on paper; or darker than
    :data:`INK_LEVEL`, or than the cut in a wide area, with nothing much darker nearby (the
    inside of a wide dark or grey area, where Sauvola's threshold sinks)."""
    page = as_float(page)
    cut = np.float32(global_cut(page))
    ink = page < np.minimum(sauvola_threshold(page), cut)
    dark = page < np.float32(INK_LEVEL)
    under = (page < cut).astype(np.uint8)
    dark |= cv2.morphologyEx(under, cv2.MORPH_OPEN, np.ones((THICK, THICK), np.uint8)).astype(bool)
    if dark.any():
        window = np.ones((SAUVOLA_WINDOW, SAUVOLA_WINDOW), np.uint8)
        darkest = cv2.erode(page, window, borderType=cv2.BORDER_REPLICATE)
        ink |= dark & (page <= darkest + np.float32(DARKER_NEARBY))
    return ink


def mark_body(page: np.ndarray, share: float = FAINT_SHARE, window: int = FAINT_WINDOW) -> np.ndarray:
    """Pixels darker than ``share`` of the way from the darkest pixel within ``window`` to white:
    the body of a mark at any strength, without the soft edge around it."""
    page = as_float(page)
    darkest = cv2.erode(page, np.ones((window, window), np.uint8))
    return page < darkest + np.float32(share) * (1.0 - darkest)


def grow_ink(ink: np.ndarray, candidates: np.ndarray) -> np.ndarray:
    """``ink`` plus every 8-connected region of ``candidates`` that touches it (boolean masks)."""
    count, labels = cv2.connectedComponents((candidates | ink).astype(np.uint8), connectivity=8)
    touched = np.zeros(count, dtype=bool)
    touched[labels[ink]] = True
    touched[0] = False  # the background label
    return touched[labels]


def global_cut(page: np.ndarray) -> float:
    """Otsu's threshold of a cleaned page (0..1), clipped to :data:`GLOBAL_CUT`, over its pixels
    outside wide dark areas (:data:`THICK`)."""
    u8 = np.clip(as_float(page) * 255.0 + 0.5, 0, 255).astype(np.uint8)
    dark = cv2.threshold(u8, 127, 1, cv2.THRESH_BINARY_INV)[1]
    thick = cv2.morphologyEx(dark, cv2.MORPH_OPEN, np.ones((THICK, THICK), np.uint8))
    if thick.any() and not thick.all():
        u8 = u8[thick == 0]
    return otsu_cut(u8)


def otsu_cut(levels: np.ndarray) -> float:
    """Otsu's threshold (0..1) of grey levels (uint8, any shape), clipped to :data:`GLOBAL_CUT`."""
    # Otsu puts grey levels <= t on the dark side: the cut between classes is half a level above t.
    otsu = (cv2.threshold(levels.reshape(-1, 1), 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)[0] + 0.5) / 255.0
    return float(np.clip(otsu, *GLOBAL_CUT))
