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
:meth:`Watcher.run` loops until a stop event, woken by ``watchdog`` events where they work and
polling where they do not (``poll`` given, watchdog missing, or a network file system: inotify
does not see changes made by other NFS/SMB clients; see :func:`docclean.watchfs.filesystem_type`). Ctrl-C and SIGTERM
(``docclean.signals``) propagate out of ``run``; the file in hand stays in the input folder,
unrecorded, and its half-written output is removed by the batch runner, so a restart redoes it.
"""

from __future__ import annotations

import json
import os
import shutil
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any

from docclean import formats
from docclean.atomic import atomic_path
from docclean.errors import DocCleanError, UsageError
from docclean.settings import CleanSettings
from docclean.watchfs import polling_reason, start_observer

if TYPE_CHECKING:
    from docclean.engine import Denoiser
    from docclean.progress import CleanProgress

__all__ = ["DEFAULT_POLL", "LEDGER_NAME", "Ledger", "WatchOutcome", "Watcher"]

LEDGER_NAME = ".docclean-watch.json"
DEFAULT_POLL = 2.0
"""Seconds between listings when polling and no interval was given (network file systems)."""
HEARTBEAT = 30.0
"""With watchdog events, the folder is still listed at least this often (a missed event is not fatal)."""


@dataclass
class WatchOutcome:
    """What happened to one arrived file: ``status`` is ``cleaned``, ``skipped`` or ``failed``."""

    source: Path
    status: str
    targets: list[Path] = field(default_factory=list)
    error: str | None = None
    seconds: float = 0.0
    pages: int = 0
    moved_to: Path | None = None
    warnings: list[str] = field(default_factory=list)
    """The ink warnings of its pages, as ``docclean clean`` prints them (``page N: ...``)."""

    def summary(self) -> str:
        """One line for a log: what came in, what went out, where the input went."""
        where = f"; moved to {self.moved_to}" if self.moved_to else ""
        if self.status == "failed":
            error = self.error or "failed"
            said = error if error.startswith(str(self.source)) else f"{self.source}: {error}"
            return f"failed {said}{where}"
        outs = ", ".join(str(t) for t in self.targets[:3]) + (" ..." if len(self.targets) > 3 else "")
        note = f"; {self.error}" if self.error else ""
        return f"{self.status} {self.source} -> {outs} ({self.pages} page{'' if self.pages == 1 else 's'}, {self.seconds:.1f} s){where}{note}"


class Ledger:
    """Files left in the input folder that were handled: ``{relative path: size, mtime, status...}``,
    kept as JSON in the output folder and rewritten atomically after every file."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.entries: dict[str, dict[str, Any]] = {}
        if path.exists():
            try:
                self.entries = dict(json.loads(path.read_text()).get("files", {}))
            except (OSError, ValueError, AttributeError):
                self.entries = {}  # a damaged record only costs redoing files

    def handled(self, key: str, signature: tuple[int, int]) -> bool:
        """True when ``key`` was handled with this (size, mtime_ns)."""
        entry = self.entries.get(key)
        return entry is not None and (entry.get("size"), entry.get("mtime_ns")) == signature

    def record(self, key: str, signature: tuple[int, int], outcome: WatchOutcome) -> None:
        """Remember ``outcome`` for the file ``key`` as it is now, and save."""
        self.entries[key] = {"size": signature[0], "mtime_ns": signature[1], "status": outcome.status,
                             "targets": [str(t) for t in outcome.targets], "error": outcome.error,
                             "at": datetime.now(timezone.utc).isoformat(timespec="seconds")}
        self.save()

    def prune(self, present: set[str]) -> None:
        """Forget files that are no longer in the input folder."""
        gone = set(self.entries) - present
        if gone:
            for key in gone:
                del self.entries[key]
            self.save()

    def save(self) -> None:
        with atomic_path(self.path) as tmp:
            tmp.write_text(json.dumps({"files": self.entries}, indent=1, sort_keys=True))


class Watcher:
    """Cleans files arriving in ``inbox`` into ``output`` (tree mirrored), each once.

    ``settings`` are the clean settings (outputs of a re-arrived name are overwritten: the watcher,
    not the output's existence, decides what is new). ``done``/``failed``: where inputs go
    afterwards (None: left in place and recorded). ``settle``: seconds a file's size and mtime
    must stay unchanged. ``cleaner``: a loaded model (loaded on first use otherwise).
    ``on_outcome`` is called with each :class:`WatchOutcome`; ``clock`` is for tests."""

    def __init__(self, inbox: str | Path, output: str | Path, settings: CleanSettings | None = None, *,
                 done: str | Path | None = None, failed: str | Path | None = None, settle: float = 5.0,
                 cleaner: Denoiser | None = None, progress: CleanProgress | None = None,
                 on_outcome: Callable[[WatchOutcome], None] | None = None,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.inbox = Path(inbox).expanduser().absolute()
        self.output = Path(output).expanduser().absolute()
        self.done = Path(done).expanduser().absolute() if done else None
        self.failed = Path(failed).expanduser().absolute() if failed else None
        if not self.inbox.is_dir():
            raise UsageError("the input folder does not exist or is not a folder", self.inbox)
        for name, folder in (("output", self.output), ("done", self.done), ("failed", self.failed)):
            if folder is not None and os.path.realpath(folder) == os.path.realpath(self.inbox):
                raise UsageError(f"the {name} folder cannot be the input folder", folder)
        self.settings = (settings or CleanSettings()).replace(overwrite=True, dry_run=False)
        self.settle = max(0.0, settle)
        self.cleaner, self.progress, self.on_outcome, self.clock = cleaner, progress, on_outcome, clock
        self.output.mkdir(parents=True, exist_ok=True)
        self.ledger = Ledger(self.output / LEDGER_NAME)
        self._seen: dict[str, tuple[tuple[int, int], float]] = {}
        self.in_hand: Path | None = None
        """The file being cleaned right now (None between files)."""
        self._skip = [os.path.realpath(f) for f in (self.output, self.done, self.failed) if f is not None]

    # -- finding files -------------------------------------------------------------------------
    def _candidates(self) -> dict[str, tuple[Path, tuple[int, int]]]:
        """Supported, visible files under the inbox with their (size, mtime_ns)."""
        found: dict[str, tuple[Path, tuple[int, int]]] = {}
        for folder, dirs, files in os.walk(self.inbox):
            dirs[:] = sorted(d for d in dirs if not d.startswith(".")
                             and os.path.realpath(os.path.join(folder, d)) not in self._skip)
            for name in sorted(files):
                if name.startswith(".") or not formats.is_supported(name):
                    continue
                path = Path(folder, name)
                try:
                    st = path.stat()
                except OSError:  # vanished between listing and stat
                    continue
                found[path.relative_to(self.inbox).as_posix()] = (path, (st.st_size, st.st_mtime_ns))
        return found

    def pending(self) -> list[str]:
        """Files seen but not yet stable (relative paths), as of the last poll."""
        return sorted(self._seen)

    def next_due(self) -> float | None:
        """Seconds until the earliest unsettled file could be taken; None when none is waiting."""
        if not self._seen:
            return None
        now = self.clock()
        return max(0.0, min(since + self.settle - now for _, since in self._seen.values()))

    def poll_once(self) -> list[WatchOutcome]:
        """List the inbox once and clean every file that has been stable for ``settle`` seconds;
        returns what happened to each file handled in this step."""
        found = self._candidates()
        self.ledger.prune(set(found))
        now = self.clock()
        ready: list[tuple[str, Path, tuple[int, int]]] = []
        for key, (path, signature) in found.items():
            if self.ledger.handled(key, signature):
                self._seen.pop(key, None)
                continue
            seen = self._seen.get(key)
            if seen is None or seen[0] != signature:
                self._seen[key] = (signature, now)
            elif now - seen[1] >= self.settle and signature[0] > 0:  # an empty file: writing has not begun
                ready.append((key, path, signature))
        for key in set(self._seen) - set(found):
            del self._seen[key]
        outcomes = []
        for key, path, signature in ready:
            outcome = self._handle(key, path, signature)
            if outcome is not None:
                outcomes.append(outcome)
                if self.on_outcome is not None:
                    self.on_outcome(outcome)
        return outcomes

    # -- handling one file ---------------------------------------------------------------------
    def _handle(self, key: str, path: Path, signature: tuple[int, int]) -> WatchOutcome | None:
        from docclean.batch import NothingToClean, clean_batch, load_cleaner
        from docclean.filerun import page_warnings

        if self.cleaner is None:
            self.cleaner = load_cleaner(self.settings)
        self.in_hand = path
        relative = Path(key)
        target_dir = self.output / relative.parent
        start = time.perf_counter()
        try:
            target_dir.mkdir(parents=True, exist_ok=True)
            report = clean_batch([path], target_dir, self.settings, self.progress, cleaner=self.cleaner)
            result = report.files[0]
            outcome = WatchOutcome(path, "failed" if result.error else result.status, list(result.targets),
                                   result.error, pages=sum(p.status == "cleaned" for p in result.pages),
                                   warnings=[w for p in result.pages for w in page_warnings(p, self.settings)])
        except NothingToClean as exc:
            outcome = WatchOutcome(path, "failed", error="; ".join(exc.problems) or str(exc))
        except (DocCleanError, OSError) as exc:
            outcome = WatchOutcome(path, "failed", error=f"{path}: {exc}" if isinstance(exc, OSError) else str(exc))
        outcome.seconds = time.perf_counter() - start
        self.in_hand = None
        try:
            now_signature = (path.stat().st_size, path.stat().st_mtime_ns)
        except OSError:
            now_signature = None
        self._seen.pop(key, None)
        if now_signature != signature:
            # It changed while we cleaned it: not finished after all. Take it again once it settles.
            return None
        destination = self.failed if outcome.status == "failed" else self.done
        if destination is None:
            self.ledger.record(key, signature, outcome)
            return outcome
        try:
            outcome.moved_to = _move(path, destination / relative)
        except OSError as exc:  # cannot move it (permissions, a vanished share): record it instead
            outcome.error = f"{outcome.error + '; ' if outcome.error else ''}could not move it to {destination}: {exc}"
            self.ledger.record(key, signature, outcome)
            return outcome
        if outcome.status == "failed":
            with atomic_path(outcome.moved_to.with_name(outcome.moved_to.name + ".error.txt")) as tmp:
                tmp.write_text((outcome.error or "failed") + "\n")
        return outcome

    # -- the loop ------------------------------------------------------------------------------
    def run(self, stop: threading.Event, *, poll: float | None = None) -> None:
        """Poll until ``stop`` is set: every ``poll`` seconds when polling (see
        :func:`polling_reason`), else whenever watchdog reports a change, a waiting file may have
        settled, or ``HEARTBEAT`` seconds passed. Exceptions (Ctrl-C, SIGTERM) propagate."""
        wake = threading.Event()
        observer = None if polling_reason(self.inbox, poll) else start_observer(self.inbox, wake)
        interval = poll if poll is not None else DEFAULT_POLL
        try:
            while not stop.is_set():
                wake.clear()
                self.poll_once()
                if observer is None:
                    timeout = interval
                else:
                    due = self.next_due()
                    timeout = HEARTBEAT if due is None else min(HEARTBEAT, due + 0.05)
                deadline = time.monotonic() + timeout
                while not stop.is_set() and not wake.is_set() and time.monotonic() < deadline:
                    wake.wait(min(0.2, max(0.0, deadline - time.monotonic())))
        finally:
            if observer is not None:
                observer.stop()
                observer.join(timeout=5)


def _move(source: Path, target: Path) -> Path:
    """Move ``source`` to ``target`` (or ``target-1``, ``target-2``... if taken); returns where it went."""
    target.parent.mkdir(parents=True, exist_ok=True)
    candidate, n = target, 0
    while candidate.exists() or candidate.is_symlink():
        n += 1
        candidate = target.with_name(f"{target.stem}-{n}{target.suffix}")
    shutil.move(str(source), str(candidate))  # a rename on one file system, copy and delete across
    return candidate
