"""A scanner hot folder: clean each new file once, after it has finished arriving.

A :class:`Watcher` looks at an input folder (recursively; hidden files and its own done/failed/output
folders inside it are ignored) and cleans every supported file into the output folder with the
batch runner (``docclean.batch.clean_batch``, the model loaded once). A file is taken only after
its size and modification time have stayed the same for ``settle`` seconds (and it is not empty),
so a scanner (or an SMB copy) still writing it is left alone, and it is taken once: create and modify events only wake
the watcher, the folder listing decides. Afterwards the input is moved to ``done``/``failed`` (a
failed file gets ``NAME.error.txt`` beside it with the reason) or, without those folders, left in
place and recorded in ``OUTPUT/.docclean-watch.json`` with its size and mtime, so a restart does not
redo it (a file replaced by a new scan of the same name is cleaned again).

:meth:`Watcher.poll_once` is one deterministic step (tests drive it with a fake clock);
:meth:`Watcher.run` loops until a stop event (looked at between scans too), woken by ``watchdog``
events where they work and polling where they do not (``poll`` given, watchdog missing, or a network
file system: inotify does not see changes made by other NFS/SMB clients; see
:func:`docclean.watchfs.filesystem_type`). Ctrl-C and SIGTERM (``docclean.signals``) propagate out
of ``run``; the file in hand stays in the input folder, unrecorded, and what it wrote (the page in
hand, finished pages) is removed, so a restart redoes it; so is what a failed scan wrote, and an
earlier scan's outputs stay (:mod:`docclean.watchattempt`). A full output disk undoes the scan in
hand the same way, and ``run`` waits for space, trying again ever less often
(:data:`FULL_DISK_WAIT`), rather than stop: under systemd's ``Restart=on-failure`` a stop was a
restart every few seconds, each loading the model to fail on the same scan again.
This module finds the files and loops; handling one file is :mod:`docclean.watchscan`'s.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from docclean.errors import DiskFullError, UsageError
from docclean.models import resolve_model_path
from docclean.outputs import WATCH_LOCK_NAME, output_lock
from docclean.places import user_path
from docclean.settings import CleanSettings
from docclean.watchfolders import check_folders, settle_output, writable_folder
from docclean.watchfs import FolderEvents, idle_wait, polling_reason
from docclean.watchlisting import broken_link_notices, list_inbox, unlisted_notices
from docclean.watchrecord import LEDGER_NAME, Ledger, WatchOutcome
from docclean.watchscan import ScanHandling

if TYPE_CHECKING:
    from docclean.engine import Denoiser
    from docclean.progress import CleanProgress

__all__ = ["DEFAULT_POLL", "LEDGER_NAME", "Ledger", "WatchOutcome", "Watcher"]

DEFAULT_POLL = 2.0
"""Seconds between listings when polling and no interval was given (network file systems)."""
HEARTBEAT = 30.0
"""With watchdog events, the folder is still listed at least this often (a missed event is not fatal)."""
FULL_DISK_WAIT = (30.0, 300.0)
"""A full output disk: seconds to the first try again, doubled after each that finds it still full, up to the second."""


class Watcher(ScanHandling):
    """Cleans files arriving in ``inbox`` into ``output`` (tree mirrored), each once.

    ``settings`` are the clean settings (outputs of a re-arrived name are overwritten: the watcher,
    not the output's existence, decides what is new). ``done``/``failed``: where inputs go
    afterwards (None: left in place and recorded); folders that could put one file over another
    are a UsageError (:func:`docclean.watchfolders.check_folders`). ``settle``: seconds a file's
    size and mtime must stay unchanged. ``cleaner``: a loaded model (loaded on first use otherwise).
    ``on_outcome`` is called with each :class:`WatchOutcome`, ``on_notice`` with each warning line.
    ``clock`` and ``pause`` are for tests: ``pause(stop, seconds)`` waits out a full disk's backoff
    in :meth:`run` until ``stop`` is set (``stop.wait`` by default, which a signal interrupts)."""

    def __init__(self, inbox: str | Path, output: str | Path, settings: CleanSettings | None = None, *,
                 done: str | Path | None = None, failed: str | Path | None = None, settle: float = 5.0,
                 cleaner: Denoiser | None = None, progress: CleanProgress | None = None,
                 on_outcome: Callable[[WatchOutcome], None] | None = None,
                 on_notice: Callable[[str], None] | None = None,
                 clock: Callable[[], float] = time.monotonic,
                 pause: Callable[[threading.Event, float], object] = threading.Event.wait) -> None:
        self.inbox = user_path(inbox).absolute()
        self.output = user_path(output).absolute()
        self.done = user_path(done).absolute() if done else None
        self.failed = user_path(failed).absolute() if failed else None
        if not self.inbox.is_dir():
            raise UsageError("the input folder does not exist or is not a folder", self.inbox)
        check_folders(self.inbox, self.output, self.done, self.failed)
        self.settings = (settings or CleanSettings()).replace(overwrite=True, dry_run=False)
        self.settle = max(0.0, settle)
        self.cleaner, self.progress, self.on_outcome, self.clock = cleaner, progress, on_outcome, clock
        self.on_notice, self.pause = on_notice, pause
        if cleaner is None:
            resolve_model_path(self.settings.model)  # a missing model is a usage error, before OUT is made
        writable_folder(self.output)  # at once: else every scan that arrives would fail as if it were bad
        self.ledger = Ledger(self.output / LEDGER_NAME)
        self._inbox_gone, self._started = False, False  # started: OUT settled at the first poll (poll_once)
        self._unlisted: dict[str, OSError] = {}
        """Subfolders of the inbox that could not be listed at the last poll (relative paths)."""
        self._broken: dict[str, OSError] = {}
        """Links in the inbox that led nowhere at the last poll (relative paths), said once each."""
        self._busy = False  # another run holds the output: said once, until a file goes through
        self._said: set[str] = set()  # the settings' warnings (binarized into JPEG), said once a watch
        self._full_wait: float | None = None  # waiting for space: the last wait's seconds
        self._seen: dict[str, tuple[tuple[int, int], float]] = {}
        self.in_hand: Path | None = None
        """The file being cleaned right now (None between files)."""
        self._holding = False
        self._held: Callable[[], bool] | None = None  # whether the watch lock still guards OUT
        self.linked: list[Path] = []
        """The folders outside the inbox that links in it led to, at the last listing."""
        self._skip = [os.path.realpath(f) for f in (self.output, self.done, self.failed) if f is not None]

    # -- finding files -------------------------------------------------------------------------
    def _candidates(self) -> dict[str, tuple[Path, tuple[int, int]]]:
        """Supported, visible files under the inbox with their (size, mtime_ns); a subfolder that
        cannot be listed is skipped (warned about once), the inbox itself raises OSError."""
        self.linked = []
        broken: dict[str, OSError] = {}
        found, unlisted = list_inbox(self.inbox, self._skip, self.linked, broken)
        for text in unlisted_notices(self.inbox, self._unlisted, unlisted) + broken_link_notices(
                self.inbox, self._broken, broken):
            self._notice(text)
        self._unlisted, self._broken = unlisted, broken
        return found

    def pending(self) -> list[str]:
        """Files seen but not yet stable (relative paths), as of the last poll."""
        return sorted(self._seen)

    def next_due(self) -> float | None:
        """Seconds until the earliest unsettled file could be taken; None when none is waiting. An
        empty file is not waiting: it is taken only once writing begins, which an event announces
        (counted, it was due at once on every step, and the watcher listed the inbox in a loop)."""
        waiting = [since for (size, _), since in self._seen.values() if size > 0]
        if not waiting:
            return None
        return max(0.0, min(since + self.settle - self.clock() for since in waiting))

    def poll_once(self, stop: threading.Event | None = None) -> list[WatchOutcome]:
        """List the inbox once and clean every file that has been stable for ``settle`` seconds, or
        until ``stop`` is set (looked at between scans: after a restart a batch of thousands took
        hours): the files not yet tried stay in the inbox untouched, for the next step or start.
        Returns what happened to each file handled in this step. While the inbox cannot be listed
        (a share unmounted, the folder renamed) nothing is taken and nothing forgotten: a partial
        listing would make the record forget files, which would then be cleaned again. A subfolder
        that cannot be listed is skipped, and the record keeps the files under it. OutputError
        when OUT was deleted or replaced while the lock was held: another watcher could start on it;
        DiskFullError for a full output disk or quota, the scan in hand undone (its ``held_back``)."""
        self._check_held()
        if not self._started:  # before the listing: the record must see the earlier outputs put back
            self._started = True
            settle_output(self.output, self.ledger, self.inbox, self._notice)
        try:
            found = self._candidates()
        except OSError as exc:
            if not self._inbox_gone:
                self._notice(f"{self.inbox}: cannot list the input folder ({exc.strerror or exc}); waiting for it")
            self._inbox_gone = True
            return []
        if self._inbox_gone:
            self._notice(f"{self.inbox}: the input folder is back")
        self._inbox_gone = False
        self.ledger.prune(set(found), self._unlisted)
        now = self.clock()
        ready: list[tuple[str, Path, tuple[int, int]]] = []
        for key, (path, signature) in found.items():
            if self.ledger.handled(key, signature, path):
                self._seen.pop(key, None)
                continue
            seen = self._seen.get(key)
            if seen is None or seen[0] != signature:
                self._seen[key] = (signature, now)
            elif now - seen[1] >= self.settle and signature[0] > 0:  # an empty file: writing has not begun
                ready.append((key, path, signature))
        self._seen = {key: seen for key, seen in self._seen.items() if key in found}
        outcomes = []
        for key, path, signature in ready:
            if stop is not None and stop.is_set():
                break  # still settled: taken first at the next step
            outcome = self._handle(key, path, signature)
            if outcome is not None:
                outcomes.append(outcome)
                if self.on_outcome is not None:
                    self.on_outcome(outcome)
        return outcomes

    # -- the loop ------------------------------------------------------------------------------
    @contextmanager
    def holding(self) -> Iterator[None]:
        """Hold the output folder's watch lock (``OUT/.docclean-watch.lock``): one watcher per output
        folder, so two never clean one scan twice or race on its record; OutputBusy names the
        other's pid. Re-entrant; :meth:`run` holds it."""
        if self._holding:
            yield
            return
        with output_lock(self.output, name=WATCH_LOCK_NAME, holder="docclean watch", advice="stop it") as held:
            self._holding, self._held = True, held
            try:
                yield
            finally:
                self._holding, self._held = False, None

    def run(self, stop: threading.Event, *, poll: float | None = None) -> None:
        """Poll until ``stop`` is set: every ``poll`` seconds when polling (see
        :func:`polling_reason`), else whenever watchdog reports a change, a waiting file may have
        settled, or ``HEARTBEAT`` seconds passed, holding :meth:`holding`'s lock. ``stop`` is looked
        at between scans too. A full output disk makes it wait for space (:meth:`_poll_or_wait`).
        Exceptions (Ctrl-C, SIGTERM, an output folder that cannot be used) propagate."""
        with self.holding():
            self._run(stop, poll)

    def _run(self, stop: threading.Event, poll: float | None) -> None:
        wake = threading.Event()
        observer = None if polling_reason(self.inbox, poll) else FolderEvents(wake)
        if observer is not None:
            observer.follow([self.inbox])  # before the first listing: nothing arrives unseen
        interval = poll if poll is not None else DEFAULT_POLL
        try:
            while not stop.is_set():
                wake.clear()
                if not self._poll_or_wait(stop):
                    continue  # waited for space (or stopped meanwhile): try again at once
                if observer is None:
                    timeout = interval
                elif observer.follow([self.inbox, *self.linked]):
                    continue  # a folder newly watched: list again what came before its watch
                else:
                    due = self.next_due()
                    timeout = HEARTBEAT if due is None else min(HEARTBEAT, due + 0.05)
                idle_wait(wake, stop, timeout, observer)
        finally:
            if observer is not None:
                observer.stop()

    def _poll_or_wait(self, stop: threading.Event) -> bool:
        """:meth:`poll_once`; False when the output disk was full: the scan in hand was undone and
        stays in the inbox, the watcher says once that it waits for space, then waits
        (:data:`FULL_DISK_WAIT`) till ``stop`` or the next try; it says when it goes on again."""
        try:
            self.poll_once(stop)
        except DiskFullError as exc:
            first, longest = FULL_DISK_WAIT
            if self._full_wait is None:
                scan = f"{exc.held_back} stays in the input folder, unrecorded; " if exc.held_back else ""
                self._notice(f"{self.output}: the output disk is full ({exc}); {scan}waiting for space, trying "
                             f"again in {first:g} s, then less and less often (every {longest / 60:g} min at most)")
            self._full_wait = first if self._full_wait is None else min(2 * self._full_wait, longest)
            self.pause(stop, self._full_wait)
            return False
        if self._full_wait is not None:
            self._full_wait = None
            self._notice(f"{self.output}: there is space on the output disk again; going on")
        return True
