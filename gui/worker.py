"""The preview worker: one background thread that reads and cleans the page the user looks at.

Pattern of Qt for Python's ``mandelbrot`` example: the GUI thread posts a request and returns at
once; the thread works on the newest request only. A newer request cancels the one in progress
(the engine polls ``TileProgress.cancelled`` between tiles, so even a 600-dpi page stops within
one batch of tiles) and replaces one still waiting. Results travel as signals carrying numpy
arrays and QImages; the window makes the pixmaps on the GUI thread.

Caches: decoded pages, loaded models (per model/backend/device/precision/threads/tiling), and
finished previews per (page, settings), so going back to a page or a setting is instant.
:meth:`PreviewWorker.clear_cache` (Reload) bumps a generation number; a page or preview from a
request that began before it is not stored, since the file may have changed on disk meanwhile.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PySide6.QtCore import QThread, QTimer, Signal

from docclean import io as pageio
from docclean.batch import PageOutput, clean_page, load_cleaner
from docclean.errors import Cancelled, DocCleanError
from docclean.models import model_stamp
from docclean.progress import TileProgress
from docclean.settings import CleanSettings
from gui.images import LevelImage, display_pixels, gray_of, level_image, removed_overlay
from gui.keys import fault_of, preview_key, reason_of, renders_at_dpi

#: Byte budget of the preview cache (display images and outputs of finished previews).
CACHE_BYTES = 768 * 2**20
#: Decoded pages kept, so changing a setting does not decode the page again.
PAGES_KEPT = 3


@dataclass(frozen=True)
class PreviewRequest:
    """Clean page ``index`` (0-based) of ``path`` with ``settings``; ``id`` grows per request."""

    id: int
    path: Path
    index: int
    settings: CleanSettings


@dataclass
class PageImage:
    """A decoded page ready to show: its display picture and what the window says about it."""

    page: pageio.Page
    original: LevelImage


@dataclass
class PreviewResult:
    """A finished preview: the engine's output and the pictures the views show."""

    request: PreviewRequest
    page: PageImage
    output: PageOutput
    cleaned: LevelImage
    difference: LevelImage
    seconds: float
    cached: bool = False

    @property
    def nbytes(self) -> int:
        page = self.page.page
        arrays = [self.output.pixels, self.output.cleaned, page.gray]
        if page.color is not None:
            arrays.append(page.color)
        # An array shared by two fields (a grey page written as cleaned) counts once.
        unique = {id(a): a for a in arrays}.values()
        return (self.cleaned.nbytes + self.difference.nbytes + self.page.original.nbytes
                + sum(a.nbytes for a in unique))


class _Token(TileProgress):
    """The cancel flag and tile callback of one request."""

    def __init__(self, worker: PreviewWorker, request_id: int) -> None:
        self.worker, self.request_id = worker, request_id
        self._cancelled = threading.Event()

    def cancel(self) -> None:
        self._cancelled.set()

    def cancelled(self) -> bool:
        return self._cancelled.is_set()

    def tile_done(self, done: int, total: int) -> None:
        self.worker.progress.emit(self.request_id, done, total)


class PreviewWorker(QThread):
    """Reads and cleans pages in the background. Call :meth:`request`; listen to the signals.

    Signals (all carry the request id, so the window ignores stale ones): ``pageLoaded(id,
    PageImage)`` when the original can be shown, ``progress(id, done, total)`` after each batch of
    tiles, ``finished(id, PreviewResult)``, ``failed(id, message, settings, reason)`` (``settings``:
    the tuple of settings to blame, see :func:`fault_of`; ``reason``: the engine's own reason, on
    one line as the CLI prints it, see :func:`reason_of`; "" where it has none), ``cancelled(id)``,
    ``status(id, text)`` for what it is doing (reading, loading the model, cleaning)."""

    pageLoaded = Signal(int, object)
    progress = Signal(int, int, int)
    finished = Signal(int, object)
    failed = Signal(int, str, object, str)
    cancelled = Signal(int)
    status = Signal(int, str)

    def __init__(self, parent: Any = None, cache_bytes: int = CACHE_BYTES) -> None:
        super().__init__(parent)
        self._cond = threading.Condition()
        self._pending: PreviewRequest | None = None
        self._token: _Token | None = None
        self._quit = False
        self._next_id = 0
        self.cache_bytes = cache_bytes
        self._cache: OrderedDict[tuple[Any, ...], PreviewResult] = OrderedDict()
        self._pages: OrderedDict[tuple[str, int, Any], PageImage] = OrderedDict()
        # Grows with every clear_cache: a page or preview read before a clear (the file may have
        # changed on disk since) must not go into the caches after it.
        self._generation = 0
        self.cleans = 0  # pages actually run through the engine (the cache test counts them)

    # --- GUI-thread API -------------------------------------------------------------------

    def request(self, path: str | Path, index: int, settings: CleanSettings) -> int:
        """Ask for a preview of page ``index`` of ``path``; returns the request id. Cancels the
        request in progress. A cached preview comes as ``finished`` at the next turn of the event loop,
        without the thread."""
        with self._cond:
            self._next_id += 1
            req = PreviewRequest(self._next_id, Path(path), index, settings)
            if self._token is not None:
                self._token.cancel()
            self._pending = None
            hit = self._cache.get(self._key(req))
            if hit is None:
                self._pending = req
                self._cond.notify()
            else:
                self._cache.move_to_end(self._key(req))
        if hit is not None:
            result = PreviewResult(req, hit.page, hit.output, hit.cleaned, hit.difference, hit.seconds, cached=True)
            # Posted, not emitted here: the caller learns the request id before the result arrives.
            QTimer.singleShot(0, lambda: self._emit_cached(result))
        elif not self.isRunning():
            self.start()
        return req.id

    def _emit_cached(self, result: PreviewResult) -> None:
        self.pageLoaded.emit(result.request.id, result.page)
        self.finished.emit(result.request.id, result)

    def cancel(self) -> None:
        """Stop the request in progress and drop the waiting one."""
        with self._cond:
            self._pending = None
            if self._token is not None:
                self._token.cancel()

    def stop(self, timeout_ms: int | None = None) -> bool:
        """End the thread (on window close): cancel, wake it, and wait up to ``timeout_ms`` (None:
        until it ends); returns whether it has ended. A step that cannot be cancelled (loading a
        model, decoding one page) runs to its end first, so the caller must not destroy a thread
        this returned False for: the window waits for it instead (``MainWindow.closeEvent``)."""
        with self._cond:
            self._quit = True
            self._pending = None
            if self._token is not None:
                self._token.cancel()
            self._cond.notify()
        if timeout_ms is None:
            return self.wait()
        return self.wait(timeout_ms)

    def cached(self, path: str | Path, index: int, settings: CleanSettings) -> PreviewResult | None:
        """The cached preview for this page and settings, or None."""
        with self._cond:
            return self._cache.get(self._key(PreviewRequest(0, Path(path), index, settings)))

    def clear_cache(self) -> None:
        """Forget every cached preview and decoded page (files changed on disk)."""
        with self._cond:
            self._generation += 1
            self._cache.clear()
            self._pages.clear()

    # --- worker thread --------------------------------------------------------------------

    @staticmethod
    def _key(req: PreviewRequest) -> tuple[Any, ...]:
        # The model file's size and time too: a model retrained in place must not show old previews.
        return (str(req.path), req.index, preview_key(req.settings, req.path), model_stamp(req.settings.model))

    def run(self) -> None:  # noqa: D102 - QThread entry point
        while True:
            with self._cond:
                while self._pending is None and not self._quit:
                    self._cond.wait()
                if self._quit:
                    self._token = None
                    return
                req, self._pending = self._pending, None
                token = self._token = _Token(self, req.id)
                generation = self._generation
            try:
                self._process(req, token, generation)
            except Cancelled:
                self.cancelled.emit(req.id)
            except DocCleanError as exc:
                self.failed.emit(req.id, str(exc), fault_of(exc), reason_of(exc, req.path))
            except MemoryError:
                self.failed.emit(req.id, f"{req.path}: out of memory while cleaning this page", (), "")
            except Exception as exc:  # noqa: BLE001 - a worker must report, never take the app down
                self.failed.emit(req.id, f"{req.path}: {type(exc).__name__}: {exc}", (), "")
            finally:
                with self._cond:
                    self._token = None

    def _process(self, req: PreviewRequest, token: _Token, generation: int) -> None:
        start = time.perf_counter()
        self.status.emit(req.id, "reading page")
        page = self._page(req, token, generation)
        if token.cancelled():
            raise Cancelled("cancelled")
        self.pageLoaded.emit(req.id, page)
        self.status.emit(req.id, "loading model")
        cleaner = load_cleaner(req.settings)  # its cache keeps the last two models, shared with exports
        self.status.emit(req.id, "cleaning")
        output = clean_page(page.page, req.settings, cleaner, token)
        self.cleans += 1
        shown = display_pixels(output.pixels)
        diff = removed_overlay(page.page.gray, gray_of(shown), page.page.dpi)
        result = PreviewResult(req, page, output, level_image(shown), level_image(diff),
                               time.perf_counter() - start)
        self._store(req, result, generation)  # finished work is worth keeping even if no longer wanted
        if token.cancelled():
            raise Cancelled("cancelled")
        self.finished.emit(req.id, result)

    def _page(self, req: PreviewRequest, token: _Token, generation: int) -> PageImage:
        key = (str(req.path), req.index, req.settings.dpi if renders_at_dpi(req.path) else None)
        with self._cond:
            if key in self._pages:
                self._pages.move_to_end(key)
                return self._pages[key]
        found = None
        pages = pageio.read_pages(req.path, dpi=req.settings.dpi, max_pixels=req.settings.max_pixels)
        try:
            # The readers decode pages in order, so page N costs N decodes; a newer request stops
            # the walk between pages.
            for page in pages:
                if page.index == req.index:
                    found = page
                    break
                if token.cancelled():
                    raise Cancelled("cancelled")
        finally:
            pages.close()
        if found is None:
            raise pageio.InputError(f"has no page {req.index + 1}", req.path)
        shown = display_pixels(found.color if found.color is not None else found.gray)
        image = PageImage(found, level_image(shown))
        with self._cond:
            if generation != self._generation:
                return image  # read before a reload: the file may have changed since; not kept
            self._pages[key] = image
            while len(self._pages) > PAGES_KEPT:
                self._pages.popitem(last=False)
        return image

    def _store(self, req: PreviewRequest, result: PreviewResult, generation: int) -> None:
        with self._cond:
            if generation != self._generation:
                return  # cleaned from a page read before a reload: not kept
            self._cache[self._key(req)] = result
            total = sum(r.nbytes for r in self._cache.values())
            # Keep at least the newest preview even when one page alone is over budget.
            while total > self.cache_bytes and len(self._cache) > 1:
                _, dropped = self._cache.popitem(last=False)
                total -= dropped.nbytes
