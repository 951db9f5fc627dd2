"""One typed request for a clean: every setting, with its default written once.

The CLI builds a :class:`CleanSettings` from its flags, the GUI from its controls, and a cluster
runner ships it to workers as a plain dict (:meth:`CleanSettings.to_dict` /
:meth:`CleanSettings.from_dict`). Each setting is read where it is used: the backend reads
``model``, ``backend``, ``device``, ``precision`` and ``threads``; the engine ``tile_size``,
``overlap`` and ``batch_size``; the page post-processing ``color``, ``binarize``, ``threshold``;
the batch runner ``fmt``, ``dpi``, ``overwrite``, ``dry_run`` and the limits.

Pure Python: importing this module loads no torch, so ``docclean --help`` stays fast.
"""

from __future__ import annotations

import dataclasses
import numbers
import os
from dataclasses import dataclass, fields
from typing import Any

from docclean import formats
from docclean.errors import UsageError

DEVICES = ("auto", "cpu", "cuda", "mps")
PRECISIONS = ("auto", "fp32", "bf16", "fp16")
BACKENDS = ("auto", "torch", "openvino", "onnx")
COLOR_POLICIES = ("gray", "keep")
#: ``max_stroke``'s default, in pixels: the network keeps strokes up to about this wide (the
#: synthetic pages, not the real scans, chose it: bench/results/stroke_scale.md).
MAX_STROKE = 11
#: Settings that leave a cleaned page's pixels as they are: how the work is split (threads, tiles
#: a call; in reduced precision they may change the rounding of a grey level, which a resumed file
#: tolerates and a preview does not: gui.worker.preview_key), what is written (format,
#: overwriting, a dry run), warnings and the memory guard. Every other setting can change them, so
#: one added later counts until it is listed here.
SAME_PIXELS = frozenset({"threads", "batch_size", "fmt", "ink_warning", "overwrite", "dry_run", "max_pixels"})


def available_cores() -> int:
    """The cores this process may run on (its CPU affinity), which may be fewer than the machine's."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):
        return max(1, os.cpu_count() or 1)


@dataclass(frozen=True)
class CleanSettings:
    """How to clean pages and write them. Immutable; use :meth:`replace` for a changed copy.

    - ``model``: a built-in model name or a ``.safetensors`` file.
    - ``backend``/``device``/``precision``/``threads``: how the network runs (``threads`` None:
      the cores this process may use).
    - ``tile_size``/``overlap``/``batch_size``: tiling (memory grows with the tile, not the page).
      ``batch_size`` 0 (the default) is the backend's choice: one tile per call on a CPU (two cost
      about 110-150 MB more at 600 dpi and were no faster, bench/results/clean_speed.md), 16 on a
      GPU (``default_batch_size``); any other value is used as given.
    - ``auto_levels``: a dark or washed-out page is brought to ordinary paper and contrast before
      cleaning (``docclean.levels``); pages already in range are untouched.
    - ``keep_solids``: solid black areas (bars, boxes, logos, a band with white writing in it),
      which the network hollows as if they were stains, are kept as the scan has them
      (``docclean.solids``).
    - ``clear_surround``: the scanner's dark surround (a page on a black lid or a dark table) comes
      out white, where the network leaves a dark rim around the page; near writing in it, it is
      left to the network (``docclean.surround``).
    - ``clear_shading``: flat grey boxes and bands printed behind text (a form's shaded cells) come
      out as paper with their writing on it, where the network draws a dark frame around them; a
      band with white writing comes out as the scan has it (``docclean.shading``).
    - ``keep_pictures``: pictures (photographs, banners: rectangles of continuous tone with sharp
      sides), which the network turns into line drawings, are kept as the scan has them
      (``docclean.pictures``).
    - ``keep_color_marks``: on a colour scan, marks in strongly coloured ink (a red stamp, a blue
      signature) are kept in the scan's grey where they lie over printed text, which the network
      erases as if they were stains (``docclean.colormarks``).
    - ``keep_box_writing``: faint writing between two rules (a form's boxes), which the network
      clears as if it were a shaded row, is cleaned again with the rules painted out and kept where
      that draws it darker (``docclean.ruled``).
    - ``max_stroke``: a page whose strokes are wider than this many pixels is also cleaned shrunk
      until they are this wide, keeping the darker result at every pixel (``docclean.engine``), and
      a part of a page whose wide strokes the network hollowed is cleaned again shrunk
      (``docclean.widestrokes``); 0 turns both off.
    - ``fmt``: output format name (None: each input's own); ``dpi``: PDF render resolution (None:
      that of the scan inside).
    - ``color``: ``gray`` writes the cleaned grey page; ``keep`` puts the original colour back
      (stamps, highlighter, coloured ink) on the cleaned page.
    - ``binarize``/``threshold``: 1-bit output; ``threshold`` None is the adaptive method that keeps
      faint strokes, a number is a fixed cut on the cleaned page. ``keep_faint`` (adaptive only):
      also every grey mark that touches a stroke stays black (more ink kept, more specks too).
      ``remove_show_through`` (adaptive only): the lighter of two clearly separated ink layers turns
      to paper (the other side showing through; genuine faint writing on such a page goes too).
    - ``ink_warning``: warn when cleaning removed more than this share of a page's dark strokes.
    - ``overwrite``: redo existing outputs; ``dry_run``: plan only.
    - ``max_pixels``: refuse pages larger than this (memory guard).
    """

    model: str = "default"
    backend: str = "auto"
    device: str = "auto"
    precision: str = "auto"
    threads: int | None = None
    tile_size: int = 1024
    overlap: int = 64
    batch_size: int = 0
    max_stroke: int = MAX_STROKE
    auto_levels: bool = True
    keep_solids: bool = True
    clear_surround: bool = True
    clear_shading: bool = True
    keep_pictures: bool = True
    keep_color_marks: bool = True
    keep_box_writing: bool = True
    fmt: str | None = None
    dpi: float | None = None
    color: str = "gray"
    binarize: bool = False
    threshold: float | None = None
    keep_faint: bool = False
    remove_show_through: bool = False
    ink_warning: float = 0.10
    overwrite: bool = False
    dry_run: bool = False
    max_pixels: int = 120_000_000

    def __post_init__(self) -> None:
        self._check_types()
        self._check_choice("backend", BACKENDS)
        self._check_choice("device", DEVICES)
        self._check_choice("precision", PRECISIONS)
        self._check_choice("color", COLOR_POLICIES)
        if self.fmt is not None:
            try:
                object.__setattr__(self, "fmt", formats.by_name(self.fmt).name)
            except ValueError as exc:
                raise UsageError(str(exc), settings=("fmt",)) from None
        if self.threads is not None and not 1 <= self.threads <= 1024:
            raise UsageError(f"threads must be between 1 and 1024, not {self.threads}", settings=("threads",))
        if not 64 <= self.tile_size <= 16384:
            raise UsageError(f"tile_size must be between 64 and 16384, not {self.tile_size}", settings=("tile_size",))
        if not 0 <= self.overlap <= self.tile_size // 4:
            raise UsageError(f"overlap must be between 0 and a quarter of tile_size ({self.tile_size // 4}), "
                             f"not {self.overlap}", settings=("overlap",))
        if not 0 <= self.batch_size <= 256:
            raise UsageError(f"batch_size must be between 1 and 256 (or 0: the backend's choice), "
                             f"not {self.batch_size}", settings=("batch_size",))
        if self.max_stroke != 0 and not 2 <= self.max_stroke <= 1000:
            raise UsageError(f"max_stroke must be 0 (off) or between 2 and 1000 pixels, not {self.max_stroke}",
                             settings=("max_stroke",))
        if self.threshold is not None and not 0.0 < self.threshold < 1.0:
            raise UsageError(f"threshold must lie between 0 and 1, not {self.threshold}", settings=("threshold",))
        if not 0.0 <= self.ink_warning <= 1.0:
            raise UsageError(f"ink_warning must lie between 0 and 1, not {self.ink_warning}", settings=("ink_warning",))
        if self.dpi is not None and not 10 <= self.dpi <= 2400:
            raise UsageError(f"dpi must lie between 10 and 2400, not {self.dpi}", settings=("dpi",))
        if self.max_pixels < 1:
            raise UsageError("max_pixels must be positive", settings=("max_pixels",))
        if self.threshold is not None and not self.binarize:  # else silently ignored, yet in the report
            raise UsageError("threshold is the cut of the 1-bit page: it needs binarize",
                             settings=("threshold", "binarize"))
        if self.keep_faint and (not self.binarize or self.threshold is not None):
            raise UsageError("keep_faint needs binarize, without threshold (it works with the adaptive binarization "
                             "only)", settings=("keep_faint", "binarize", "threshold"))
        if self.remove_show_through and (not self.binarize or self.threshold is not None):
            raise UsageError("remove_show_through needs binarize, without threshold (it works with the adaptive "
                             "binarization only)", settings=("remove_show_through", "binarize", "threshold"))
        if self.remove_show_through and self.keep_faint:
            raise UsageError("keep_faint and remove_show_through pull opposite ways; choose one",
                             settings=("keep_faint", "remove_show_through"))
        if self.color == "keep" and self.binarize:
            raise UsageError("keep_color and binarize cannot be combined (a 1-bit page has no colour)",
                             settings=("color", "binarize"))

    def _check_types(self) -> None:
        """UsageError naming the first setting whose value is of the wrong type, checked before the
        ranges (which took "false" for true, or let 1.5 threads through to a TypeError mid-clean).
        Each field's annotation says its type: bools are bool; ints are whole numbers, not bool;
        floats are any real number, not bool; None only where the annotation allows it. numpy
        numbers count as numbers and are stored as plain ones (to_dict stays JSON-able)."""
        for f in fields(self):
            value = getattr(self, f.name)
            kinds = [k.strip() for k in str(f.type).split("|")]
            if value is None and "None" in kinds:
                continue
            kind = next(k for k in kinds if k != "None")
            if f.name == "model" and isinstance(value, os.PathLike):  # a checkpoint file, as Denoiser.load takes
                value = os.fspath(value)
                object.__setattr__(self, f.name, value)
            if kind == "bool":
                ok, wanted = isinstance(value, bool), "true or false"
            elif kind == "int":
                ok, wanted = isinstance(value, numbers.Integral) and not isinstance(value, bool), "a whole number"
            elif kind == "float":
                ok, wanted = isinstance(value, numbers.Real) and not isinstance(value, bool), "a number"
            else:
                ok, wanted = isinstance(value, str), "a string"
            if not ok:
                wanted += " or None" if "None" in kinds else ""
                raise UsageError(f"{f.name} must be {wanted}, not {value!r}", settings=(f.name,))
            if kind == "int" and type(value) is not int:
                object.__setattr__(self, f.name, int(value))
            elif kind == "float" and type(value) not in (int, float):
                object.__setattr__(self, f.name, float(value))

    def _check_choice(self, name: str, choices: tuple[str, ...]) -> None:
        value = getattr(self, name)
        if value not in choices:
            raise UsageError(f"{name} must be one of {', '.join(choices)}, not {value!r}", settings=(name,))

    @property
    def keep_color(self) -> bool:
        """True when the original colour is put back on the cleaned page."""
        return self.color == "keep"

    @property
    def effective_threads(self) -> int:
        """``threads``, or the cores this process may use."""
        return self.threads or available_cores()

    #: The settings :meth:`engine_key` holds, as ``Denoiser.load`` takes them by name.
    ENGINE_FIELDS = ("model", "backend", "device", "precision", "threads", "tile_size", "overlap", "batch_size",
                     "max_stroke", "auto_levels", "keep_solids", "clear_surround", "clear_shading", "keep_pictures",
                     "keep_box_writing")

    def engine_key(self) -> tuple[Any, ...]:
        """What a loaded :class:`~docclean.engine.Denoiser` depends on: settings with equal keys can
        share one (the caches of the batch, the desktop app and the OCRmyPDF plugin use it)."""
        return tuple(self.effective_threads if name == "threads" else getattr(self, name)
                     for name in self.ENGINE_FIELDS)

    def pixel_key(self) -> tuple[tuple[str, Any], ...]:
        """``(name, value)`` of every setting not in :data:`SAME_PIXELS`: equal keys give equal pages
        (resumed multi-page files and the desktop app's previews key on it). The device is in it:
        with ``precision`` auto a GPU runs bf16 and a CPU often fp32."""
        return tuple((f.name, getattr(self, f.name)) for f in fields(self) if f.name not in SAME_PIXELS)

    def replace(self, **changes: Any) -> CleanSettings:
        """A copy with ``changes`` applied (validated like a new object)."""
        return dataclasses.replace(self, **changes)

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-able values, for reports and for shipping to workers."""
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> CleanSettings:
        """Rebuild settings from :meth:`to_dict` output; unknown keys are a UsageError."""
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise UsageError(f"unknown settings: {', '.join(unknown)}", settings=tuple(unknown))
        return cls(**data)

    def changed(self) -> dict[str, Any]:
        """The settings that differ from the defaults (for an equivalent command line)."""
        default = CleanSettings()
        return {f.name: getattr(self, f.name) for f in fields(self)
                if getattr(self, f.name) != getattr(default, f.name)}
