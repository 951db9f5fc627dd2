"""Which version of a file is on disk, and a search of a whole file's bytes, for the modules that
cache what they read from a file or look for a few bytes in one.

:func:`file_version` tells one version of a file from another by one stat (two could straddle a
write): (size, mtime, inode, ctime). Size and mtime alone miss a file replaced by another of the
same size with its times kept (``cp -p``, ``rsync -t``, ``os.utime``): written in place it keeps its
inode too, but its ctime, which no tool can set, is new. A cache keyed on it reads such a file again;
at worst a chmod or a rename reads an unchanged file again.

:func:`find_all` finds every place a run of bytes lies in a file, read in chunks, not mapped: a
read releases the GIL and fails with OSError, where a mapped file that shrinks, or a share's error,
kills the process (SIGBUS)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import BinaryIO, NamedTuple

__all__ = ["FileVersion", "file_version", "find_all", "version_of"]

#: Bytes :func:`find_all` reads at a time, unless told.
CHUNK = 1 << 20


class FileVersion(NamedTuple):
    """What tells one version of a file from another (:func:`file_version`); compares and hashes as
    the plain tuple (size, mtime_ns, inode, ctime_ns)."""

    size: int
    mtime_ns: int
    inode: int
    ctime_ns: int


def file_version(path: str | os.PathLike[str]) -> FileVersion | None:
    """The version of the file at ``path`` from one stat (links followed), or None where it cannot
    be looked at (gone, a share that does not answer)."""
    try:
        return version_of(os.stat(path))
    except OSError:
        return None


def version_of(st: os.stat_result) -> FileVersion:
    """The version a stat already made says (:func:`file_version`, for a caller that wants its
    OSError)."""
    return FileVersion(st.st_size, st.st_mtime_ns, st.st_ino, st.st_ctime_ns)


def find_all(fh: BinaryIO, needle: bytes, before: int = 0, after: int = 0,
             chunk: int = CHUNK) -> Iterator[tuple[bytes, int]]:
    """Each place ``needle`` lies in ``fh`` from where it stands to its end, in order, occurrences
    that overlap an earlier one left out: (a part of the file, where in that part the needle
    begins). The part holds ``before`` bytes before the needle and ``after`` bytes after its end,
    where the file has them. ``fh`` is read ``chunk`` bytes at a time, and only as far as the
    occurrences asked for need: a caller that stops at the first reads no further. A part is bytes,
    which the caller may keep; its offsets are its own, not the file's. OSError from a read passes
    through."""
    if not needle or chunk < 1:
        raise ValueError("find_all needs a needle and a chunk of at least one byte")
    span = len(needle) + after  # from the needle's start, what the part must hold after it
    part, searched = b"", 0
    while True:
        data = fh.read(chunk)
        if data and needle not in data and needle not in part[searched:] + data[:len(needle) - 1]:
            # None begins in this chunk or at its edge (most chunks): only the last bytes are kept.
            kept = (part + data[-(before + span):])[-(before + span):]
            shift = len(part) + len(data) - len(kept)
            part, searched = kept, max(0, searched - shift, len(kept) + 1 - len(needle))
            continue
        part += data
        # Occurrences that begin before ``ready`` have all their bytes after them (at the end, all do).
        ready = len(part) + 1 - span if data else len(part)
        at = part.find(needle, searched)
        while 0 <= at < ready:
            yield part, at
            searched = at + len(needle)
            at = part.find(needle, searched)
        if not data:
            return
        searched = max(searched, ready)  # none not yet given begins before it
        keep = max(0, ready - before)
        part, searched = part[keep:], searched - keep
