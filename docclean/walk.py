"""The walk of an input folder, and glob patterns' ``**``, as ``docclean.discover`` finds files.

A folder is walked recursively in sorted order, hidden files and folders skipped, links to folders
followed, each folder once, only ``formats.SUPPORTED_SUFFIXES`` (:func:`walk_folder`). A pattern's
``**`` walks its base folder the same way (:func:`matches`), taking what it matches and what lies
below the folders it matches, as bash's ``globstar`` does.

A walk can be stopped (the desktop app's Stop, a newer open, closing the window): ``stop`` is asked
before each folder entry is read and before each file is looked at, and once it answers True the
walk raises :class:`docclean.errors.Cancelled`. A folder of 300,000 names on a slow network share
takes seconds to read, so the check sits inside the reading of one folder too, not only between
folders.

What a walk passes by is told, not dropped: the files of other types (:func:`other_files`,
:func:`left_out_message`) and the folders it cannot list (:func:`cannot_read`).
"""

from __future__ import annotations

import fnmatch
import glob
import os
import re
from collections.abc import Callable, Iterator
from pathlib import Path

from docclean import formats
from docclean.errors import Cancelled
from docclean.places import folder_id

MAGIC = re.compile(r"[*?[]")

#: Asked during a walk whether to stop; True stops it (``threading.Event().is_set`` will do).
Stop = Callable[[], bool]


def path_key(path: Path) -> Path:
    """A path's identity for comparisons: absolute with symlinks resolved, without raising."""
    return Path(os.path.realpath(path))


def file_key(path: Path, folders: dict[Path, Path]) -> Path:
    """:func:`path_key` of a file, its folder's resolved once for all the files in it: resolving
    each file's whole path took 2.5 times as long as the walk of a 300,000-file archive."""
    if os.path.islink(path):  # False where it cannot be looked at (a path too long), as realpath takes it
        return path_key(path)
    folder = folders.get(path.parent)
    if folder is None:
        folder = folders[path.parent] = path_key(path.parent)
    return folder / path.name


def check_stop(stop: Stop | None) -> None:
    """Raise :class:`Cancelled` when ``stop`` says the walk is no longer wanted."""
    if stop is not None and stop():
        raise Cancelled("the walk was stopped")


class Covered:
    """What the walks of one listing entered: each folder (by :func:`path_key`) with the output
    folder its walk left out, and the folders below which the walk found files. A later input
    folder that was entered, under the same rule, with files found below it, would add no file:
    it need not be walked again (``discover.list_sources``)."""

    def __init__(self) -> None:
        self.entered: dict[Path, Path | None] = {}
        self.parent: dict[Path, Path | None] = {}
        self.with_files: set[Path] = set()

    def enter(self, key: Path, parent: Path | None, skip_under: Path | None) -> None:
        """The walk (leaving ``skip_under`` out) entered the folder ``key`` from ``parent``."""
        self.entered.setdefault(key, skip_under)
        self.parent.setdefault(key, parent)

    def found_in(self, key: Path) -> None:
        """The walk found a file in the folder ``key``: it and the folders above it hold files."""
        current: Path | None = key
        while current is not None and current not in self.with_files:
            self.with_files.add(current)
            current = self.parent.get(current)

    def holds(self, key: Path, skip_under: Path | None) -> bool:
        """Whether a walk of the folder ``key`` leaving ``skip_under`` out would find no file an
        earlier walk did not: one entered it under that rule and found files below it."""
        return key in self.with_files and key in self.entered and self.entered[key] == skip_under


def _entries(folder: Path, stop: Stop | None) -> tuple[list[str], list[str]]:
    """The names of the folders and of the other entries in ``folder`` (OSError when it cannot be
    read). A link to a folder counts as a folder."""
    dirs: list[str] = []
    files: list[str] = []
    with os.scandir(folder) as entries:
        for entry in entries:
            check_stop(stop)
            try:
                is_dir = entry.is_dir()
            except OSError:
                is_dir = False
            (dirs if is_dir else files).append(entry.name)
    return dirs, files


def walk_folder(folder: Path, skip_under: Path | None, *, stop: Stop | None = None,
                covered: Covered | None = None, others: Callable[[Path], object] | None = None,
                unreadable: Callable[[Path, OSError], object] | None = None,
                skipped: Callable[[Path], object] | None = None) -> Iterator[Path]:
    """Supported, non-hidden files below ``folder`` in sorted order (and what stands in a file's
    place under a scan's name: a FIFO, a broken link, a link loop, to fail with its reason), not descending into
    ``skip_under`` (the output folder, by :func:`path_key`: inside this input folder, or reached
    through a link in it; ``skipped`` is told where the walk met it). A link to a folder
    is followed (skipped, its scans would go missing without a word), each folder once, so a
    link back up the tree is no loop. ``stop``: asked before each entry; True raises
    :class:`Cancelled`. ``covered``: told which folders were entered and held files. ``others``:
    told each other file (not hidden, of a type docclean does not read) as the walk passes it.
    ``unreadable(folder, error)``: told each folder that cannot be listed (no permission, a share
    gone), which is left out; without it such a folder is left out without a word."""
    top = path_key(folder)
    seen = {top}
    # The output reached by another path (a bind mount, SCANS for scans on a case-insensitive
    # volume) is the same folder by device and inode; only folders are asked, not every file.
    skip_id = folder_id(skip_under) if skip_under is not None else None
    if covered is not None:
        covered.enter(top, None, skip_under)
    # Depth first, a folder's files before its subfolders, subfolders in sorted order: the order
    # os.walk gave, with the stop asked inside the reading of one folder too.
    pending: list[tuple[Path, Path]] = [(Path(folder), top)]
    while pending:
        root, root_key = pending.pop()
        try:
            dirs, files = _entries(root, stop)
        except OSError as exc:
            if unreadable is not None:
                unreadable(root, exc)
            continue
        keep = []
        for name in sorted(dirs):
            check_stop(stop)
            key = path_key(root / name)
            if name.startswith(".") or key in seen:
                continue
            if key == skip_under or (skip_id is not None and folder_id(root / name) == skip_id):
                if skipped is not None:
                    skipped(root / name)
                continue
            seen.add(key)
            keep.append((root / name, key))
            if covered is not None:
                covered.enter(key, root_key, skip_under)
        pending.extend(reversed(keep))
        for name in sorted(files):
            check_stop(stop)
            path = root / name
            # Whatever is no folder is yielded, to fail with its reason: a broken link, a link
            # loop, a FIFO (the reader looks before it opens, so none blocks it). Left out, a scan
            # would go missing without a word.
            if name.startswith("."):
                continue
            if not formats.is_supported(path):
                if others is not None and path.is_file():
                    others(path)
            else:
                if covered is not None:
                    covered.found_in(root_key)
                yield path


def glob_base(pattern: str) -> Path:
    """The leading folders of ``pattern`` that contain no glob magic (``.`` if none)."""
    parts = Path(pattern).parts
    base: list[str] = []
    for part in parts[:-1]:
        if MAGIC.search(part):
            break
        base.append(part)
    return Path(*base) if base else Path(".")


def matches(pattern: str, base: Path, skip_under: Path | None, stop: Stop | None = None, *,
            others: Callable[[Path], object] | None = None,
            unreadable: Callable[[Path, OSError], object] | None = None,
            skipped: Callable[[Path], object] | None = None) -> list[Path]:
    """The paths ``pattern`` matches, sorted: files and folders, as the shell expands it (a folder
    among them is the caller's to walk, as a folder input is). A ``**`` matches files and folders
    at any depth, as bash's ``globstar`` does, and walks ``base`` as a folder input is walked
    (:func:`walk_folder`: links to folders followed, each folder once, ``stop`` asked as it goes,
    ``skip_under`` left out and ``skipped`` told where it was met, ``unreadable`` told each folder
    it cannot list): it gives the files it matches and the files below the folders it matches
    (``scans/**`` matches ``scans`` itself: all of its files), and tells ``others`` each file of
    another type that it matches so. ``glob``'s own ``**`` follows a link back up the tree again and
    again (``loop -> .`` gave 41 copies of one scan, two such links a listing that never ended)."""
    parts = Path(pattern).parts
    if "**" not in parts:
        return [Path(match) for match in sorted(glob.glob(pattern))]
    if not base.is_dir():  # nothing to match in (an error of the walk's would say "cannot read")
        return []
    rest = parts[len(base.parts):] if base != Path(".") else parts
    below: dict[tuple[str, ...], bool] = {}  # folder (parts below base) -> whether it or one above it matches

    def in_matched_folder(folder: tuple[str, ...]) -> bool:
        if folder not in below:
            below[folder] = _match_parts(folder, rest) or (bool(folder) and in_matched_folder(folder[:-1]))
        return below[folder]

    def wanted(path: Path) -> bool:
        relative = path.relative_to(base).parts
        return in_matched_folder(relative[:-1]) or _match_parts(relative, rest)

    def other(path: Path) -> None:
        if others is not None and wanted(path):
            others(path)

    walked = walk_folder(base, skip_under, stop=stop, others=other, unreadable=unreadable, skipped=skipped)
    return sorted((p for p in walked if wanted(p)), key=str)


def _match_parts(parts: tuple[str, ...], pattern: tuple[str, ...]) -> bool:
    """Whether path components ``parts`` match pattern components as ``glob`` matches them (``**``:
    any number of folders, none included; else ``fnmatch`` within one component)."""
    if not pattern:
        return not parts
    if pattern[0] == "**":
        return any(_match_parts(parts[i:], pattern[1:]) for i in range(len(parts) + 1))
    return bool(parts) and fnmatch.fnmatchcase(parts[0], pattern[0]) and _match_parts(parts[1:], pattern[1:])


#: Kinds of other files named in :func:`other_files`, at most.
OTHER_KINDS = 4


def other_files(files: list[Path]) -> str:
    """How many ``files`` (of types docclean does not read) there are, by suffix, most first:
    "3 files of other types (2 .xml, 1 .gif)". An archive's JPEG 2000 masters or its scans saved
    without a suffix would otherwise vanish from a run without a word."""
    kinds: dict[str, int] = {}
    for path in files:
        suffix = path.suffix.lower() or "without a suffix"
        kinds[suffix] = kinds.get(suffix, 0) + 1
    if len(files) == 1:
        return f"1 file of another type ({next(iter(kinds))})"
    ranked = sorted(kinds.items(), key=lambda kind: (-kind[1], kind[0]))
    named = ", ".join(f"{count:,} {suffix}" for suffix, count in ranked[:OTHER_KINDS])
    more = f", {len(ranked) - OTHER_KINDS} more kinds" if len(ranked) > OTHER_KINDS else ""
    return f"{len(files):,} files of other types ({named}{more})"


def cannot_read(exc: OSError) -> str:
    """Why a folder's scans are not cleaned when it cannot be listed."""
    return f"cannot read this folder ({exc.strerror or exc}); the scans in it are not cleaned"


def left_out_message(files: list[Path]) -> str:
    """What a run, or the desktop app's list, says of an input folder's ``files`` of other types."""
    return f"{other_files(files)} left out: docclean does not read them"
