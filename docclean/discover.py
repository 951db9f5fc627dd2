"""Find the files a batch job cleans and decide where each result goes.

``discover(inputs, output, fmt)`` turns the INPUT items of ``docclean clean`` into :class:`Job` s:

* a **file** goes to ``OUTPUT/<name>``;
* a **folder** is walked recursively (sorted, hidden files and folders skipped, links to folders
  followed, each folder once, only ``formats.SUPPORTED_SUFFIXES``) and its tree is mirrored under
  OUTPUT (``scans/a/b.png`` -> ``OUTPUT/a/b.png`` for the input ``scans``);
* a **glob pattern** (``*``, ``?``, ``[...]``, ``**``) is taken as the shell would expand it: a
  file it matches goes to OUTPUT relative to the pattern's non-magic base folder
  (``scans/**/*.tif`` -> ``OUTPUT/<path below scans>``), a folder it matches is walked as a folder
  input is (``'scans/*'`` cleans what ``scans/*`` unquoted does); a ``**`` matches files and folders
  at any depth (bash's ``globstar``) and walks the base folder, the paths below it kept.

The target keeps the name and takes its suffix from ``formats.output_suffix`` (the input's own format
unless ``fmt`` names another). Problems found here never raise: they become jobs with ``error``
set, so the batch reports them as failed files beside the ones that worked:

* an input that does not exist, a pattern that matches nothing, a folder with no supported files;
* a target that is one of the input files (``-o`` equal to the input folder, same format), by
  resolved path or by device and inode (a bind mount; ``docclean.originals``);
* a second source that maps to a target already claimed by an earlier one (as the output volume
  compares names: ``a.png`` and ``A.PNG`` are one file on macOS). A multi-page source's page
  outputs are checked so too, once its pages are counted (:func:`plan_keys`, ``plan.plan_job``).

A file reached by two inputs (``s2 s2/sub``) is cleaned once, where the first one put it. The
output folder is never walked as an input, inside an input folder or reached through a link
(otherwise a rerun would clean its own outputs; ``docclean.expand``); where it holds scans that
are no outputs of this run, and where it holds the inputs, a file already at an output's place
is not taken as an earlier output (``docclean.originals``). ``list_sources(inputs,
output=OUTPUT)`` (the desktop app's page list, ``docclean.sources``) follows the same rule, and
can be stopped while it walks (``stop``). The walk itself, and the matching of ``**``, are
``docclean.walk``'s.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from docclean import places
from docclean.errors import UsageError
from docclean.expand import expand, input_folder
from docclean.originals import AN_INPUT, LOOSEST, guard_inputs, strays_message, unexplained
from docclean.sources import list_sources
from docclean.walk import Stop, cannot_read, check_stop, file_key, left_out_message, other_files, path_key

__all__ = ["Job", "Keys", "as_inputs", "discover", "input_folder", "input_keys", "list_sources", "left_out_message",
           "other_files", "path_key", "plan_keys"]


@dataclass
class Job:
    """One input file and the output it is planned to become.

    ``target`` is the planned path; a multi-page source written in a single-page format becomes
    ``<stem>-p001<suffix>``, ``<stem>-p002<suffix>``, ... next to it (decided by ``plan.plan_job``
    once the page count is known). ``error`` is set when the job is known to fail before any pixel
    is read; such a job is reported as failed and never runs. ``beside`` is set where a file
    already at the target's place may be an original, not an earlier output (it says where, see
    ``docclean.originals``): ``--overwrite`` does not replace such a file."""

    source: Path
    target: Path
    error: str | None = None
    beside: str | None = None


def as_inputs(inputs: str | os.PathLike | Iterable[str | os.PathLike]) -> list[str]:
    """INPUT items as strings; one path or pattern given alone is one item (a string is iterable:
    taken a character at a time, ``"/scan.png"`` named the root folder ``/``)."""
    if isinstance(inputs, (str, bytes, os.PathLike)):
        inputs = [inputs]
    try:
        return [os.fsdecode(i) for i in inputs]
    except TypeError:  # None, a number, a list holding one: said plainly, not as fsdecode's words
        given = repr(inputs)
        raise UsageError("inputs must be paths or glob patterns (a str, a Path, or a list of them), not "
                         f"{given if len(given) <= 80 else given[:77] + '...'}") from None


def read_input_list(where: str | os.PathLike) -> list[str]:
    """INPUT items listed one per line in the file ``where`` ("-": standard input), as a command
    line would give them (files, folders, patterns: :func:`as_inputs`): a line keeps its spaces (a
    name may begin or end with one), blank lines are skipped, and names that are not UTF-8 come back
    as the file system spells them. UsageError naming the list when it cannot be read."""
    try:
        data = sys.stdin.buffer.read() if where == "-" else places.user_path(where).read_bytes()
    except OSError as exc:
        raise UsageError(f"cannot read the list of inputs ({exc.strerror or exc})", where,
                         settings=("inputs_from",)) from None
    return [os.fsdecode(line) for line in data.splitlines() if line.strip()]


def discover(inputs: list[str], output: Path, fmt: str | None = None, *, single_file: bool = False,
             stop: Stop | None = None, left_out: Callable[[str, list[Path]], object] | None = None,
             warn: Callable[[str, str], object] | None = None) -> list[Job]:
    """Expand INPUT items (files, folders, glob patterns) into jobs writing under ``output``.

    ``fmt`` is the output format name (``formats.OUTPUT_CHOICES``) or None to keep each input's format.
    Never raises for bad inputs: a missing input, an empty pattern, a target that would overwrite
    an input, or two sources claiming one target become jobs with ``error`` set (see the module
    docstring). A file reached twice (a folder and its subfolder, a link to a folder named
    beside it) is kept once, where the first input reached it. Outputs that differ only in case
    or Unicode normalisation clash where the output volume compares names so (asked once, only
    when there are such names). With ``single_file`` the one input file is written to ``output``
    itself (``-o clean.png``). ``stop()``: asked as the folders are walked; True raises
    :class:`docclean.errors.Cancelled` (the desktop app's check of an export folder, no longer
    wanted). ``left_out(item, files)`` is told the files of other types (a GIF, a JPEG 2000
    master, a scan without a suffix) that an input folder holds beside its scans, or that a pattern
    matches: they are not cleaned, and a run says so (:func:`other_files`). ``warn(item, message)``
    is told when the output folder, left out of the walk of the input folder ``item``, holds scans that are no
    outputs of this run (``docclean.originals``)."""
    output = places.user_path(output)
    jobs: list[Job] = []
    told: list[Path] = []  # folders whose other files were told: a folder named again, or inside one, is not
    met: list[str] = []  # the items whose walk met the output folder and left it out

    def tell(item: str, files: list[Path]) -> None:
        key = path_key(places.user_path(item))
        if left_out is not None and not any(key.is_relative_to(folder) for folder in told):
            told.append(key)
            left_out(item, files)

    for item in inputs:
        check_stop(stop)
        unread: list[tuple[Path, OSError]] = []
        pairs, error = expand(item, output, fmt, single_file, stop=stop, left_out=tell,
                              unreadable=lambda folder, exc: unread.append((folder, exc)),
                              skipped=lambda _, item=item: met.append(item))
        if error is not None:
            jobs.append(Job(Path(item), output, error))
        jobs.extend(Job(source, target) for source, target in pairs)
        jobs.extend(Job(folder, output, cannot_read(exc)) for folder, exc in unread)

    names = _asked_once(lambda: places.folding(output.parent if single_file else output))
    unique, source_keys = _once_each(jobs)
    sources = set(source_keys)
    folders: dict[Path, Path] = {}  # each output folder resolved once (walk.file_key)
    targets = {id(job): file_key(job.target, folders) for job in unique if job.error is None}
    fold = _fold(set(targets.values()), names)
    claimed: dict[str, Job] = {}
    for job in unique:
        if job.error is None:
            target = targets[id(job)]
            key = fold(target)
            if target in sources:
                job.error = AN_INPUT.format(job.target)
            elif key in claimed:
                first = claimed[key]
                # A file that keeps its own name wins over one renamed onto it by --format (a.png
                # over a.jpg with --format png): the user reads a.png's output as a.png's.
                if _keeps_name(job) and not _keeps_name(first):
                    first.error, claimed[key] = _clash(first, job), job
                else:
                    job.error = _clash(job, first)
            else:
                claimed[key] = job
    guard_inputs(unique, names, single_file)
    if met and not single_file:
        strays = unexplained(output, [job.target for job in unique if job.error is None], stop)
        if strays:
            warning, beside = strays_message(output, strays)
            if warn is not None:
                warn(met[0], warning)
            for job in unique:
                job.beside = job.beside or beside
    return unique


def _once_each(jobs: list[Job]) -> tuple[list[Job], set[Path]]:
    """``jobs`` with each source file once: the first input that reached it decides its output
    (``s2 s2/sub -o out`` cleaned ``s2/sub/b.png`` into ``out/sub/b.png`` and ``out/b.png``); and
    the sources' resolved paths (a realpath costs a stat per part: computed once)."""
    seen: set[Path] = set()
    unique: list[Job] = []
    folders: dict[Path, Path] = {}
    for job in jobs:
        if job.error is None:
            key = file_key(job.source, folders)
            if key in seen:
                continue
            seen.add(key)
        unique.append(job)
    return unique, seen


def _asked_once(ask: Callable[[], places.Folding]) -> Callable[[], places.Folding]:
    """``ask`` (a probe of the output volume), asked the first time it is wanted only: once per
    run, and only where two names could be one file."""
    probed: list[places.Folding] = []

    def names() -> places.Folding:
        if not probed:
            probed.append(ask())
        return probed[0]

    return names


def _fold(keys: set[Path], names: Callable[[], places.Folding]) -> Callable[[Path], str]:
    """How outputs are told apart: by their resolved paths, or, when two of them differ only in
    case or normalisation, as the output volume compares names (``names()``, a probe)."""
    if len({LOOSEST.key(str(key)) for key in keys}) == len(keys):
        return str
    folding = names()
    return lambda key: folding.key(str(key))


def _keeps_name(job: Job) -> bool:
    return job.source.name == job.target.name


def _clash(job: Job, first: Job) -> str:
    """Why ``job`` cannot be written: ``first`` is written to the same output."""
    pages = f" (or {job.target.stem}-p001{job.target.suffix}... for a multi-page file)"
    # Two folders' files named alone (an unquoted shell glob, scans/*/*.png) land side by side; a
    # quoted pattern, or the folder that holds both, keeps each in its own folder.
    where = ("; quote a glob ('scans/*/*.png') or give the folder that holds both, so each keeps its folder"
             if job.source.parent != first.source.parent else "")
    return (f"output {job.target}{pages} is already the output of {first.source}; give the inputs separate "
            f"output folders (-o), or rename one{where}")


def input_keys(jobs: list[Job]) -> set[Path]:
    """Resolved paths of all sources, so the runner can refuse page targets that are inputs."""
    folders: dict[Path, Path] = {}
    return {file_key(job.source, folders) for job in jobs}


class Keys:
    """Resolved paths (:func:`path_key`) compared as the output volume compares names, as
    :func:`discover` compares the jobs' outputs (:func:`_fold`): a path that differs from one held
    only in case or Unicode normalisation is that one where the volume says so (``names()``, a
    probe, asked only then). ``in`` and ``add``, as for a set of paths."""

    def __init__(self, keys: Iterable[Path], names: Callable[[], places.Folding]) -> None:
        self._names = names
        self._alike: dict[str, set[Path]] = {}  # the paths held, by their loosest key (LOOSEST)
        for key in keys:
            self.add(key)

    def add(self, key: Path) -> None:
        self._alike.setdefault(LOOSEST.key(str(key)), set()).add(key)

    def __contains__(self, key: object) -> bool:
        if not isinstance(key, Path):
            return False
        alike = self._alike.get(LOOSEST.key(str(key)), set())
        if not alike or key in alike:
            return key in alike
        fold = _fold(alike | {key}, self._names)
        return fold(key) in {fold(other) for other in alike}


def plan_keys(jobs: list[Job]) -> tuple[Keys, Keys]:
    """What ``plan.plan_job`` checks a page output against: the sources (:func:`input_keys`) and
    the outputs of the jobs that run, as the output volume compares names (``Scan-p001.png``, a
    page of ``Scan.pdf``, is ``scan-p001.png``'s output on macOS). The volume (that of the first
    job's output) is asked once, and only where a page output differs from one of them in case or
    normalisation alone."""
    folders: dict[Path, Path] = {}
    outputs = [file_key(job.target, folders) for job in jobs if job.error is None]
    names = _asked_once(lambda: places.folding(outputs[0].parent))
    return Keys(input_keys(jobs), names), Keys(outputs, names)
