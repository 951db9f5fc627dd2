"""Page outputs a file must not write, for plans that count no pages (URLs, big Ray jobs).

A multi-page source written in a one-page format becomes ``NAME-p001.png``, ``NAME-p002.png``...
beside its target (``docclean.plan.page_target``). The local planner counts pages and refuses a
page output that is an input file or another input's output (``plan.plan_job``); a remote or lazy
plan counts none, so the driver gives each task the names beside its target that are taken
(:func:`mark_taken_pages`), and the worker, which counts the pages, refuses them then
(``docclean.cluster.unit``) and never takes one for a finished page of its own.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlparse
from urllib.request import url2pathname

from docclean.cluster import storage
from docclean.discover import path_key
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
        if text.startswith("file://"):  # the same folder as a path (a URL input, a local output)
            text = url2pathname(urlparse(text).path)
        if storage.is_remote(text):
            folder, _, name = text.rpartition("/")
            return folder, name
        path = Path(text)
        key = str(path.parent)
        if key not in self._folders:
            self._folders[key] = str(path_key(path.parent))
        return self._folders[key], path.name


def mark_taken_pages(slots: list[FileResult | FileTask]) -> None:
    """Set each task's ``taken``: page-file names beside its target that are an input file or
    another input's output, each with the reason it may not write there."""
    from docclean.cluster.unit import FileTask

    place = _Places()
    taken: dict[tuple[str, str], dict[str, str]] = {}

    def note(location: str | Path, reason: str) -> None:
        owner = page_owner(Path(str(location)).name)
        if owner is not None:
            folder, name = place(location)
            taken.setdefault((folder, owner), {}).setdefault(name, reason)

    for slot in slots:
        if isinstance(slot, FileTask):
            note(slot.source_path or slot.source, AN_INPUT)
            note(slot.target, ANOTHERS_OUTPUT)
        else:
            note(slot.source, AN_INPUT)
            for target in slot.targets:
                note(target, ANOTHERS_OUTPUT)
    if taken:
        for slot in slots:
            if isinstance(slot, FileTask):
                slot.taken = taken.get(place(slot.target), {})
