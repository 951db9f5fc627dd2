"""The preview worker: one background thread that reads and cleans the page the user looks at.

Pattern of Qt for Python's ``mandelbrot`` example: the GUI thread posts a request and returns at
once; the thread works on the newest request only. A newer request cancels the one in progress
(the engine polls ``TileProgress.cancelled`` between tiles, so even a 600-dpi page stops within
one batch of tiles) and replaces one still waiting. Results travel as signals carrying numpy
arrays and QImages; the window makes the pixmaps on the GUI thread.

Caches: decoded pages, loaded models (per model/backend/device/precision/threads/tiling), and
finished previews per (page, settings), so going back to a page or a setting is instant. Pages and
previews are cached per version of the scan (``gui.previews``): the thread looks at the scan (one
stat, ``docclean.fileid.file_version``) when it takes a request, before its caches, and says what
it found (``looked``), so a scan replaced on disk is read again. Never the GUI thread: on a network
share that does not answer, a stat never returns, and the window would freeze for good. A page whose
file changed while it was read (another version after the read than before it) is not stored, nor is
its preview; nor are those of a request that began before :meth:`PreviewWorker.clear_cache`
(Reload), which bumps a generation number.

What the engine warns about a page while reading and cleaning it (a damaged group 4 page, a PDF page
without a size; with page 1, what it warns of the file: ``gui.caught``) is kept with the page and its
preview, cached with them, and never printed: the window shows it with the preview.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from dataclasses import replace
from pathlib import Path
from typing import Any

from PySide6.QtCore import QThread, Signal

from docclean.batch import clean_page, load_cleaner
from docclean.errors import Cancelled, DocCleanError
from docclean.fileid import file_version
from docclean.progress import TileProgress
from docclean.settings import CleanSettings
from gui import caught
from gui.images import display_pixels, gray_of, level_image, removed_overlay
from gui.keys import fault_of, reason_of
from gui.previews import PageImage, PreviewRequest, PreviewResult, page_key, preview_cache_key, read_requested

__all__ = ["PreviewWorker"]

#: Byte budget of the preview cache (display images and outputs of finished previews).
CACHE_BYTES = 768 * 2**20
#: Decoded pages kept, so changing a setting does not decode the page again.
PAGES_KEPT = 3


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
    ``status(id, text)`` for what it is doing (reading, loading the model, cleaning); and, with no
    id, ``looked(path, version)``: what a stat of a scan found (``str(path)``, its
    ``docclean.fileid.file_version``, None where it could not be looked at), before a request's
    other signals (and again after its read where the file changed meanwhile), and for
    :meth:`look`. It comes for stale requests too: it says what the file is now."""

    pageLoaded = Signal(int, object)
    progress = Signal(int, int, int)
    finished = Signal(int, object)
    failed = Signal(int, str, object, str)
    cancelled = Signal(int)
    status = Signal(int, str)
    looked = Signal(str, object)

    def __init__(self, parent: Any = None, cache_bytes: int = CACHE_BYTES) -> None:
        super().__init__(parent)
        caught.install()  # here, on the UI thread, before the thread starts: see gui.caught
        self._cond = threading.Condition()
        self._pending: PreviewRequest | None = None
        self._looks: dict[str, Path] = {}  # files to look at (look), in the order asked
        self._token: _Token | None = None
        self._quit = False
        self._next_id = 0
        self.cache_bytes = cache_bytes
        self._cache: OrderedDict[tuple[Any, ...], PreviewResult] = OrderedDict()
        self._pages: OrderedDict[tuple[Any, ...], PageImage] = OrderedDict()
        # Grows with every clear_cache: a page or preview read before a clear (the file may have
        # changed on disk since) must not go into the caches after it.
        self._generation = 0
        self.cleans = 0  # pages actually run through the engine (the cache test counts them)

    # --- GUI-thread API -------------------------------------------------------------------

    def request(self, path: str | Path, index: int, settings: CleanSettings, count: int | None = None) -> int:
        """Ask for a preview of page ``index`` of ``path``; returns the request id. Cancels the
        request in progress. The thread looks at the file (``looked``) and a cached preview of that
        version comes as ``finished`` with no engine run; nothing here touches the disk. ``count``:
        the pages the file was listed with (what its reader says of a multi-page file is marked as the
        file's: ``gui.caught.read_warnings``)."""
        with self._cond:
            self._next_id += 1
            # Its version: looked at by the thread.
            req = PreviewRequest(self._next_id, Path(path), index, settings, count=count)
            if self._token is not None:
                self._token.cancel()
            self._pending = req
            self._cond.notify()
        if not self.isRunning():
            self.start()
        return req.id

    def look(self, path: str | Path) -> None:
        """Have the thread look at ``path`` (one stat) and say what it found (``looked``), with no
        preview made and none cancelled: whether a preview shown is still of the file there."""
        with self._cond:
            self._looks[str(path)] = Path(path)
            self._cond.notify()
        if not self.isRunning():
            self.start()

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

    def clear_cache(self) -> None:
        """Forget every cached preview and decoded page (files changed on disk)."""
        with self._cond:
            self._generation += 1
            self._cache.clear()
            self._pages.clear()

    # --- worker thread --------------------------------------------------------------------

    def run(self) -> None:  # noqa: D102 - QThread entry point
        while True:
            with self._cond:
                while self._pending is None and not self._looks and not self._quit:
                    self._cond.wait()
                if self._quit:
                    self._token = None
                    return
                req, self._pending = self._pending, None
                looks, self._looks = self._looks, {}
                if req is None:
                    token = None
                else:
                    token = self._token = _Token(self, req.id)
                    looks.pop(str(req.path), None)  # the request looks at it
                    generation = self._generation
            for name, path in looks.items():
                self.looked.emit(name, file_version(path))
            if req is None or token is None:
                continue
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
        # The file's version, here and not on the GUI thread; what the caches are looked up with.
        req = replace(req, version=file_version(req.path))
        self.looked.emit(str(req.path), req.version)
        key = preview_cache_key(req)  # the model file's stamp too: one more stat, here as well
        with self._cond:
            hit = self._cache.get(key)
            if hit is not None:
                self._cache.move_to_end(key)
        if hit is not None:
            if token.cancelled():
                raise Cancelled("cancelled")
            self.pageLoaded.emit(req.id, hit.page)
            self.finished.emit(req.id, replace(hit, request=req, cached=True))  # its warnings too
            return
        self.status.emit(req.id, "reading page")
        page, kept = self._page(req, generation)
        if token.cancelled():
            raise Cancelled("cancelled")
        self.pageLoaded.emit(req.id, page)
        self.status.emit(req.id, "loading model")
        cleaner = load_cleaner(req.settings)  # its cache keeps the last two models, shared with exports
        self.status.emit(req.id, "cleaning")
        with caught.collecting() as heard:  # kept with the preview, not printed
            output = clean_page(page.page, req.settings, cleaner, token)
        self.cleans += 1
        shown = display_pixels(output.pixels)
        diff = removed_overlay(page.page.gray, gray_of(shown), page.page.dpi)
        result = PreviewResult(req, page, output, level_image(shown), level_image(diff),
                               time.perf_counter() - start,
                               warnings=caught.joined(page.warnings, caught.input_warnings(heard)))
        if kept:  # finished work is worth keeping even if no longer wanted
            self._store(key, result, generation)
        if token.cancelled():
            raise Cancelled("cancelled")
        self.finished.emit(req.id, result)

    def _page(self, req: PreviewRequest, generation: int) -> tuple[PageImage, bool]:
        """The page asked for, and whether it (and so its preview) may be cached: not when it was
        read before a Reload, nor when the file is another version after the read than before it."""
        key = page_key(req)
        with self._cond:
            if key in self._pages:
                self._pages.move_to_end(key)
                return self._pages[key], True
        found, said = read_requested(req)
        shown = display_pixels(found.color if found.color is not None else found.gray)
        image = PageImage(found, level_image(shown), said)
        # Read from the version the request looked at, not one written meanwhile (one more stat).
        after = file_version(req.path)
        same = req.version is not None and after == req.version
        if after != req.version:
            self.looked.emit(str(req.path), after)  # the window then knows this preview is of the file as it was
        with self._cond:
            if generation != self._generation or not same:
                return image, False  # the file may have changed since: not kept
            self._pages[key] = image
            while len(self._pages) > PAGES_KEPT:
                self._pages.popitem(last=False)
        return image, True

    def _store(self, key: tuple[Any, ...], result: PreviewResult, generation: int) -> None:
        with self._cond:
            if generation != self._generation:
                return  # cleaned from a page read before a reload: not kept
            self._cache[key] = result
            total = sum(r.nbytes for r in self._cache.values())
            # Keep at least the newest preview even when one page alone is over budget.
            while total > self.cache_bytes and len(self._cache) > 1:
                _, dropped = self._cache.popitem(last=False)
                total -= dropped.nbytes
