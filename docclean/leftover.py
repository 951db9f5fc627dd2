"""Page files of an earlier run that this run's outputs do not replace, named in a warning.

A multi-page source written as page files (``NAME-p001.png``...: ``docclean.plan.page_target``)
and cleaned again after a rescan with fewer pages leaves the earlier run's last page files; a
rescan of one page, written ``NAME.png``, leaves all of them; a rescan split into pages leaves the
earlier ``NAME.png``. A finished run leaves no record of what it wrote, so docclean cannot prove
those files are its own and never removes them: :func:`find` names them (not another input's
output nor an input of this run) and :func:`message` says so, once per file, as a warning that the
file's record keeps.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING

from docclean import formats
from docclean.originals import page_base, page_owner
from docclean.outputs import Listings, list_folder

if TYPE_CHECKING:
    from docclean.discover import Job, Keys
    from docclean.plan import Plan

#: At most this many names in a warning; the rest are counted.
NAMED = 3


def mark(jobs: list[Job], plans: list[Plan], taken: tuple[Keys, Keys], listed: Listings | None = None) -> None:
    """Set ``left_over`` (:func:`find`) of every plan that cleans pages. ``taken``: the run's inputs
    and outputs (``docclean.discover.plan_keys``, once planned); ``listed``: the output folders as
    listed under the run's lock, each other folder listed once here."""
    from docclean.discover import path_key

    owned: dict[Path, tuple[dict[str, list[str]], set[str]]] = {}
    for job, plan in zip(jobs, plans):
        if plan.error is not None or not plan.pending or not splits(job.source, job.target):
            continue
        folder = job.target.parent
        if folder not in owned:
            entries = listed[folder] if listed is not None and folder in listed else list_folder(folder)
            owned[folder] = by_owner(entry.name for entry in entries), {e.name for e in entries if e.is_file()}
        names, files = owned[folder]
        plan.left_over = find(job.source, job.target, plan.pages, names,
                              lambda path: any(path_key(path) in keys for keys in taken),
                              is_file=lambda path: path.name in files)  # from the listing: no stat a name


def splits(source: Path, target: Path) -> bool:
    """Whether ``source`` may have been split into page files made from ``target``: a source that can
    hold pages (a scan named a.png never wrote a-p001.png) and a format without pages."""
    fmt = formats.by_suffix(target)
    return fmt is not None and not fmt.multi_page and bool(getattr(formats.by_suffix(source), "multi_page", False))


def by_owner(names: Iterable[str]) -> dict[str, list[str]]:
    """A folder's ``names`` by the output whose page file each would be (``a-p002.png``: ``a.png``),
    each name also under itself, so one listing answers every target of the folder."""
    owned: dict[str, list[str]] = {}
    for name in names:
        owner = page_owner(name)
        if owner is not None:
            owned.setdefault(owner, []).append(name)
        owned.setdefault(name, []).append(name)
    return owned


def find(source: Path, target: Path, pages: int, owned: dict[str, list[str]],
         taken: Callable[[Path], bool], is_file: Callable[[Path], bool] = Path.is_file) -> list[Path]:
    """The files beside ``target`` (the name ``source``'s outputs are made from) that an earlier run
    of a source of that name wrote and this run, of ``pages`` pages, does not replace: page files
    past the last page, all of them where ``target`` itself is written, or ``target`` where the
    pages are split. Only the names docclean gives (``NAME-p003.png``, not ``NAME-p3.png``), only
    for a format without pages and a source that can hold pages (a scan named a.png never wrote
    a-p001.png: another input's is none of its business), and none that ``taken`` says is this
    run's (another input's output, an input). ``owned``: the folder's names, :func:`by_owner`;
    ``is_file``: whether a path there is a file (``docclean.cluster.carryover`` passes ``target`` as
    a bare name and answers from the files it listed, in a folder or in object storage)."""
    if not splits(source, target):
        return []
    from docclean.plan import page_target

    split = pages > 1
    found = []
    for name in owned.get(target.name, []):
        if name == target.name:
            stale = split
        else:
            number = _number(name)
            stale = number >= 1 and page_target(target, number - 1).name == name and (not split or number > pages)
        path = target.parent / name
        # ``target`` is no other input's output nor an input: discovery gives each its one source.
        if stale and is_file(path) and (name == target.name or not taken(path)):
            found.append(path)
    return sorted(found, key=lambda p: (len(p.name), p.name))


def _number(name: str) -> int:
    """The page number of the page file ``name`` (``a-p002.png``: 2)."""
    stem = name.rpartition(".")[0]
    return int(stem[len(page_base(stem) or "") + 2:])


def message(source: Path, pages: int, left: list[Path], target: Path) -> str:
    """The warning about ``left`` (:func:`find`): what is there, why, and that it stays."""
    shown = ", ".join(str(p) for p in left[:NAMED])
    if len(left) > NAMED:
        shown += f" and {len(left) - NAMED} more"
    one = len(left) == 1
    written = f", written as {target}" if pages == 1 else ", written as page files" if target in left else ""
    return (f"{shown} {'is' if one else 'are'} left from an earlier run: {source.name} now has {pages} "
            f"page{'s' * (pages != 1)}{written}; docclean does not remove {'it' if one else 'them'}")
