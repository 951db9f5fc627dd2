"""An input's outputs on disk, for the hot folder (:mod:`docclean.watch`): which files in OUT a
scan writes (:func:`outputs_on_disk`, :func:`writes`), what a try cut short left of its own
(:func:`unfinished`), and removing outputs that no input on record (:class:`~docclean.watchrecord.Ledger`)
stands for any more (:func:`remove_outputs`, :func:`discard`)."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterable
from pathlib import Path

from docclean import formats
from docclean.outputs import PAGES_SUFFIX
from docclean.plan import page_owner
from docclean.watchrecord import Ledger


def writes(target: Path, output: str | Path) -> bool:
    """True when ``output`` is ``target`` or one of its page files (``docclean.plan.page_owner``)."""
    output = Path(output)
    return output == target or (output.parent == target.parent and page_owner(output.name) == target.name)


def outputs_on_disk(key: str, target: Path, names: Iterable[str] | None = None) -> list[Path]:
    """The files in ``target``'s folder that the input ``key`` writes there: ``target`` itself and,
    for an input that can hold several pages (TIFF, PDF), its page files. A one-page scan named
    a.png never writes a-p001.png, so another input's a-p001.png is none of its business.
    ``names``: the folder's listing, when the caller has one (one listing for several questions)."""
    splits = bool(getattr(formats.by_suffix(key), "multi_page", False))
    folder = target.parent
    try:
        listed = sorted(os.listdir(folder) if names is None else names)
    except OSError:
        return []
    # By name (every one is in target's folder): a Path made for each took a quarter second at 20,000 outputs.
    return [folder / n for n in listed if n == target.name or (splits and page_owner(n) == target.name)]


def remove_outputs(targets: Iterable[Path | str], key: str, output: Path, ledger: Ledger) -> None:
    """Delete the outputs ``targets`` written for the input ``key`` that no input stands for any
    more: only inside ``output``, and never one that the record gives to another input."""
    for target in map(Path, targets):
        if target.is_relative_to(output) and ledger.owner(target, key) is None:
            target.unlink(missing_ok=True)


def unfinished(key: str, target: Path, before: list[Path], output: Path, ledger: Ledger,
               names: Iterable[str] | None = None) -> list[Path]:
    """What an attempt to clean ``key`` into ``target`` wrote before it was cut short (Ctrl-C,
    SIGTERM, a full disk): the work folder of a multi-page output (``docclean.resume``) and the
    page files that were not there ``before`` (:func:`outputs_on_disk`: an earlier scan's, which
    the user was told about) and that no other input owns. ``names``: the folder's listing."""
    from docclean.resume import work_folder

    names = None if names is None else set(names)
    pages = work_folder(target)
    there = os.path.lexists(pages) if names is None else pages.name in names
    return [pages] * there + [p for p in outputs_on_disk(key, target, names) if p not in before
                              and p.is_relative_to(output) and ledger.owner(p, key) is None]


def drop_unfinished(key: str, target: Path, before: list[Path], output: Path, ledger: Ledger) -> None:
    """Remove what :func:`unfinished` names. Left there, no record accounted for it until the scan
    was cleaned again (for ever, were it deleted meanwhile). The watcher does not resume from it:
    it cleans a scan whole, as a re-arrived scan must replace every page."""
    discard(unfinished(key, target, before, output, ledger))


def discard(paths: Iterable[Path]) -> None:
    """Remove ``paths``: files, and work folders (``docclean.resume``) with what they hold."""
    for path in paths:
        if path.name.endswith(PAGES_SUFFIX):
            shutil.rmtree(path, ignore_errors=True)
        else:
            path.unlink(missing_ok=True)
