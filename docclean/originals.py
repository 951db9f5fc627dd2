"""Where a file already at an output's place may be someone's original scan, not an earlier output.

Nothing in an output marks it as docclean's: a whole PNG at ``OUT/a.png`` is taken as done, or
with ``--overwrite`` replaced, because it looks like one. That is right where the output folder
holds outputs and nothing else, and wrong where it may hold originals. Taking one as done loses
nothing (the original stays as it is, and the run's warning names the scans it found there);
replacing it would. So with ``--overwrite``, a file at an output's place where an original may
stand is not replaced: that file fails with the reason instead (:func:`check_beside`, asked by
``docclean.plan.plan_job``). A folder may hold originals when

* it holds an input of this run: the output folder is, or is above, the folder of an input
  (``s3/2019 -o s3``; ``s2/a.png -o s2 --format jpeg`` beside an original ``s2/a.jpg``),
  compared by resolved path and by device and inode (a bind mount, ``Scans`` and ``scans`` on a
  case-insensitive volume): :func:`guard_inputs`;
* it is an output folder that the walk of an input folder left out, and it holds scans that no
  output of this run explains (:func:`unexplained`; ``s5 -o s5/old`` where ``old`` held scans).
  Those scans are not cleaned, and a run says so in one warning line.

An output that *is* an input of this run, by device and inode and by the name as the output
volume compares names, is refused outright (``docclean.discover`` refuses one with the same
resolved path). Without ``--overwrite`` the rule changes nothing, so reruns skip what is done
as before; with it, a rerun into a folder that holds its own inputs (``scan.png -o . --format pdf
--overwrite``) fails the files whose outputs are there, with the reason, where it used to replace
them.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING

from docclean import formats
from docclean.errors import OutputError
from docclean.places import Folding, folder_id
from docclean.walk import Stop, path_key, walk_folder

if TYPE_CHECKING:
    from docclean.discover import Job

#: Why a job cannot run: its output is one of the run's input files.
AN_INPUT = "refusing to write over an input file ({}); choose another output folder"
#: Where a job's output goes when that folder holds the run's inputs (see :func:`check_beside`).
BESIDE_INPUTS = "in a folder that holds this run's scans"
#: Scans named in a message, at most.
EXAMPLES = 3
#: Names compared as loosely as any volume compares them: a first sieve before the probe is asked.
LOOSEST = Folding(case=True, normalization=True)

_PAGE_STEM = re.compile(r"(?P<base>.+)-p\d{3,}")

Ids = tuple[int, int]


def page_base(stem: str) -> str | None:
    """The stem whose page file's stem ``stem`` is (``book-p001``: ``book``; see
    ``docclean.plan.page_target``), or None for a stem that is no page file's. The one rule for a
    page file's name: ``docclean.pairs_names`` pairs by it too."""
    match = _PAGE_STEM.fullmatch(stem)
    return match["base"] if match else None


def page_owner(name: str) -> str | None:
    """The output name whose page file ``name`` would be (``a-p002.png``: ``a.png``; see
    ``docclean.plan.page_target``), or None for a name that is no page file's."""
    stem, dot, suffix = name.rpartition(".")
    base = page_base(stem) if dot and suffix else None
    return f"{base}.{suffix}" if base is not None else None


def guard_inputs(jobs: list[Job], names: Callable[[], Folding], single_file: bool = False) -> None:
    """Refuse (``error``) the jobs whose output is an input file of this run by device and inode,
    the name compared as the output volume compares it (``names()``, asked only where a name
    differs from an input's in case or normalisation alone); mark (``beside``) those whose output
    folder holds an input, where a file already there may be an original. ``single_file``: the
    user named the output file itself (``-o clean.png``), which is theirs to name."""
    live = [job for job in jobs if job.error is None]
    folders: dict[Path, Path] = {}
    for job in live:
        if job.source.parent not in folders:
            folders[job.source.parent] = path_key(job.source.parent)
    ids: dict[Path, Ids | None] = {}

    def ident_of(key: Path) -> Ids | None:
        if key not in ids:
            ids[key] = folder_id(key)
        return ids[key]

    named: dict[Ids, set[str]] = {}
    for job in live:
        ident = ident_of(folders[job.source.parent])
        if ident is not None:
            named.setdefault(ident, set()).add(job.source.name)
    holders: set[Path] = set()
    for key in set(folders.values()):
        holders.update((key, *key.parents))
    holder_ids = {ident for ident in map(ident_of, holders) if ident is not None}
    looked: dict[Path, tuple[Path, Ids | None]] = {}
    for job in live:
        parent = job.target.parent
        if parent not in looked:
            looked[parent] = (path_key(parent), folder_id(parent))
        key, ident = looked[parent]
        if ident is not None and ident in named and _is_named(job.target.name, named[ident], names):
            job.error = AN_INPUT.format(job.target)
        elif not single_file and (key in holders or ident in holder_ids):
            job.beside = BESIDE_INPUTS


def _is_named(name: str, inputs: set[str], names: Callable[[], Folding]) -> bool:
    if name in inputs:
        return True
    loose = LOOSEST.key(name)
    if not any(LOOSEST.key(other) == loose for other in inputs):
        return False
    folding = names()
    return any(folding.key(other) == folding.key(name) for other in inputs)


def unexplained(output: Path, targets: Iterable[Path], stop: Stop | None = None) -> list[Path]:
    """The scans below ``output`` (not hidden, of a supported type) that no output planned for
    ``targets`` explains: an output of that path in any format docclean writes (an earlier run
    with another ``--format``), or one of its page files (``a-p002.png``). Walked only when an
    input folder's walk left ``output`` out."""
    planned = set()
    for target in targets:
        if target.is_relative_to(output):
            planned.add(target.relative_to(output).with_suffix(""))
    found = []
    for path in walk_folder(output, None, stop=stop):
        relative, owner, kind = path.relative_to(output), page_owner(path.name), formats.by_suffix(path)
        if kind is not None and kind.writable and (relative.with_suffix("") in planned or (
                owner is not None and relative.with_name(owner).with_suffix("") in planned)):
            continue
        found.append(path)
    return found


def strays_message(output: Path, strays: list[Path]) -> tuple[str, str]:
    """What a run says of the scans :func:`unexplained` found in the output folder ``output``
    inside an input folder, and the ``beside`` of the jobs that write there."""
    names = ", ".join(str(p.relative_to(output)) for p in strays[:EXAMPLES])
    more = f" and {len(strays) - EXAMPLES:,} more" if len(strays) > EXAMPLES else ""
    count = f"{len(strays):,} scan{'s' * (len(strays) != 1)}"
    warning = (f"the output folder {output} inside it is left out, and it holds {count} that no output of this "
               f"run explains ({names}{more}): not cleaned, and a file there with an output's name is taken as "
               "done, and not replaced with --overwrite; if these are originals, choose another output folder")
    return warning, f"in an output folder that also holds scans no output of this run explains ({names}{more})"


def beside_error(job: Job, target: Path | None = None) -> OutputError:
    """The error of ``job`` when ``target`` (default: its own) is already there and may be an
    original (``job.beside``)."""
    return OutputError(f"{target or job.target} is already there, {job.beside}, so it may be an original rather "
                       "than an earlier output: --overwrite does not replace it; move it away to clean this file "
                       "again, or choose another output folder", job.source)


def check_beside(job: Job, targets: Iterable[Path]) -> None:
    """OutputError (naming ``job.source``) when ``job`` writes where a file already there may be an
    original (``job.beside``, see the module docstring) and one of ``targets`` is there."""
    if job.beside is None:
        return
    for target in targets:
        if os.path.lexists(target):
            raise beside_error(job, target)
