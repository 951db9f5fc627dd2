"""Where the hot folder's files go: folder layouts that could put one file over another are
refused before anything runs (:func:`check_folders`), output folders are checked writable, and an
input moved to done/ or failed/ never replaces a file there (:func:`move_aside`)."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

from docclean.errors import OutputError, UsageError


def check_folders(inbox: Path, output: Path, done: Path | None, failed: Path | None) -> None:
    """Refuse (UsageError) folders that would let one file land on another. OUT, done and failed
    may lie inside IN (the walk skips them), but not be IN. OUT may not contain IN: IN/in/a.png's
    output would be OUT/in/a.png, an input. done/failed may not be OUT, lie in it or contain it: a
    moved original would sit where a later scan's output is written over it. Nor may they contain
    IN: an original moved there could land back in IN and be cleaned again. done and failed may be
    one folder or nested: both only receive moves that never replace (``move_aside`` picks a free name)
    and ``NAME.error.txt`` files, which are never inputs."""
    real = {name: Path(os.path.realpath(folder)) for name, folder in
            (("input", inbox), ("output", output), ("done", done), ("failed", failed)) if folder is not None}
    given = {"output": output, "done": done, "failed": failed}
    for name in ("output", "done", "failed"):
        if name in real and real[name] == real["input"]:
            raise UsageError(f"the {name} folder cannot be the input folder", given[name])
    if real["input"].is_relative_to(real["output"]):
        raise UsageError("the output folder cannot contain the input folder", output)
    for name in ("done", "failed"):
        if name not in real:
            continue
        if real[name] == real["output"]:
            raise UsageError(f"the {name} folder cannot be the output folder", given[name])
        if real[name].is_relative_to(real["output"]):
            raise UsageError(f"the {name} folder cannot lie inside the output folder", given[name])
        if real["output"].is_relative_to(real[name]):
            raise UsageError(f"the {name} folder cannot contain the output folder", given[name])
        if real["input"].is_relative_to(real[name]):
            raise UsageError(f"the {name} folder cannot contain the input folder", given[name])


def writable_folder(folder: Path) -> None:
    """Make ``folder`` if needed and check that files can be written in it (OutputError if not)."""
    if folder.exists() and not folder.is_dir():
        raise UsageError("the output is not a folder", folder)
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=folder, prefix=".docclean-probe-"):
            pass
    except OSError as exc:
        raise OutputError(f"cannot write in the output folder ({exc.strerror or exc})", folder) from None


def move_aside(source: Path, target: Path) -> Path:
    """Move ``source`` to ``target`` (or ``target-1``, ``target-2``... if taken); returns where it went."""
    target.parent.mkdir(parents=True, exist_ok=True)
    candidate, n = target, 0
    while candidate.exists() or candidate.is_symlink():
        n += 1
        candidate = target.with_name(f"{target.stem}-{n}{target.suffix}")
    shutil.move(str(source), str(candidate))  # a rename on one file system, copy and delete across
    return candidate
