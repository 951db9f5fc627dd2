"""Noisy/clean training pairs: render a page window, ink it, damage it; write pairs to disk once.

:func:`make_pair` is deterministic for its ``rng``; :func:`write_pairs` gives page ``i`` of a set
the generator ``default_rng([seed, i])``, so a set is the same whatever ``n`` or the number of
worker processes, and an interrupted or extended set only renders the pages that are missing
(files are written atomically; existing pairs are the cache). Worker processes stop with the
caller (:mod:`docclean.synth.workers`), so a stopped set holds whole pairs and a rerun completes it.
"""

from __future__ import annotations

import errno
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from docclean.atomic import atomic_path
from docclean.errors import OutputError, UsageError
from docclean.synth import damage
from docclean.synth.boxes import form_boxes, writing_ink
from docclean.synth.fields import crease_field, lowres_field, paper_texture, shadow_field, stain_field
from docclean.synth.ink import ink_strength, pick_ink, thin_strokes, uneven_ink
from docclean.synth.layout import marker_strokes, render_layout
from docclean.synth.records import check_set, recorded
from docclean.synth.workers import run_in_workers, stop_signals_deferred

DEFAULT_DPIS = (100, 150, 200, 300, 300, 400, 600)
#: The chance that a page shows the other side's text through it (every set before the knob).
SHOW_THROUGH = 0.3


@dataclass(frozen=True)
class PairKind:
    """What kind of pairs a set holds (one kind per set folder).

    ``graded``: the target draws a faint stroke strengthened, not black
    (:func:`docclean.synth.ink.target_darkness`); False draws every stroke black.
    ``uneven``: the chance that each ink layer fades from stroke to stroke
    (:func:`docclean.synth.ink.uneven_ink`), drawn from a stream spawned off the page's generator:
    the rest of the pair is the same for any ``uneven``, and with 0 sets rendered before it existed
    reproduce. ``show_through``: the chance that the other side's text shows through (faint,
    mirrored, blurred: the mark a model must learn to drop while it keeps faint text). ``markers``:
    the chance that broad pen or marker strokes cross the page, mostly over its text
    (:func:`docclean.synth.layout.marker_strokes`), in an ink of their own; drawn from another
    spawned stream, so with 0 sets rendered before it existed reproduce. ``lines``: the chance of one
    more broad dark line that is damage, a fold or a scanner's border band (the target paper there),
    from a stream of its own: the counterweight to ``markers``, so that a model learns that not
    every broad dark line is a mark to keep. ``boxes``: the chance of a block of form boxes with
    writing in them (pencil half of the time) in place of the page's other content there, some rows
    lightly shaded (:func:`docclean.synth.boxes.form_boxes`; the target keeps the writing and clears
    the shading), from a stream spawned before the others."""

    graded: bool = True
    uneven: float = 0.0
    show_through: float = SHOW_THROUGH
    markers: float = 0.0
    lines: float = 0.0
    boxes: float = 0.0


@dataclass(frozen=True)
class PairSpec:
    """One page of a synthetic set: its generator seed, resolution, size in pixels and kind."""

    seed: int
    index: int
    dpi: int
    height: int
    width: int
    kind: PairKind = PairKind()

    @property
    def name(self) -> str:
        return f"s{self.seed}-{self.index:05d}-{self.dpi}dpi.png"


def make_pair(rng: np.random.Generator, dpi: int = 300, height: int = 768, width: int = 768,
              kind: PairKind = PairKind()) -> tuple[np.ndarray, np.ndarray]:
    """One ``(noisy, clean)`` pair of float32 pages in 0..1: a window of a page at ``dpi``, its
    content in random inks (black to faint) on aged paper with random damage, and the same content
    as dark ink on white paper, of the given :class:`PairKind`."""
    h, w = height, width
    main, extra = render_layout(h, w, dpi, rng)
    boxes = None
    if kind.boxes > 0:  # spawned first; with 0 nothing is spawned and sets before it reproduce
        brng = rng.spawn(1)[0]
        if brng.random() < kind.boxes:
            boxes = form_boxes(h, w, dpi, brng)
            y0, y1, x0, x1 = boxes.region
            main[y0:y1, x0:x1] = 0
            extra[y0:y1, x0:x1] = 0
    main = thin_strokes(main, rng, dpi)
    absorb_m, cov_m = ink_strength(main, pick_ink(rng), rng, kind.graded)
    absorb_x, cov_x = ink_strength(extra, pick_ink(rng, pen=True), rng, kind.graded)
    if boxes is not None:
        absorb_r, cov_r = ink_strength(boxes.rules, pick_ink(brng), brng, kind.graded)
        absorb_w, cov_w = ink_strength(boxes.writing, writing_ink(brng), brng, kind.graded)
        absorb_m = 1 - (1 - absorb_m) * (1 - absorb_r) * (1 - absorb_w)
        cov_m = np.maximum(cov_m, np.maximum(cov_r, cov_w))
    absorb_k = cov_k = None
    if kind.markers > 0:  # spawned first, so a page's uneven fading differs with markers on
        krng = rng.spawn(1)[0]
        if krng.random() < kind.markers:
            absorb_k, cov_k = ink_strength(marker_strokes(h, w, dpi, krng), pick_ink(krng, pen=True), krng,
                                           kind.graded)
    if kind.uneven > 0:  # its own stream: the rest of the page is the same as without it
        urng = rng.spawn(1)[0]
        if urng.random() < kind.uneven:
            absorb_m = uneven_ink(absorb_m, urng, dpi)
        if urng.random() < kind.uneven:
            absorb_x = uneven_ink(absorb_x, urng, dpi)
    extra_line = extra_fold = False
    if kind.lines > 0:  # its own stream, spawned after the markers' one
        lrng = rng.spawn(1)[0]
        extra_line = lrng.random() < kind.lines
        extra_fold = extra_line and lrng.random() < 0.5
    cov = np.maximum(cov_m, cov_x)
    if cov_k is not None:
        absorb_x, cov = 1 - (1 - absorb_x) * (1 - absorb_k), np.maximum(cov, cov_k)
    paper = float(rng.uniform(0.55, 1.0)) if rng.random() < 0.5 else float(rng.uniform(0.8, 1.0))
    page = paper * paper_texture(h, w, rng, float(rng.uniform(0.0, 0.08)))
    page = page * (1 - absorb_m) * (1 - absorb_x)
    if boxes is not None:
        page = page * boxes.tint
    if rng.random() < kind.show_through:  # show-through of the other side (its text upside down and mirrored)
        back = np.roll(main[::-1], int(rng.integers(0, h)), axis=0)
        page = damage.bleed_through(page, back, rng)
    if rng.random() < 0.5:
        page = page * lowres_field(shadow_field, h, w, rng)
    for _ in range(int(rng.integers(0, 4)) if rng.random() < 0.45 else 0):
        page = page * lowres_field(stain_field, h, w, rng, factor=4)
    if rng.random() < 0.25:
        page = page * crease_field(h, w, rng)
    if extra_fold:
        page = page * crease_field(h, w, lrng)
    page = page.astype(np.float32)
    style = rng.random()
    if style < 0.04:
        page = damage.fax(page, rng)
        cov = cov * (page < 0.5)  # the target is what the fax kept
    elif style < 0.14:
        page = damage.photocopy(page, rng)
    border = np.zeros((h, w), np.float32)
    if rng.random() < 0.1:
        page, border = damage.scanner_border(page, rng)
    if extra_line and not extra_fold:
        page, band = damage.scanner_border(page, lrng)
        border = np.maximum(border, band)
    page = damage.blur(page, rng, dpi)
    if rng.random() < 0.3:
        page = damage.speckle(page, rng, dpi)
    if rng.random() < 0.2:
        page = damage.salt_and_pepper(page, rng)
    page = damage.sensor_noise(page, rng)
    if rng.random() < 0.6:
        page = damage.jpeg(page, rng)
    ink_level = float(rng.uniform(0.0, 0.15))
    clean = 1.0 - cov * (1.0 - ink_level) * (border < 0.5)
    return np.clip(page, 0, 1).astype(np.float32), clean.astype(np.float32)


def pair_specs(n: int, seed: int = 0, dpis: tuple[int, ...] = DEFAULT_DPIS, size: int = 768,
               kind: PairKind = PairKind()) -> list[PairSpec]:
    """The pages of a set: page ``i`` takes resolution ``dpis[i % len(dpis)]``."""
    return [PairSpec(seed, i, int(dpis[i % len(dpis)]), size, size, kind) for i in range(n)]


def _write(spec: PairSpec, out: Path) -> str:
    noisy_path, clean_path = out / "noisy" / spec.name, out / "clean" / spec.name
    if noisy_path.exists() and clean_path.exists():
        return spec.name
    noisy, clean = make_pair(np.random.default_rng([spec.seed, spec.index]), spec.dpi, spec.height, spec.width,
                             spec.kind)
    # A signal raised inside atomic_path before it guards its temporary file would leave that file
    # behind: the pair is written whole first (a fraction of its rendering time), then the signal acts.
    with stop_signals_deferred():
        written: list[Path] = []
        path = clean_path
        try:
            for path, img in ((clean_path, clean), (noisy_path, noisy)):
                data = _png(img, path)
                with atomic_path(path, suffix=".png") as tmp:
                    tmp.write_bytes(data)  # Python's write: a full disk is an OSError with its errno
                written.append(path)
        except OSError as exc:
            for done in written:  # never half a pair: a rerun renders it again whole
                done.unlink(missing_ok=True)
            raise OutputError(f"cannot write the pair ({write_failure(exc)}); the pairs written before it are whole: "
                              "make room and rerun the same command to complete the set", path) from None
    return spec.name


def _png(img: np.ndarray, path: Path) -> bytes:
    """``img`` (0..1) as 8-bit PNG bytes; encoded in memory, so that writing them reports why it fails
    (``cv2.imwrite`` only answers False)."""
    ok, buf = cv2.imencode(".png", (img * 255).round().astype(np.uint8))
    if not ok:
        raise OutputError("cannot encode the page as PNG", path)
    return buf.tobytes()


def write_failure(exc: OSError) -> str:
    """Why a write failed, in words: the disk is full, the quota is used up, or the system's reason."""
    if exc.errno == errno.ENOSPC:
        return "the disk is full"
    if exc.errno == errno.EDQUOT:
        return "the disk quota is used up"
    return exc.strerror or str(exc)


def write_pairs(out: str | Path, n: int, seed: int = 0, dpis: tuple[int, ...] = DEFAULT_DPIS, size: int = 768,
                workers: int = 1, kind: PairKind = PairKind()) -> list[str]:
    """Write ``n`` pairs as ``out/noisy/NAME.png`` and ``out/clean/NAME.png`` (8-bit grey), skipping
    pairs already there; returns the file names in order. A set folder holds one :class:`PairKind`:
    keep sets of other kinds in folders of their own. ValueError for options that cannot make a set
    (checked before anything is written); :class:`DataError` for a folder whose ``set.json`` is not
    this set's record."""
    _check_options(n, seed, dpis, size)
    out = Path(out)
    for folder in (out, out / "noisy", out / "clean"):
        if (folder.exists() or folder.is_symlink()) and not folder.is_dir():
            raise UsageError("is not a folder (a file of that name is in the way); choose another OUT", folder)
    try:
        check_set(out, {"size": size, "dpis": [int(d) for d in dpis], "kind": recorded(kind)})
        (out / "noisy").mkdir(parents=True, exist_ok=True)
        (out / "clean").mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputError(f"cannot write the set here ({exc.strerror or exc})", out) from None
    specs = pair_specs(n, seed, dpis, size, kind)
    if workers <= 1:
        return [_write(s, out) for s in specs]
    return run_in_workers(_write, [(s, out) for s in specs], workers)


def pairs_in(out: str | Path) -> int:
    """How many pairs a set folder holds (its noisy pages), whatever seeds and runs wrote them."""
    noisy = Path(out) / "noisy"
    return sum(1 for p in noisy.iterdir() if p.suffix == ".png") if noisy.is_dir() else 0


def _check_options(n: int, seed: int, dpis: tuple[int, ...], size: int) -> None:
    # numpy's own message for a negative seed ("expected non-negative integer") names no option.
    if seed < 0:
        raise ValueError(f"seed must be a non-negative integer, not {seed}")
    if n < 0:
        raise ValueError(f"n must be a non-negative number of pairs, not {n}")
    if size < 1:
        raise ValueError(f"size must be a positive number of pixels, not {size}")
    if not dpis or min(dpis) < 1:
        raise ValueError(f"dpis must be one or more positive resolutions, not {tuple(dpis)}")
