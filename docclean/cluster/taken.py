"""Page outputs a file must not write, for plans that count no pages (URLs, big Ray jobs).

A multi-page source written in a one-page format becomes ``NAME-p001.png``, ``NAME-p002.png``...
beside its target (``docclean.plan.page_target``). The local planner counts pages and refuses a
page output that is an input file or another input's output (``plan.plan_job``); a remote or lazy
plan counts none, so the driver gives each task the names beside its target that are taken
(:func:`mark_taken_pages`), and the worker, which counts the pages, refuses them then
(``docclean.cluster.pagefiles``) and never takes one for a finished page of its own.

Names in a local folder are compared as the output volume compares them, as the local planner
compares them (``discover.plan_keys``): ``Scan.pdf``'s ``Scan-p001.png`` is ``scan-p001.png``'s
output on macOS, Windows or an exFAT share. The volume is asked (``places.folding``) by the driver,
once per folder and only where a target's name differs from a taken name's owner in case or
normalisation alone (``originals.LOOSEST``); the task then carries its taken names keyed as the
volume compares them, and the volume's :class:`~docclean.places.Folding` (``FileTask.folding``),
so a worker on another machine asks nothing. Object stores (``s3://``...) keep names apart by
case: compared exactly there.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from docclean import places
from docclean.cluster import storage
from docclean.discover import path_key
from docclean.originals import LOOSEST
from docclean.plan import AN_INPUT, ANOTHERS_OUTPUT, page_owner

if TYPE_CHECKING:
    from docclean.cluster.unit import FileTask
    from docclean.report import FileResult

class _Places:
    """(folder, name) of paths and URLs, a local folder by its resolved path (sources and targets
    may be spelled from different roots), each folder resolved once."""

    def __init__(self) -> None:
        self._folders: dict[str, str] = {}

    def __call__(self, location: str | Path) -> tuple[str, str]:
        text = str(location)
        text = str(storage.file_url_path(text) or text)  # a file:// URL: the same folder as its path
        if storage.is_remote(text):
            folder, _, name = text.rpartition("/")
            return folder, name
        path = Path(text)
        key = str(path.parent)
        if key not in self._folders:
            self._folders[key] = str(path_key(path.parent))
        return self._folders[key], path.name


def _note(names: dict[str, str], name: str, reason: str) -> None:
    """``name`` taken for ``reason``; an input file's reason first, as ``plan.plan_job`` checks it first."""
    if reason == AN_INPUT or name not in names:
        names[name] = reason


def mark_taken_pages(slots: list[FileResult | FileTask]) -> None:
    """Set each task's ``taken``: page-file names beside its target that are an input file or
    another input's output, each with the reason it may not write there; in a local folder where
    one differs from the target's pages in case or normalisation alone, keyed as the output
    volume compares names, with that volume's ``folding`` (asked here, once per folder)."""
    from docclean.cluster.unit import FileTask

    place = _Places()
    taken: dict[tuple[str, str], dict[str, str]] = {}
    alike: dict[tuple[str, str], set[str]] = {}  # a local folder's owners, by their loosest key (LOOSEST)

    def note(location: str | Path, reason: str) -> None:
        owner = page_owner(Path(str(location)).name)
        if owner is not None:
            folder, name = place(location)
            _note(taken.setdefault((folder, owner), {}), name, reason)
            if not storage.is_remote(folder):  # an object store keeps names apart by case
                alike.setdefault((folder, LOOSEST.key(owner)), set()).add(owner)

    for slot in slots:
        if isinstance(slot, FileTask):
            note(slot.source_path or slot.source, AN_INPUT)
            note(slot.target, ANOTHERS_OUTPUT)
        else:
            note(slot.source, AN_INPUT)
            for target in slot.targets:
                note(target, ANOTHERS_OUTPUT)
    if not taken:
        return
    volumes: dict[str, places.Folding] = {}
    for slot in slots:
        if not isinstance(slot, FileTask):
            continue
        folder, name = place(slot.target)
        owners = alike.get((folder, LOOSEST.key(name)), set())
        if owners <= {name}:  # none but the target's own name: compared exactly, the volume not asked
            slot.taken = taken.get((folder, name), {})
            continue
        if folder not in volumes:  # once per folder, and only where two names could be one file
            volumes[folder] = places.folding(Path(folder))
        folding = volumes[folder]
        mine = folding.key(name)
        slot.taken = {}
        for owner in sorted(owners | {name}):
            if folding.key(owner) == mine:
                for page, reason in taken.get((folder, owner), {}).items():
                    _note(slot.taken, folding.key(page), reason)
        slot.folding = folding
