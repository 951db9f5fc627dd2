"""Where the hot folder's files go (``docclean.watchlisting`` lists the input folder): folder
layouts that could put one file over another are refused before anything runs
(:func:`check_folders`), output folders are checked writable, what a watcher killed outright left
in them is settled at start (:func:`settle_output`), an output that another input stands for is
found (:func:`output_owner`), and an input moved to done/ or failed/ never replaces a file there
(:func:`move_aside`)."""

from __future__ import annotations

import errno
import os
import shutil
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path

from docclean import formats
from docclean.atomic import atomic_path, remove_temps_of
from docclean.errors import OutputError, UsageError
from docclean.outputs import EARLIER_COMMITTED_SUFFIX, EARLIER_SUFFIX, OutputBusy
from docclean.watchattempt import settle_locked
from docclean.watchoutputs import outputs_on_disk, writes
from docclean.watchrecord import LEDGER_NAME, Ledger


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


#: The ending of a write probe (:func:`writable_folder`): ``.docclean-probe-XXXXXXXX``.
PROBE_PREFIX = ".docclean-probe-"
#: A probe younger than this may be another watcher's, starting now (it lives microseconds).
PROBE_AGE_S = 60.0


def remove_leftovers(output: Path) -> list[Path]:
    """Delete what a watcher killed outright (kill -9, the power) left in ``output`` beside its
    outputs: temporary copies of its record (:data:`~docclean.watchrecord.LEDGER_NAME`; only the
    watcher holding ``output`` writes it: call holding the watch lock) and write probes older than
    :data:`PROBE_AGE_S`. Returns what was removed. A user's own files never match these names."""
    removed = remove_temps_of(output / LEDGER_NAME)
    now = time.time()
    try:
        entries = list(os.scandir(output))
    except OSError:
        return removed
    for entry in entries:
        name = entry.name
        try:
            stale_probe = (name.startswith(PROBE_PREFIX) and len(name) == len(PROBE_PREFIX) + 8
                           and now - entry.stat(follow_symlinks=False).st_mtime > PROBE_AGE_S)
            if stale_probe and entry.is_file(follow_symlinks=False):
                os.unlink(entry.path)
                removed.append(Path(entry.path))
        except OSError:
            continue  # gone meanwhile, or not ours to remove: left
    return removed


def _earlier_folders(output: Path) -> Iterator[Path]:
    """The set-aside folders (committed or not) anywhere in ``output``, which mirrors the input
    folder's tree: its hidden folders are the watcher's and the batch's own, so not entered."""
    stack = [output]
    while stack:
        try:
            with os.scandir(stack.pop()) as listing:
                entries = [e for e in listing if e.is_dir(follow_symlinks=False)]
        except OSError:
            continue  # cannot be listed now: settled at the next try of a name there
        for entry in entries:
            if not entry.name.startswith("."):
                stack.append(Path(entry.path))
            elif entry.name.endswith((EARLIER_SUFFIX, EARLIER_COMMITTED_SUFFIX)):
                yield Path(entry.path)


def settle_interrupted(output: Path, ledger: Ledger, inbox: Path | None, say: Callable[[str], None]) -> None:
    """At start, holding the output folder: settle every set-aside folder a watcher killed outright
    left in ``output``, whether or not its scan is still in ``inbox``. An uncommitted one is undone
    (:func:`~docclean.watchattempt.settle_folder`), a committed one's copies are stale and go.
    A line for each try undone goes to ``say``, before the settle it tells of."""
    for folder in sorted(_earlier_folders(output)):
        try:
            settle_locked([folder], output, ledger, inbox, say)
        except OutputBusy:  # settled at the next try of that name
            say(f"{folder}: another docclean run is writing there; settled when that name is cleaned next")
        except OutputError as exc:
            say(f"{folder}: cannot be settled now ({exc})")


def settle_output(output: Path, ledger: Ledger, inbox: Path, say: Callable[[str], None]) -> None:
    """At start, holding the watch lock, before the first listing (the record must see the earlier
    outputs put back): settle the tries a watcher killed outright cut short
    (:func:`settle_interrupted`), then remove its other leftovers (:func:`remove_leftovers`)."""
    settle_interrupted(output, ledger, inbox, say)
    remove_leftovers(output)


def output_owner(key: str, target: Path, ledger: Ledger, inbox: Path, done: Path | None,
                 fmt: str | None, on_disk: list[Path] | None = None) -> Path | None:
    """The other input whose cleaned pages are on disk at ``target`` (or its page files), or None.

    Two inputs map to one output when they differ only in type and the output format is shared
    (``scan.png`` and ``scan.tif`` with ``--format pdf``). An input of another name whose output
    exists is found in the ledger (inputs left in place) or, beside the new one's place, in the
    done folder (inputs moved away once cleaned). Page files count both ways: ``scan-p002.png``'s
    output is page 2 of a multi-page ``scan.tif``'s, and a ``memo.tif`` of several pages would
    write ``memo-p001.png``, an earlier ``memo-p001.png``'s output. A re-arrival of ``key`` itself
    owns nothing else: it replaces its own output. ``on_disk``: ``outputs_on_disk``, when the
    caller has it already."""
    on_disk = outputs_on_disk(key, target) if on_disk is None else on_disk
    if not on_disk:
        return None
    for output in on_disk:
        other = ledger.owner(output, key)
        if other is not None:
            return inbox / other
    if done is None:
        return None
    relative = Path(key)
    place = done / relative.parent
    try:
        names = sorted(os.listdir(place))
    except OSError:
        return None
    for found in names:
        name = ledger.name_in_inbox(place / found)  # its output is named by its name in IN
        if name == relative.name or not formats.is_supported(name):
            continue
        suffix = formats.output_suffix(name, fmt)
        theirs = target.parent / (Path(name).stem + suffix)  # the moved input's output: its pages are STEM-pNNN
        if suffix == target.suffix and any(writes(theirs, f) for f in on_disk):
            return place / found
    return None


def writable_folder(folder: Path) -> None:
    """Make ``folder`` if needed and check that files can be written in it (OutputError if not)."""
    if folder.exists() and not folder.is_dir():
        raise UsageError("the output is not a folder", folder)
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=folder, prefix=PROBE_PREFIX):
            pass
    except OSError as exc:
        raise OutputError(f"cannot write in the output folder ({exc.strerror or exc})", folder) from None


def move_aside(source: Path, target: Path, first: Callable[[Path], None] | None = None) -> Path:
    """Move ``source`` to ``target`` (or ``target-1``, ``target-2``... if taken); returns where it went.
    ``first`` is called with that place before the move (the hot folder notes a renamed input
    there: noted after it, a stop in between left it judged by its new name).

    On one file system a rename. Across file systems the scan is copied to a temporary name, made
    durable and renamed into place, and only then deleted from IN; when the copy fails (a full
    done/) nothing is left at the target, and when the scan cannot be deleted (a read-only inbox)
    the copy is removed again: either the move happened or the scan is only where it was, never a
    cut-short copy under its name or a second copy that someone may tidy away as "done".

    A link (a scan dropped into IN as ``ln -s ../ext/scan.pdf``) is not renamed: a relative link
    would point nowhere from done/ at another depth. A link to the file it leads to, by its absolute
    real path, is made at the target, and only then is the link in IN removed; the file itself is
    the user's, where it lies, and is never moved. OSError where the link no longer leads anywhere."""
    link = source.is_symlink()
    real = os.path.realpath(source, strict=True) if link else ""  # gone or a loop: OSError, nothing moved
    target.parent.mkdir(parents=True, exist_ok=True)
    candidate, n = target, 0
    while candidate.exists() or candidate.is_symlink():
        n += 1
        candidate = target.with_name(f"{target.stem}-{n}{target.suffix}")
    if first is not None:
        first(candidate)
    if link:
        os.symlink(real, candidate)  # FileExistsError if the name was taken meanwhile: nothing moved
        _drop_source(source, candidate)
        return candidate
    try:
        os.rename(source, candidate)
        return candidate
    except OSError as exc:
        if exc.errno != errno.EXDEV:
            raise
    with atomic_path(candidate) as tmp:
        shutil.copy2(source, tmp)
        with open(tmp, "rb") as fh:
            os.fsync(fh.fileno())
    _drop_source(source, candidate)
    return candidate


def _drop_source(source: Path, candidate: Path) -> None:
    """Delete ``source`` from IN now that ``candidate`` stands for it; when it cannot be deleted, the
    candidate goes again (the scan is only where it was) and the OSError passes on."""
    try:
        source.unlink()
    except OSError:
        candidate.unlink(missing_ok=True)
        raise
