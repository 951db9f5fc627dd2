"""Looking after the output folder: one run at a time, and no leftovers from killed runs.

:func:`output_lock` takes an exclusive ``flock`` on ``OUTPUT/.docclean.lock`` for the whole batch,
so a second run on the same output waits or stops with a clear message instead of cleaning every
page a second time beside the first. Holding it, :func:`remove_stale_temps` may delete temporary
outputs (``.NAME.docclean-PID-HEX.part``, see ``docclean.writer``) whose writing process is gone:
kill -9 cannot be caught, so those files are cleared by the next run instead.
:class:`MadeFolder` takes away an output folder that the lock made for a run that then wrote
nothing (a model that cannot load), so such a run leaves nothing behind.
"""

from __future__ import annotations

import fcntl
import os
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

from docclean.atomic import fitting_name
from docclean.errors import OutputError, output_error
from docclean.writer import TEMP_PATTERN

LOCK_NAME = ".docclean.lock"
STAGING_NAME = ".docclean-staging"
"""Where a Ray or URL run's workers write inside the output folder its driver holds (``docclean.cluster``)."""
#: The ending of a multi-page output's hidden work folder (``docclean.resume.work_folder``).
PAGES_SUFFIX = ".docclean-pages"
#: The ending of the hidden folder where the hot folder keeps a target's earlier outputs while it
#: cleans a scan of that name again (:func:`earlier_folder`).
EARLIER_SUFFIX = ".docclean-earlier"
#: ... and the name that folder is renamed to once the try went through (its copies are stale then).
EARLIER_COMMITTED_SUFFIX = EARLIER_SUFFIX + "-committed"
#: The hot folder's lock in its output folder: one watcher per output (``docclean.watch``).
WATCH_LOCK_NAME = ".docclean-watch.lock"


def earlier_folder(target: Path, committed: bool = False) -> Path:
    """The hidden folder beside ``target`` that holds its earlier outputs during a hot folder's try
    (once the try is ``committed``, the name it is renamed to)."""
    suffix = EARLIER_COMMITTED_SUFFIX if committed else EARLIER_SUFFIX
    return target.parent / f".{fitting_name(target.name, len(suffix))}{suffix}"


#: The set-aside folders of the hot folder's tries under way in this process (``docclean.watchattempt``).
TRYING: set[Path] = set()


Listings = dict[Path, list[os.DirEntry]]
"""Folders' entries, each folder listed once (:func:`list_folder`) and handed on to each question
about it: a listing of 20,000 outputs takes some 15 ms on a local disk, more on a network share."""


def list_folder(folder: Path) -> list[os.DirEntry]:
    """``folder``'s entries from one listing; none when it cannot be listed."""
    try:
        with os.scandir(folder) as entries:
            return list(entries)
    except OSError:
        return []


def release_cut_short_tries(targets: Iterable[Path], listed: Listings | None = None) -> None:
    """A run about to clean ``targets`` replaces what a hot folder's try of one of those names, cut
    short by a kill, set aside: that try's folder of the earlier outputs is renamed to its committed
    name, which the next watcher drops at start, instead of putting the earlier scan's pages back
    over this run's and removing this run's other pages as the killed try's. Left alone when it is
    a try under way: this process's (:data:`TRYING`), or another's while a watcher runs on a folder
    that holds it. ``listed``: the targets' folders as listed since this run took their lock
    (a try set aside later is under way, and left alone anyway)."""
    watched: dict[Path, bool] = {}
    set_aside: dict[Path, set[str]] = {}  # per folder, one listing: not two stats for each of a million targets
    for target in targets:
        parent, folder = target.parent, earlier_folder(target)
        if parent not in set_aside:
            entries = listed[parent] if listed is not None and parent in listed else list_folder(parent)
            set_aside[parent] = {e.name for e in entries
                                 if e.name.endswith(EARLIER_SUFFIX) and e.is_dir(follow_symlinks=False)}
        if folder.name not in set_aside[parent] or folder in TRYING:
            continue
        if parent not in watched:
            watched[parent] = any(_holder(p / WATCH_LOCK_NAME) is not None for p in (parent, *parent.parents))
        if not watched[parent]:
            try:
                os.replace(folder, earlier_folder(target, committed=True))
            except OSError:
                pass  # then the next watcher puts it back, as before this run


def is_bookkeeping(name: str) -> bool:
    """Whether ``name`` in an output folder is the batch's own: the lock, a cluster run's staging
    folder, a half-written file (``docclean.writer.TEMP_PATTERN``), a multi-page output's work
    folder or the hot folder's earlier outputs kept during a try. Another run's files are not
    outputs of anyone's scans."""
    return (name in (LOCK_NAME, STAGING_NAME) or TEMP_PATTERN.match(name) is not None
            or (name.startswith(".") and name.endswith((PAGES_SUFFIX, EARLIER_SUFFIX, EARLIER_COMMITTED_SUFFIX))))


class OutputBusy(OutputError):
    """Another docclean run holds the output folder."""


def _holder(lock: Path) -> str | None:
    """The pid (or "unknown") of the run that holds the lock file ``lock``, or None when none does."""
    try:
        fd = os.open(lock, os.O_RDWR)
    except OSError:
        return None  # no lock file: no run
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return os.pread(fd, 32, 0).decode(errors="replace").strip() or "unknown"
    except OSError:
        return None
    else:
        fcntl.flock(fd, fcntl.LOCK_UN)
        return None
    finally:
        os.close(fd)


def check_nested_runs(folder: Path, subfolders: Iterable[Path] = (), shown: Path | None = None) -> None:
    """OutputBusy when another run writes to a folder that holds ``folder`` (``-o out`` beside a
    run with ``-o out/pdf``) or to one of ``subfolders`` (where this run's outputs go): the lock
    is per folder, and two such runs would share work folders. A worker's staging folder inside
    its own run's output (:data:`STAGING_NAME`) is that run's. ``shown``: the folder as the user
    named it (default ``folder``)."""
    shown, folder = shown or folder, Path(os.path.abspath(folder))
    for above in folder.parents:
        if above.name == STAGING_NAME:
            break
        pid = _holder(above / LOCK_NAME)
        if pid is not None:
            raise OutputBusy(f"another docclean run (pid {pid}) is writing to {above}, which holds this output "
                             "folder; wait for it to finish or choose another output folder", shown)
    for below in sorted({Path(os.path.abspath(p)) for p in subfolders}):
        if below != folder and below.is_relative_to(folder):
            pid = _holder(below / LOCK_NAME)
            if pid is not None:
                raise OutputBusy(f"another docclean run (pid {pid}) is writing to {below}, inside this output "
                                 "folder; wait for it to finish or choose another output folder", shown)


@contextmanager
def output_lock(folder: Path, wait: float = 0.0, *, name: str = LOCK_NAME, holder: str = "docclean run",
                advice: str = "wait for it to finish", within: Iterable[Path] | None = None,
                shown: Path | None = None) -> Iterator[Callable[[], bool]]:
    """Hold the output folder's lock (creating the folder); OutputBusy when another run holds it
    for longer than ``wait`` seconds. ``name``, ``holder`` and ``advice``: another lock of the
    same folder (the hot folder's: one watcher per output, while each of its files takes the
    batch's lock) and how its refusal reads. With ``within`` (the folders this run writes to),
    a run in a folder above or below this one is refused too (:func:`check_nested_runs`).
    ``shown``: the folder as the user named it, for the errors (default ``folder``).

    Yields a function that says whether the lock still guards the folder: False once the folder
    (or its lock file) was deleted or replaced, when another run could take the folder's lock anew."""
    shown = shown or folder
    try:
        folder.mkdir(parents=True, exist_ok=True)
        fd = os.open(folder / name, os.O_RDWR | os.O_CREAT, 0o666)
    except OSError as exc:
        raise output_error("cannot create the output folder or its lock", exc, shown) from None
    try:
        deadline = time.monotonic() + wait
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    pid = os.pread(fd, 32, 0).decode(errors="replace").strip() or "unknown"
                    raise OutputBusy(f"another {holder} (pid {pid}) is writing to this output folder; "
                                     f"{advice} or choose another output folder", shown) from None
                time.sleep(0.2)
        try:
            os.ftruncate(fd, 0)
            os.pwrite(fd, str(os.getpid()).encode(), 0)
        except OSError:
            pass  # the pid only names this run to another one; a full disk shows at the first output
        def held() -> bool:
            try:
                now, ours = os.stat(folder / name), os.fstat(fd)
            except OSError:
                return False
            return (now.st_dev, now.st_ino) == (ours.st_dev, ours.st_ino)

        try:
            if within is not None:
                check_nested_runs(folder, within, shown)
            yield held
        finally:
            if held():  # removed before the lock is released; another run's lock file is not ours
                try:
                    os.unlink(folder / name)
                except OSError:
                    pass
    finally:
        os.close(fd)


class MadeFolder:
    """Whether :func:`output_lock` is about to make ``folder``: note it before taking the lock, and
    a run that fails before writing anything can take the folder away again
    (:meth:`remove_if_empty`), leaving nothing behind, as it did before output folders had a lock."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.made = not folder.exists()

    def remove_if_empty(self) -> None:
        """Remove the folder if the lock made it and it is still empty; call after the lock is
        released (the lock file is gone by then). A folder that was there before stays."""
        if not self.made:
            return
        try:
            self.folder.rmdir()  # only while empty: whatever was written in it meanwhile stays
        except OSError:
            pass


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # someone else's live process
    return True


def stale_temps(entries: Iterable[os.DirEntry]) -> list[Path]:
    """The docclean temporary outputs among a folder's ``entries`` whose writer process no longer exists."""
    return [Path(entry.path) for entry in entries if (match := TEMP_PATTERN.match(entry.name)) is not None
            and entry.is_file(follow_symlinks=False) and not _alive(int(match["pid"]))]


def remove_stale_temps(folders: Iterable[Path], listed: Listings | None = None) -> list[Path]:
    """Delete docclean temporary outputs in ``folders`` whose writer process no longer exists;
    returns what was removed. Call only while holding :func:`output_lock` (``listed``: the folders
    as listed since then)."""
    removed: list[Path] = []
    for folder in sorted(set(folders)):
        for path in stale_temps(listed[folder] if listed is not None and folder in listed else list_folder(folder)):
            try:
                os.unlink(path)
                removed.append(path)
            except OSError:
                pass
    return removed
