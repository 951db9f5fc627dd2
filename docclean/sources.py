"""The files INPUT items name, for the desktop app's page list: :func:`list_sources`, by the rules
``docclean clean`` follows (``docclean.expand``), planning no output."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

from docclean.expand import expand, input_folder, is_strictly_inside
from docclean.places import user_path
from docclean.walk import (
    Covered,
    Stop,
    cannot_read,
    check_stop,
    file_key,
    left_out_message,
    path_key,
)


def list_sources(inputs: list[str | Path], output: str | os.PathLike | None = None,
                 found: Callable[[int], object] | None = None, *,
                 stop: Stop | None = None) -> tuple[list[Path], list[str]]:
    """The supported files INPUT items name (each once, in order) and one line per item that names
    none, planning no output: files of one name from two folders are both listed (what a viewer
    opens, not a batch that would write both to one place). With ``output``, the files ``docclean
    clean INPUTS -o OUTPUT`` cleans: an output folder inside a folder (or a pattern's folder) is
    not walked, by the rule ``docclean.discover.discover`` follows; a file named itself is listed
    wherever it lies. ``found(n)`` is told how many files were found so far, as each is found (an
    archive takes seconds to walk). ``stop()`` is asked before each folder entry and each file the
    walk looks at; once it answers True this raises :class:`docclean.errors.Cancelled` (the
    desktop app's Stop). A folder named twice, or one inside a folder named before it whose walk
    found files there, is walked once: it could add no file. An input folder's files of other
    types are one line of ``problems`` (:func:`left_out_message`)."""
    # No output is planned, so none may be inside an input folder: a path that cannot exist.
    out = Path(os.devnull) / "docclean-no-output" if output is None else user_path(output)
    out_key = path_key(out)
    files: list[Path] = []
    problems: list[str] = []
    seen: set[Path] = set()
    folders: dict[Path, Path] = {}
    covered = Covered()
    walked_folders: dict[tuple[Path, Path | None], str | None] = {}  # (folder, left out) -> its problem

    def take(source: Path) -> None:
        # Told as the walk goes, each file once: a count of files seen twice (a folder and its
        # subfolder both opened) ran past the total, then fell back to it.
        key = file_key(source, folders)
        if key not in seen:
            seen.add(key)
            files.append(source)
            if found is not None:
                found(len(files))

    def problem(item: str, error: str) -> None:
        problems.append(f"{item}: {error}{_left_out_note(item, out) if output is not None else ''}")

    for item in map(str, inputs):
        check_stop(stop)
        path = user_path(item)
        walked_as = (path_key(path), out_key) if path.is_dir() else None
        if walked_as is not None and walked_as in walked_folders:  # the same folder again: the same answer
            if walked_folders[walked_as] is not None:
                problem(item, walked_folders[walked_as])
            continue
        if walked_as is not None and covered.holds(*walked_as):
            continue
        walked = False

        def step(source: Path) -> None:
            nonlocal walked
            walked = True
            take(source)

        pairs, error = expand(item, out, None, walked=step, stop=stop, covered=covered,
                              left_out=lambda item, others: problems.append(f"{item}: {left_out_message(others)}"),
                              unreadable=lambda folder, exc: problems.append(f"{folder}: {cannot_read(exc)}"))
        if walked_as is not None:
            walked_folders[walked_as] = error
        if error is not None:
            problem(item, error)
        if not walked:  # a file or a pattern: its files were not told as it went
            for source, _ in pairs:
                take(source)
    return files, problems


def _left_out_note(item: str, output: Path) -> str:
    """Said after "no supported files" when the walk left ``output`` out: the files there may be
    all the folder has (earlier outputs), and the reader must not think it empty."""
    folder = input_folder(item)
    if folder is None or not is_strictly_inside(path_key(output), path_key(folder)):
        return ""
    return f"; the output folder {output} inside it is left out"
