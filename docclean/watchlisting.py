"""How the hot folder lists its input folder: the supported, visible files with their (size,
mtime) signature (:func:`list_inbox`, :func:`file_signature`), subfolders that cannot be listed
skipped and links that lead nowhere noted, and the warnings for those said once each
(:func:`unlisted_notices`, :func:`broken_link_notices`)."""

from __future__ import annotations

import errno
import os
from pathlib import Path

from docclean import formats
from docclean.fileid import file_version

Listing = dict[str, tuple[Path, tuple[int, int]]]
"""Files by path relative to the input folder (posix), each with its path and (size, mtime_ns)."""



def list_inbox(inbox: Path, skip: list[str], linked: list[Path] | None = None,
               broken: dict[str, OSError] | None = None) -> tuple[Listing, dict[str, OSError]]:
    """Supported, visible files under ``inbox`` (hidden folders and the real paths in ``skip`` left
    out; links to folders outside it followed), and the subfolders that cannot be listed (relative path ->
    the error): those are skipped and the rest is listed. OSError when ``inbox`` itself cannot be
    listed: then nothing is known. ``linked`` collects the folders that links led to, ``broken`` the
    links that lead nowhere (relative path -> the error: gone, or a loop), which are skipped: those
    named like a scan, and those with no suffix (a link to a folder, perhaps)."""
    found: Listing = {}
    unlisted: dict[str, OSError] = {}

    def cannot_list(error: OSError) -> None:
        where = Path(os.fsdecode(error.filename)) if error.filename else inbox
        if where == inbox or not where.is_relative_to(inbox):
            raise error
        unlisted[where.relative_to(inbox).as_posix()] = error

    root = os.path.realpath(inbox)
    seen = {root}
    # Links to folders outside IN are followed, as ``docclean clean`` follows them, each folder
    # once. A link to a folder inside IN is not: that folder is listed under its own name, and
    # a scan listed under two names would be cleaned twice, whichever sorted first.
    for folder, dirs, files in os.walk(inbox, onerror=cannot_list, followlinks=True):
        keep = []
        for d in sorted(dirs):
            path = os.path.join(folder, d)
            real = os.path.realpath(path)
            inside = os.path.islink(path) and (real == root or real.startswith(root + os.sep))
            if not d.startswith(".") and real not in skip and real not in seen and not inside:
                seen.add(real)
                keep.append(d)
                if linked is not None and os.path.islink(path):
                    linked.append(Path(real))
        dirs[:] = keep
        for name in sorted(files):
            if name.startswith("."):
                continue
            path = Path(folder, name)
            if not formats.is_supported(name):
                if broken is not None and not path.suffix:  # a link to a folder that is not there?
                    _note_broken(path, inbox, broken)
                continue
            signature = file_signature(path)
            if signature is not None:
                found[path.relative_to(inbox).as_posix()] = (path, signature)
            elif broken is not None:  # a link leading nowhere, or a file that vanished between listing and stat
                _note_broken(path, inbox, broken)
    return found, unlisted


def _note_broken(path: Path, inbox: Path, broken: dict[str, OSError]) -> None:
    """Put ``path`` in ``broken`` when it is a link that leads nowhere (its target gone, or a loop)."""
    if not os.path.islink(path):
        return
    try:
        os.stat(path)
    except OSError as exc:
        broken[path.relative_to(inbox).as_posix()] = exc


def broken_link_notices(inbox: Path, before: dict[str, OSError], now: dict[str, OSError]) -> list[str]:
    """Warnings for the links in IN that lead nowhere now and did not at the last listing: each is
    said once, not at every poll (again only if it leads somewhere in between)."""
    said = []
    for name in sorted(set(now) - set(before)):
        path, error = inbox / name, now[name]
        try:
            where = os.readlink(path)
        except OSError:  # gone since the listing
            continue
        why = "it loops back on itself" if error.errno == errno.ELOOP else f"it leads to {where}, which is not there"
        said.append(f"{path}: a link that leads nowhere ({why}); skipping it till it does")
    return said


def unlisted_notices(inbox: Path, before: dict[str, OSError], now: dict[str, OSError]) -> list[str]:
    """Warnings for subfolders that cannot be listed now and could before, and for those that can
    be listed again (not for one that is gone, or merely hidden behind an unlistable parent)."""
    said = [f"{inbox / folder}: cannot list this folder ({now[folder].strerror or now[folder]}); "
            "skipping it till it can be" for folder in sorted(set(now) - set(before))]
    for folder in sorted(set(before) - set(now)):
        behind = any(folder.startswith(f"{parent}/") for parent in now)
        if not behind and (inbox / folder).is_dir():
            said.append(f"{inbox / folder}: the folder can be listed again")
    return said


def file_signature(path: Path) -> tuple[int, int] | None:
    """A file's size and modification time from one stat (``docclean.fileid.file_version``; two
    could straddle a write), or None when it is gone: a scan is stable when this stays the same from
    one poll to the next. Not the whole version: a scanner writing changes the mtime anyway, while
    the inode and ctime change on what leaves a scan as it was (a chmod, a link, a rename, a backup
    tool's attributes; and the inode on a share remounted without stable ones), and the record keeps
    this pair for every scan handled: a scan would be cleaned again for them, and every scan it holds
    once on upgrading. The record keeps a failed scan's ctime on its own (``Ledger.handled``)."""
    version = file_version(path)
    return None if version is None else (version.size, version.mtime_ns)
