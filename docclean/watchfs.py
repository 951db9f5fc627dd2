"""How the hot folder learns that files arrived: file system events (watchdog's inotify observer)
where they work, polling where they do not (asked for, watchdog missing, or a network file
system, where inotify misses changes other machines make). Used by :mod:`docclean.watch`."""

from __future__ import annotations

import os
import re
import threading
from pathlib import Path
from typing import Any

__all__ = ["NETWORK_FILESYSTEMS", "filesystem_type", "polling_reason", "start_observer"]

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


def start_observer(folder: Path, wake: threading.Event) -> Any:
    """A running watchdog observer that sets ``wake`` on any change under ``folder``."""
    from watchdog.events import FileSystemEventHandler
    from watchdog.observers import Observer

    class _Wake(FileSystemEventHandler):
        def on_any_event(self, event: Any) -> None:
            wake.set()

    observer = Observer()
    observer.schedule(_Wake(), str(folder), recursive=True)
    observer.daemon = True
    observer.start()
    return observer
