"""Find the files a batch job cleans and decide where each result goes.

``discover(inputs, output, fmt)`` turns the INPUT items of ``docclean clean`` into :class:`Job` s:

* a **file** goes to ``OUTPUT/<name>``;
* a **folder** is walked recursively (sorted, hidden files and folders skipped, links to folders
  followed, each folder once, only ``formats.SUPPORTED_SUFFIXES``) and its tree is mirrored under
  OUTPUT (``scans/a/b.png`` -> ``OUTPUT/a/b.png`` for the input ``scans``);
* a **glob pattern** (``*``, ``?``, ``[...]``, ``**``) goes to OUTPUT relative to the pattern's
  non-magic base folder (``scans/**/*.tif`` -> ``OUTPUT/<path below scans>``).

The target keeps the name and takes its suffix from ``formats.output_suffix`` (the input's own format
unless ``fmt`` names another). Problems found here never raise: they become jobs with ``error``
set, so the batch reports them as failed files beside the ones that worked:

* an input that does not exist, a pattern that matches nothing, a folder with no supported files;
* a target that is one of the input files (``-o`` equal to the input folder, same format);
* a second source that maps to a target already claimed by an earlier one.

When OUTPUT lies strictly inside an input folder, the files under OUTPUT are not inputs (otherwise a
rerun would clean its own outputs): the walk does not enter it. ``list_sources(inputs,
output=OUTPUT)`` (the desktop app's page list) follows the same rule, and can be stopped while it
walks (``stop``). The walk itself, and the matching of ``**``, are ``docclean.walk``'s.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from docclean import formats
from docclean.walk import (
    MAGIC,
    Covered,
    Stop,
    cannot_read,
    check_stop,
    glob_base,
    is_broken_link,
    left_out_message,
    matches,
    other_files,
    path_key,
    walk_folder,
)

__all__ = ["Job", "as_inputs", "discover", "input_folder", "input_keys", "is_broken_link", "list_sources",
           "left_out_message", "other_files", "path_key"]


@dataclass
class Job:
    """One input file and the output it is planned to become.

    ``target`` is the planned path; a multi-page source written in a single-page format becomes
    ``<stem>-p001<suffix>``, ``<stem>-p002<suffix>``, ... next to it (decided by ``plan.plan_job``
    once the page count is known). ``error`` is set when the job is known to fail before any pixel
    is read; such a job is reported as failed and never runs."""

    source: Path
    target: Path
    error: str | None = None


def as_inputs(inputs: str | os.PathLike | Iterable[str | os.PathLike]) -> list[str]:
    """INPUT items as strings; one path or pattern given alone is one item (a string is iterable:
    taken a character at a time, ``"/scan.png"`` named the root folder ``/``)."""
    if isinstance(inputs, (str, bytes, os.PathLike)):
        inputs = [inputs]
    return [os.fsdecode(i) for i in inputs]


def _is_strictly_inside(path: Path, folder: Path) -> bool:
    return path != folder and path.is_relative_to(folder)


def _skipped(folder: Path, out_key: Path) -> Path | None:
    """The output folder a walk of ``folder`` leaves out: ``out_key`` when it lies strictly inside
    (otherwise a rerun would clean its own outputs), else None."""
    return out_key if _is_strictly_inside(out_key, path_key(folder)) else None


def _supported(path: Path) -> bool:
    return formats.is_supported(path)


def input_folder(item: str) -> Path | None:
    """The folder an INPUT item reads from: a folder itself, or a glob pattern's leading folders
    (``scans/*.png`` reads ``scans``); None for a file or a path that does not exist."""
    path = Path(item).expanduser()
    if path.is_dir():
        return path
    if path.exists() or not MAGIC.search(item):
        return None
    return glob_base(str(path))


def _expand(item: str, output: Path, fmt: str | None, single_file: bool = False,
            walked: Callable[[Path], object] | None = None, stop: Stop | None = None,
            covered: Covered | None = None,
            left_out: Callable[[str, list[Path]], object] | None = None,
            unreadable: Callable[[Path, OSError], object] | None = None) -> tuple[list[tuple[Path, Path]], str | None]:
    """(source, target) pairs for one INPUT item, or an error message if it yields nothing.
    ``walked(path)``: a folder's walk found the file ``path`` (told as it goes); ``stop`` and
    ``covered``: as :func:`docclean.walk.walk_folder` takes them; ``left_out(item, files)``: the
    other files (of types docclean does not read) a folder that yielded pairs holds, if any;
    ``unreadable(folder, error)``: a folder below it that cannot be listed (the item's own folder
    unreadable is its error)."""
    path = Path(item).expanduser()
    out_key = path_key(output)
    suffixes = ", ".join(sorted(formats.SUPPORTED_SUFFIXES))

    def target(source: Path, relative: Path) -> Path:
        if single_file:
            return output
        return (output / relative).with_suffix(formats.output_suffix(source, fmt))

    if path.is_dir():
        skip = _skipped(path, out_key)
        pairs, others, unread = [], [], []
        for p in walk_folder(path, skip, stop=stop, covered=covered, others=others.append,
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
    if path.is_file():
        if not _supported(path):
            return [], f"unsupported file type {path.suffix or '(no suffix)'!r} (supported: {suffixes})"
        return [(path, target(path, Path(path.name)))], None
    if not MAGIC.search(item):
        return [], "no such file or folder"
    base = glob_base(item)
    skip = _skipped(base, out_key)
    pairs = []
    for source in matches(item, base, skip, stop):
        if not ((source.is_file() or is_broken_link(source)) and _supported(source)):
            continue
        if skip is not None and path_key(source).is_relative_to(skip):
            continue
        pairs.append((source, target(source, source.relative_to(base))))
    return pairs, None if pairs else f"pattern matched no supported files (looked for {suffixes})"


def discover(inputs: list[str], output: Path, fmt: str | None = None, *, single_file: bool = False,
             stop: Stop | None = None, left_out: Callable[[str, list[Path]], object] | None = None) -> list[Job]:
    """Expand INPUT items (files, folders, glob patterns) into jobs writing under ``output``.

    ``fmt`` is the output format name (``formats.OUTPUT_CHOICES``) or None to keep each input's format.
    Never raises for bad inputs: a missing input, an empty pattern, a target that would overwrite
    an input, or two sources claiming one target become jobs with ``error`` set (see the module
    docstring). The same (source, target) pair named twice is kept once. With ``single_file`` the
    one input file is written to ``output`` itself (``-o clean.png``). ``stop()``: asked as the
    folders are walked; True raises :class:`docclean.errors.Cancelled` (the desktop app's check of
    an export folder, no longer wanted). ``left_out(item, files)`` is told the files of other
    types (a GIF, a JPEG 2000 master, a scan without a suffix) that an input folder holds beside
    its scans: they are not cleaned, and a run says so (:func:`other_files`)."""
    output = Path(output).expanduser()
    jobs: list[Job] = []
    told: list[Path] = []  # folders whose other files were told: a folder named again, or inside one, is not

    def tell(item: str, files: list[Path]) -> None:
        key = path_key(Path(item).expanduser())
        if left_out is not None and not any(key.is_relative_to(folder) for folder in told):
            told.append(key)
            left_out(item, files)

    for item in inputs:
        check_stop(stop)
        unread: list[tuple[Path, OSError]] = []
        pairs, error = _expand(item, output, fmt, single_file, stop=stop, left_out=tell,
                               unreadable=lambda folder, exc: unread.append((folder, exc)))
        if error is not None:
            jobs.append(Job(Path(item), output, error))
        jobs.extend(Job(source, target) for source, target in pairs)
        jobs.extend(Job(folder, output, cannot_read(exc)) for folder, exc in unread)

    sources = {path_key(job.source) for job in jobs if job.error is None}
    claimed: dict[Path, Job] = {}
    seen: set[tuple[Path, Path]] = set()
    unique: list[Job] = []
    for job in jobs:
        if job.error is None:
            pair = (path_key(job.source), path_key(job.target))
            if pair in seen:
                continue
            seen.add(pair)
            if pair[1] in sources:
                job.error = f"refusing to write over an input file ({job.target}); choose another output folder"
            elif pair[1] in claimed:
                first = claimed[pair[1]]
                # A file that keeps its own name wins over one renamed onto it by --format (a.png
                # over a.jpg with --format png): the user reads a.png's output as a.png's.
                if _keeps_name(job) and not _keeps_name(first):
                    first.error, claimed[pair[1]] = _clash(first, job), job
                else:
                    job.error = _clash(job, first)
            else:
                claimed[pair[1]] = job
        unique.append(job)
    return unique


def _keeps_name(job: Job) -> bool:
    return job.source.name == job.target.name


def _clash(job: Job, first: Job) -> str:
    """Why ``job`` cannot be written: ``first`` is written to the same output."""
    pages = f" (or {job.target.stem}-p001{job.target.suffix}... for a multi-page file)"
    return (f"output {job.target}{pages} is already the output of {first.source}; give the inputs separate "
            "output folders (-o), or rename one")


def list_sources(inputs: list[str | Path], output: str | os.PathLike | None = None,
                 found: Callable[[int], object] | None = None, *,
                 stop: Stop | None = None) -> tuple[list[Path], list[str]]:
    """The supported files INPUT items name (each once, in order) and one line per item that names
    none, planning no output: files of one name from two folders are both listed (what a viewer
    opens, not a batch that would write both to one place). With ``output``, the files ``docclean
    clean INPUTS -o OUTPUT`` cleans: an output folder inside a folder (or a pattern's folder) is
    not walked, by the rule :func:`discover` follows; a file named itself is listed wherever it lies.
    ``found(n)`` is told how many files were found so far, as each is found (an archive takes
    seconds to walk). ``stop()`` is asked before each folder entry and each file the walk looks
    at; once it answers True this raises :class:`docclean.errors.Cancelled` (the desktop app's
    Stop). A folder named twice, or one inside a folder named before it whose walk found files
    there, is walked once: it could add no file. An input folder's files of other types are one
    line of ``problems`` (:func:`left_out_message`)."""
    # No output is planned, so none may be inside an input folder: a path that cannot exist.
    out = Path(os.devnull) / "docclean-no-output" if output is None else Path(output).expanduser()
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
        key = _file_key(source, folders)
        if key not in seen:
            seen.add(key)
            files.append(source)
            if found is not None:
                found(len(files))

    def problem(item: str, error: str) -> None:
        problems.append(f"{item}: {error}{_left_out_note(item, out) if output is not None else ''}")

    for item in map(str, inputs):
        check_stop(stop)
        path = Path(item).expanduser()
        walked_as = (path_key(path), _skipped(path, out_key)) if path.is_dir() else None
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

        pairs, error = _expand(item, out, None, walked=step, stop=stop, covered=covered,
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


def _file_key(path: Path, folders: dict[Path, Path]) -> Path:
    """:func:`path_key` of a file, its folder's resolved once for all the files in it: resolving
    each file's whole path took 2.5 times as long as the walk of a 300,000-file archive."""
    if path.is_symlink():
        return path_key(path)
    folder = folders.get(path.parent)
    if folder is None:
        folder = folders[path.parent] = path_key(path.parent)
    return folder / path.name


def _left_out_note(item: str, output: Path) -> str:
    """Said after "no supported files" when the walk left ``output`` out: the files there may be
    all the folder has (earlier outputs), and the reader must not think it empty."""
    folder = input_folder(item)
    if folder is None or _skipped(folder, path_key(output)) is None:
        return ""
    return f"; the output folder {output} inside it is left out"


def input_keys(jobs: list[Job]) -> set[Path]:
    """Resolved paths of all sources, so the runner can refuse page targets that are inputs."""
    return {path_key(job.source) for job in jobs}

