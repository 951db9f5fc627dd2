"""One INPUT item of ``docclean clean`` as the files it names and where each goes (``docclean.discover``
puts the items together; ``docclean.sources`` lists them for the desktop app).

A folder is walked (``docclean.walk``) and mirrored under OUTPUT; a file goes to ``OUTPUT/<name>``;
a pattern's matches are taken as the shell would give them: a file goes to OUTPUT relative to the
pattern's non-magic base folder, a folder is walked as a folder input is and mirrored under the
place of its parent there (a ``**`` walks the base folder: what it reaches keeps its path below
the base). The output folder is never walked as an input, wherever the walk meets it: inside the
input folder, or through a link in it (a rerun would otherwise clean its own outputs, and the tree
grew ``out/cleaned/cleaned/...``). Whatever exists and is no folder is a file here (a FIFO, a link
loop): it fails later with its reason, not "no such file or folder".
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

from docclean import formats
from docclean.places import folder_id, user_path
from docclean.walk import (
    MAGIC,
    Covered,
    Stop,
    cannot_read,
    file_key,
    glob_base,
    matches,
    other_files,
    path_key,
    walk_folder,
)

#: (source, target) pairs of one item, and the error that item is, if it names nothing.
Expanded = tuple[list[tuple[Path, Path]], str | None]


def is_strictly_inside(path: Path, folder: Path) -> bool:
    """Whether ``path`` lies below ``folder`` and is not ``folder`` itself."""
    return path != folder and path.is_relative_to(folder)


def input_folder(item: str) -> Path | None:
    """The folder an INPUT item reads from: a folder itself, or a glob pattern's leading folders
    (``scans/*.png`` reads ``scans``); None for a file or a path that does not exist."""
    path = user_path(item)
    if path.is_dir():
        return path
    if os.path.lexists(path) or not MAGIC.search(item):
        return None
    return glob_base(str(path))


def expand(item: str, output: Path, fmt: str | None, single_file: bool = False,
           walked: Callable[[Path], object] | None = None, stop: Stop | None = None,
           covered: Covered | None = None,
           left_out: Callable[[str, list[Path]], object] | None = None,
           unreadable: Callable[[Path, OSError], object] | None = None,
           skipped: Callable[[Path], object] | None = None) -> Expanded:
    """(source, target) pairs for one INPUT item, or an error message if it yields nothing.
    ``walked(path)``: a folder's walk or a pattern found the file ``path`` (told as it goes); ``stop``
    and ``covered``: as :func:`docclean.walk.walk_folder` takes them; ``left_out(item, files)``: the
    other files (of types docclean does not read) a folder or pattern that yielded pairs holds or
    matches, if any; ``unreadable(folder, error)``: a folder below it (or a pattern's folder) that
    cannot be listed (the item's own folder unreadable is its error); ``skipped(path)``: where the
    walk met the output folder and left it out."""
    path = user_path(item)
    out_key = path_key(output)
    suffixes = ", ".join(sorted(formats.SUPPORTED_SUFFIXES))

    def target(source: Path, relative: Path) -> Path:
        if single_file:
            return output
        return (output / relative).with_suffix(formats.output_suffix(source, fmt))

    if path.is_dir():
        pairs, others, unread = [], [], []
        for p in walk_folder(path, out_key, stop=stop, covered=covered, others=others.append, skipped=skipped,
                             unreadable=lambda folder, exc: unread.append((folder, exc))):
            pairs.append((p, target(p, p.relative_to(path))))
            if walked is not None:
                walked(p)
        if unread and unread[0][0] == path:  # the folder itself: nothing below it was seen
            return [], cannot_read(unread[0][1])
        if unreadable is not None:
            for folder, exc in unread:
                unreadable(folder, exc)
        if pairs:
            if others and left_out is not None:
                left_out(item, others)
            return pairs, None
        holds = f"; it holds {other_files(others)}" if others else ""
        return [], f"no supported files in this folder (looked for {suffixes}{holds})"
    if os.path.lexists(path):  # a file, or what stands in one's place (a FIFO, a broken link, a loop)
        if not formats.is_supported(path):
            return [], f"unsupported file type {path.suffix or '(no suffix)'!r} (supported: {suffixes})"
        return [(path, target(path, Path(path.name)))], None
    if not MAGIC.search(item):
        return [], "no such file or folder"
    pattern = str(path) if item.startswith("~") else item
    base = glob_base(pattern)
    pairs, others, unread = [], [], []
    folders: dict[Path, Path] = {}
    out_id: list[tuple[int, int] | None] = []  # the output's (device, inode), asked once a folder matches

    def take(source: Path, relative: Path) -> None:
        pairs.append((source, target(source, relative)))
        if walked is not None:
            walked(source)

    def cannot_list(folder: Path, exc: OSError) -> None:
        unread.append(folder)
        if unreadable is not None:
            unreadable(folder, exc)

    # As the shell would give them: a folder is walked as a folder input is (mirrored under OUTPUT
    # where its parent lies below the pattern's base: `'scans/*'` puts scans/2024-01/a.png at
    # OUTPUT/a.png, as `scans/*` expanded by the shell does), a file goes to OUTPUT/<path below
    # the base>. Files of other types are told, not dropped (``scans/*`` matched a JPEG 2000 master).
    for match in matches(pattern, base, out_key, stop, others=others.append, unreadable=cannot_list,
                         skipped=skipped):
        if os.path.isdir(match):
            if not out_id:
                out_id.append(folder_id(output))
            if path_key(match).is_relative_to(out_key) or (out_id[0] is not None and folder_id(match) == out_id[0]):
                if skipped is not None:  # the output folder, or one inside it: never an input
                    skipped(match)
                continue
            place = match.parent.relative_to(base)
            for p in walk_folder(match, out_key, stop=stop, covered=covered, others=others.append, skipped=skipped,
                                 unreadable=cannot_list):
                take(p, place / p.relative_to(match))
            continue
        inside_output = file_key(match, folders).is_relative_to(out_key)  # however the pattern reached it
        if not formats.is_supported(match):
            if os.path.isfile(match) and not inside_output:
                others.append(match)
        elif inside_output:
            if skipped is not None:
                skipped(match)
        else:
            take(match, match.relative_to(base))
    if len(others) > 1:  # two matched folders may reach one file (a link in one to the other): told once
        once: dict[Path, Path] = {}
        for other in others:
            once.setdefault(file_key(other, folders), other)
        others = list(once.values())
    if pairs:
        if others and left_out is not None:
            left_out(item, others)
        return pairs, None
    if unread:  # that folder's error says why
        return [], None
    found = f"; it found {other_files(others)}" if others else ""
    return [], f"pattern matched no supported files (looked for {suffixes}{found})"
