"""The Denoiser: one page array in, one cleaned page array out, through any backend.

A page of any size is cut into overlapping tiles (``docclean.tiling``), batches of tiles go to a
backend (``docclean.backends``: torch today; a backend only runs tiles), and the results are
blended back, so memory for the network depends on the tile size, not on the page size. Tiling and
blending are numpy, so every backend gets exactly the same seams. Progress and cancel are checked
after every batch of tiles.

Before the network (``docclean.levels``): a negative (light writing on dark paper) is inverted, so
it comes out as dark writing on white paper; a two-level (1-bit) page is blurred a little, so
dither reads as grey; with ``auto_levels`` a dark or washed-out page is brought to ordinary paper
and contrast. A page whose strokes are wider than ``max_stroke`` pixels
(``docclean.strokes``: a broad pen, a 600-dpi scan of large writing) is cleaned twice: as it is,
and shrunk until its strokes are ``max_stroke`` wide (then enlarged back); the result keeps the
darker of the two at every pixel. The network fades strokes much wider than those it learned, and
cleaning a shrunk page alone fades the thin faint strokes beside them; the darker of the two keeps
what either keeps (bench/results/stroke_scale.md). On a page of ordinary text, a wide initial or
heading that the network hollowed is cleaned again alike, its part of the page alone
(``docclean.widestrokes``); so is faint writing between two rules (a form's box), which the network
clears, with the rules painted out (``docclean.ruled``).

After the network, with ``keep_solids``, solid black areas (bars, boxes, logos, a band with white
writing in it), which the network hollows as if they were stains, are put back from the page
(``docclean.solids``), and so are black label bars with white writing too narrow for those, which
it draws as a grey blur on crisp pages (``docclean.bars``); with ``clear_surround``, the scanner's
dark surround, around which the network leaves a dark rim, is painted white, and light writing on
it (white numbers on a microfilm frame), which the network blurs, is shown dark on white
(``docclean.surround``). With ``clear_shading``, flat
grey boxes and bands printed behind text are brought to the paper's grey before the network, which
would otherwise draw a frame around them, and a grey band with white writing is put back from the
page after it (``docclean.shading``). With ``keep_pictures``, pictures (photographs, banners:
rectangles of continuous tone with sharp sides), which the network turns into line drawings, are
put back from the page (``docclean.pictures``). Last, near-white grey becomes white paper
(``docclean.whiten``): darker grey is left as it is.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from docclean.backends import Backend, open_backend
from docclean.bars import restore_bars
from docclean.errors import Cancelled, ModelError, UsageError
from docclean.levels import network_page
from docclean.models import resolve_model_path
from docclean.pictures import keep_pictures
from docclean.pixels import page_values
from docclean.progress import TileProgress
from docclean.ruled import refill_between_rules
from docclean.settings import CleanSettings
from docclean.shading import flatten_shading, restore_as_scanned, shaded_areas
from docclean.solids import page_paper, put_back, shrunk, solid_areas
from docclean.strokes import keep_darker, shrink, stroke_width
from docclean.surround import find_surround
from docclean.tiling import Blender, Tile, plan_tiles
from docclean.whiten import whiten_paper
from docclean.widestrokes import fill_hollowed, hollowed_strokes

#: OpenCV's own thread count, before any ``threads`` setting changed it.
_CV2_THREADS = cv2.getNumThreads()

# OpenCV's thread count is one per process: pages worked on at once (the desktop app's preview
# beside its export) share it, and the count the first of them found is put back when the last ends.
_CV2_LOCK = threading.Lock()
_cv2_pages = 0
_cv2_host = _CV2_THREADS


class _CallbackProgress(TileProgress):
    def __init__(self, callback: Callable[[int, int], None]) -> None:
        self.callback = callback

    def tile_done(self, done: int, total: int) -> None:
        self.callback(done, total)


class Denoiser:
    """Cleans page arrays with a loaded model. ``Denoiser.load()`` gives the shipped default."""

    def __init__(self, backend: Backend, *, tile_size: int = 1024, overlap: int = 64, batch_size: int = 1,
                 max_stroke: int = 0, auto_levels: bool = False, keep_solids: bool = False,
                 clear_surround: bool = False, clear_shading: bool = False, keep_pictures: bool = False,
                 keep_box_writing: bool = False, model_name: str | None = None, model_path: Path | None = None,
                 threads: int | None = None) -> None:
        if tile_size < 2 * overlap + backend.multiple:
            raise UsageError(f"tile size {tile_size} is too small for an overlap of {overlap}",
                             settings=("tile_size", "overlap"))
        self.backend = backend
        self.tile_size, self.overlap, self.batch_size = tile_size, overlap, max(1, batch_size)
        self.max_stroke, self.auto_levels, self.keep_solids = max_stroke, auto_levels, keep_solids
        self.clear_surround, self.clear_shading, self.keep_pictures = clear_surround, clear_shading, keep_pictures
        self.keep_box_writing = keep_box_writing
        self.model_name, self.model_path = model_name, model_path
        self.threads = threads
        # One network call at a time: a loaded model is shared (load_cleaner's cache: the desktop
        # app's preview beside its export), and a runtime's request or buffers serve one call.
        self._network = threading.Lock()

    @classmethod
    def from_settings(cls, settings: CleanSettings) -> Denoiser:
        """Load ``settings.model`` into ``settings.backend`` with its tiling."""
        path = resolve_model_path(settings.model)
        return cls.with_backend(open_backend(path, settings), settings, model_path=path)

    @classmethod
    def with_backend(cls, backend: Backend, settings: CleanSettings, model_path: Path | None = None) -> Denoiser:
        """A cleaner that runs ``backend`` with the page steps and tiling ``settings`` name: what
        :meth:`from_settings` gives for a model file, for a network already open (training scores
        its validation pages through it, so that it scores what ``docclean eval`` reports)."""
        # 0, the default: the backend's choice (a GPU backend asks for more tiles per call), else one.
        batch = settings.batch_size or getattr(backend, "default_batch_size", None) or 1
        return cls(backend, tile_size=settings.tile_size, overlap=settings.overlap, batch_size=batch,
                   max_stroke=settings.max_stroke, auto_levels=settings.auto_levels,
                   keep_solids=settings.keep_solids, clear_surround=settings.clear_surround,
                   clear_shading=settings.clear_shading, keep_pictures=settings.keep_pictures,
                   keep_box_writing=settings.keep_box_writing,
                   model_name=settings.model, model_path=model_path, threads=settings.threads)

    @classmethod
    def load(cls, model: str | Path | None = None, **settings: Any) -> Denoiser:
        """Load a built-in model by name (default: the shipped ``default``) or a checkpoint file;
        keyword arguments are the :class:`~docclean.settings.CleanSettings` fields a cleaner
        depends on (``CleanSettings.ENGINE_FIELDS``: ``device``, ``tile_size``, ``batch_size``,
        ``precision``, ``backend``, ``threads``, the page steps, ...); others (``binarize``,
        ``color``, ...) are ``docclean.clean_page``'s, and a UsageError here. ``threads`` sets
        torch's thread count for the whole process (torch has one)."""
        others = sorted(set(settings) - set(CleanSettings.ENGINE_FIELDS))
        if others:
            raise UsageError(f"Denoiser.load takes the engine's settings only, not {', '.join(others)}: "
                             "give those to CleanSettings and clean with docclean.clean_page")
        if model is not None:
            settings["model"] = str(model)
        return cls.from_settings(CleanSettings(**settings))

    @property
    def metadata(self) -> dict[str, Any]:
        return self.backend.metadata

    @property
    def device(self) -> str:
        return self.backend.device

    @property
    def precision(self) -> str:
        return self.backend.precision

    def _run(self, batch: np.ndarray) -> np.ndarray:
        with self._network:
            out = self.backend.run(batch)
        if not np.isfinite(out).all():
            raise ModelError("the model produced non-finite values (NaN or infinity); its weights are broken",
                             self.model_path)
        return out

    def clean(self, page: np.ndarray, progress: TileProgress | Callable[[int, int], None] | None = None
              ) -> np.ndarray:
        """Clean one grey page (H, W) (or (H, W, 1)) -> float32 (H, W) in 0..1 (0 black, 1 white).

        The page's values are read by its type (:func:`page_values`): float 0..1; unsigned
        integers over their type's range (uint8 0..255, uint16 0..65535, as the file reader reads
        16-bit scans); bool as 0 and 1. A float page far outside 0..1 (a 0..255 page stored as
        float), a signed integer page or an empty page is a
        :class:`~docclean.errors.UsageError`; NaN and +inf pixels are paper, -inf ink.

        ``progress`` is a :class:`~docclean.progress.TileProgress` (or a ``callback(done, total)``)
        told after each batch of tiles; when it reports ``cancelled()`` the page stops with
        :class:`~docclean.errors.Cancelled`."""
        if not isinstance(page, np.ndarray):
            raise UsageError(f"Denoiser.clean takes a numpy (H, W) grey page, not a {type(page).__name__}: "
                             "docclean.clean_page takes PIL images and colour arrays too")
        if page.ndim == 3 and page.shape[2] == 1:
            page = page[..., 0]
        if page.ndim != 2:
            raise UsageError(f"Denoiser.clean takes a grey (H, W) page, not one of shape {page.shape}: "
                             "docclean.clean_page cleans colour (H, W, 3) pages")
        if callable(progress) and not isinstance(progress, TileProgress):
            progress = _CallbackProgress(progress)
        tracker = progress or TileProgress()
        page = page_values(page)
        if tracker.cancelled():
            raise Cancelled("cancelled")
        with self.page_threads():
            return self._clean(page, tracker)

    @contextmanager
    def page_threads(self) -> Iterator[None]:
        """OpenCV's thread count set to the cleaner's ``threads`` (else its default) while a page
        is worked on, and the caller's put back after: --threads bounds the steps around the network
        too, so that parallel runs share the cores, and a program embedding docclean keeps its own
        setting. Per page, since one process (the desktop app) may clean with several settings in
        turn; ``docclean.clean_page`` holds it over the binarization and the ink check too. Pages
        worked on at once in several threads share OpenCV's one count (the last set holds), and the
        count found before the first of them is put back after the last."""
        global _cv2_pages, _cv2_host
        with _CV2_LOCK:
            if _cv2_pages == 0:
                _cv2_host = cv2.getNumThreads()
            _cv2_pages += 1
            cv2.setNumThreads(self.threads if self.threads is not None else _CV2_THREADS)
        try:
            yield
        finally:
            with _CV2_LOCK:
                _cv2_pages -= 1
                if _cv2_pages == 0:
                    cv2.setNumThreads(_cv2_host)

    def _clean(self, page: np.ndarray, tracker: TileProgress) -> np.ndarray:
        scan, page = page, network_page(page, self.auto_levels)
        steps = (self.keep_solids, self.clear_surround, self.clear_shading, self.keep_pictures)
        paper = page_paper(page) if any(steps) else 1.0
        small = shrunk(page) if any(steps) else None  # shrunk once for every wide-area search
        shading = shaded_areas(page, paper, small) if self.clear_shading else None
        flat = flatten_shading(page, shading)
        pages = [flat]
        # Found once, before the network: the scanner's dark surround (painted white after it) and
        # solid black areas (put back after it). Neither is a stroke, and either, counted, made a
        # faint page measure tens of pixels wide (docclean.strokes).
        surround = find_surround(page, paper if any(steps) else None, small) \
            if self.clear_surround or self.max_stroke > 0 else None
        solids = solid_areas(page, paper, small) if self.keep_solids else None
        width, ignore = 0.0, None
        if self.max_stroke > 0:
            ignore = _either(None if surround is None else surround.mask(), solids)
            width = stroke_width(flat, ignore)
        if width > self.max_stroke:
            pages.append(shrink(flat, self.max_stroke / width))
        plans = [plan_tiles(*p.shape, self.tile_size, self.overlap, self.backend.multiple) for p in pages]
        total, done = sum(len(t) for t in plans), 0
        outs = []
        for p, tiles in zip(pages, plans):
            outs.append(self._clean_tiles(p, tiles, tracker, done, total))
            done += len(tiles)
        out = outs[0]
        if len(outs) > 1:
            keep_darker(out, outs[1])
        if self.max_stroke > 0:  # a wide initial or heading on a page of text: docclean.widestrokes
            hollow = hollowed_strokes(flat, out, ignore)
            if hollow:
                fill_hollowed(flat, out, hollow, self.max_stroke, lambda part: self._clean_part(part, tracker))
        if self.keep_box_writing:  # faint writing in a form's boxes, which the network clears: docclean.ruled
            refill_between_rules(flat, out, paper if any(steps) else page_paper(page),
                                 lambda part: self._clean_part(part, tracker), scan)
        if self.keep_solids:
            put_back(page, out, solids, paper)
            restore_bars(page, out, paper, small)
        if self.keep_pictures:  # on the page the network saw: a flattened box is no picture
            keep_pictures(flat, out, paper, small if flat is page else None)
        if self.clear_surround and surround is not None:
            surround.apply(page, out)
        restore_as_scanned(page, out, shading)
        return whiten_paper(out)

    def _clean_part(self, part: np.ndarray, tracker: TileProgress) -> np.ndarray:
        """A part of a page through the network (not counted in the page's tile progress)."""
        if tracker.cancelled():
            raise Cancelled("cancelled")
        tiles = plan_tiles(*part.shape, self.tile_size, self.overlap, self.backend.multiple)
        return self._clean_tiles(part, tiles, TileProgress(), 0, len(tiles))

    def _clean_tiles(self, page: np.ndarray, tiles: list[Tile], tracker: TileProgress, done: int,
                     total: int) -> np.ndarray:
        """One float32 page through the network, tile batch by tile batch; progress counts from
        ``done`` of ``total`` tiles (a page may be cleaned in more than one pass)."""
        h, w = page.shape
        if len(tiles) == 1:
            out = self._run(page[None])[0]
            tracker.tile_done(done + 1, total)
            if done + 1 < total and tracker.cancelled():
                raise Cancelled("cancelled")
            return out
        blender = Blender(h, w, self.overlap, tiles)
        for start in range(0, len(tiles), self.batch_size):
            group = tiles[start:start + self.batch_size]
            out = self._run(np.stack([page[t.slices] for t in group]))
            for tile, values in zip(group, out):
                blender.add(tile, values)
            finished = done + min(start + self.batch_size, len(tiles))
            tracker.tile_done(finished, total)
            if finished < total and tracker.cancelled():
                raise Cancelled("cancelled")
        return blender.result()


def _either(a: np.ndarray | None, b: np.ndarray | None) -> np.ndarray | None:
    """The union of two optional masks."""
    return b if a is None else a if b is None else a | b

