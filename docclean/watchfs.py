"""How the hot folder learns that files arrived: file system events (watchdog's inotify observer)
where they work, polling where they do not (asked for, watchdog missing, or a network file
system, where inotify misses changes other machines make). Used by :mod:`docclean.watch`."""

from __future__ import annotations

import os
import re
import threading
import time
from pathlib import Path
from typing import Any

__all__ = ["NETWORK_FILESYSTEMS", "FolderEvents", "filesystem_type", "idle_wait", "polling_reason"]

MOVED_FIRST, MOVED_EVERY = 0.2, 2.0
"""A waiting watcher first checks its folders 0.2 s into a wait (a replaced inbox is noticed at
once after activity), then half as often each time, down to once every 2 s while nothing happens."""

#: File systems where inotify misses changes made by other machines: these are polled.
NETWORK_FILESYSTEMS = frozenset({"nfs", "nfs4", "cifs", "smb", "smb3", "smbfs", "ncpfs", "afs", "9p", "ceph",
                                 "glusterfs", "lustre", "davfs", "fuse.sshfs", "fuse.rclone", "fuse.glusterfs",
                                 "fuse.cephfs", "fuse.s3fs", "fuse.davfs"})


def filesystem_type(path: str | Path, mounts: str | Path = "/proc/mounts") -> str | None:
    """The file system type of the mount holding ``path`` (from ``/proc/mounts``), or None if unknown."""
    try:
        lines = Path(mounts).read_text().splitlines()
    except OSError:
        return None
    target = os.path.realpath(path)
    best, best_type = "", None
    for line in lines:
        parts = line.split()
        if len(parts) < 3:
            continue
        # /proc/mounts writes a space as \040 (octal escapes for space, tab, newline, backslash) and
        # every other character, UTF-8 included, as it is: decode only the escapes.
        point = re.sub(r"\\([0-7]{3})", lambda m: chr(int(m[1], 8)), parts[1])
        inside = target == point or target.startswith(point.rstrip("/") + "/")
        if inside and len(point) >= len(best):
            best, best_type = point, parts[2]
    return best_type


def polling_reason(path: str | Path, poll: float | None) -> str | None:
    """Why ``path`` must be polled instead of watched through events (None: events work)."""
    if poll is not None:
        return "asked for"
    fs = filesystem_type(path)
    if fs is not None and fs in NETWORK_FILESYSTEMS:
        return f"{fs} is a network file system"
    try:
        import watchdog.observers  # noqa: F401
    except ImportError:
        return "watchdog is not installed"
    return None


class FolderEvents:
    """A running watchdog observer that sets ``wake`` on any change under the folders it follows.

    inotify watches a folder, not a path: a folder reached through a link in the inbox needs a
    watch of its own, and an inbox replaced under its name (``mv in in.old; mkdir in``) a new one.
    :meth:`follow` keeps one watch per folder, renewed when the path names another folder; without
    it such files waited for the watcher's 30-second check."""

    def __init__(self, wake: threading.Event) -> None:
        from watchdog.events import FileSystemEventHandler
        from watchdog.observers import Observer

        class _Wake(FileSystemEventHandler):
            def on_any_event(self, event: Any) -> None:
                wake.set()

        self._handler = _Wake()
        self._watches: dict[str, tuple[tuple[int, int], Any]] = {}
        self._missing: list[Path] = []  # followed paths that named no folder at the last follow
        self._observer = Observer()
        self._observer.daemon = True
        self._observer.start()

    def follow(self, folders: list[Path]) -> bool:
        """Watch exactly ``folders`` (recursively); True when a watch began, so the caller lists
        again what may have arrived before it. A folder that cannot be watched is left to the
        listing, which finds its files anyway."""
        wanted: dict[str, tuple[int, int]] = {}
        self._missing = []
        for folder in folders:
            try:
                st = os.stat(folder)
            except OSError:
                self._missing.append(folder)
                continue
            wanted[str(folder)] = (st.st_dev, st.st_ino)
        for path, (ident, watch) in list(self._watches.items()):
            if wanted.get(path) != ident:
                del self._watches[path]
                try:
                    self._observer.unschedule(watch)
                except Exception:  # noqa: BLE001 - a watch whose folder is gone is gone already
                    pass
        began = False
        for path, ident in wanted.items():
            if path not in self._watches:
                try:
                    self._watches[path] = (ident, self._observer.schedule(self._handler, path, recursive=True))
                    began = True
                except Exception:  # noqa: BLE001 - e.g. out of inotify watches: the listing still finds files
                    pass
        return began

    def moved(self) -> bool:
        """Whether a followed path names another folder now, or none, or one now that named none
        (an unmounted inbox back): moving a watched folder away sends no event to its own watch,
        so the watcher asks between its waits."""
        if any(os.path.isdir(folder) for folder in self._missing):
            return True
        for path, (ident, _) in self._watches.items():
            try:
                st = os.stat(path)
            except OSError:
                return True
            if (st.st_dev, st.st_ino) != ident:
                return True
        return False

    def stop(self) -> None:
        """Stop the observer's thread."""
        self._observer.stop()
        self._observer.join(timeout=5)


def idle_wait(wake: threading.Event, stop: threading.Event, timeout: float, events: FolderEvents | None) -> None:
    """Wait until ``wake`` or ``stop`` is set or ``timeout`` seconds have passed; with ``events``,
    also until a followed folder moved (:meth:`FolderEvents.moved`). ``stop`` is looked at every
    0.2 s, which costs nothing; the folders are stat'ed 0.2 s into the wait and then ever less often,
    every :data:`MOVED_EVERY` seconds at most: checked every 0.2 s for ever, an idle watcher on a
    network share or many linked folders did file-system work 5 times a second."""
    now = time.monotonic()
    deadline, check, gap = now + timeout, now + MOVED_FIRST, MOVED_FIRST
    while not stop.is_set() and not wake.is_set() and now < deadline:
        wake.wait(min(0.2, deadline - now))
        now = time.monotonic()
        if events is not None and now >= check and not wake.is_set():
            if events.moved():
                return  # the inbox replaced under its name, a linked folder gone: list anew
            gap = min(2 * gap, MOVED_EVERY)
            check = now + gap
