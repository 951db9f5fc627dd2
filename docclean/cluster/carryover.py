"""What a worker carries over from an earlier, interrupted run of the same file, for ``unit``.

``clean_batch`` resumes from what it finds beside its target: finished per-page outputs
(``NAME-p001.png``...) and the work folder of a multi-page output (``docclean.resume``:
``.NAME.docclean-pages/``, stamped with the source's content digest and the settings, so a
downloaded copy of a URL resumes wherever it lies). A worker's target is in its staging folder, so
before the run these are brought into it (:func:`fetch_done_pages`, :func:`borrow_work_folder`)
and the work folder is moved back after (:func:`move_folder`).
"""

from __future__ import annotations

import glob
import os
import shutil
from collections.abc import Collection
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any

from docclean import formats
from docclean.cluster import storage
from docclean.plan import page_owner

if TYPE_CHECKING:
    from docclean.settings import CleanSettings


def fetch_done_pages(target: str, folder: Path, storage_options: dict[str, Any] | None,
                     skip: Collection[str] = ()) -> None:
    """Copy per-page outputs of ``target`` that exist already into the staging ``folder``, but
    none named in ``skip`` (other inputs' outputs that only look like this file's pages). A
    format that holds many pages (TIFF, PDF) has no page files: nothing is looked for."""
    if getattr(formats.by_suffix(Path(storage.location(target).name)), "multi_page", False):
        return
    if storage.is_remote(target):
        for url in storage.page_outputs(target, storage_options):
            if PurePosixPath(url).name not in skip:
                storage.download(url, folder / PurePosixPath(url).name, storage_options)
        return
    path = Path(target)
    for page in path.parent.glob(f"{glob.escape(path.stem)}-p[0-9][0-9][0-9]*{glob.escape(path.suffix)}"):
        if page.name in skip or page_owner(page.name) != path.name:  # a-p002-p001.png is a-p002.png's
            continue
        try:
            os.link(page, folder / page.name)
        except OSError:
            shutil.copyfile(page, folder / page.name)


def borrow_work_folder(target: str, staged: Path, settings: CleanSettings) -> tuple[Path, Path] | None:
    """Move the finished pages of an interrupted multi-page output (kept beside its ``target`` by
    the engine's resume) into the staging folder, so the runner carries on from them; returns the
    (staged, final) work folders, to move back whatever is left after the run."""
    from docclean.resume import work_folder

    if storage.is_remote(target) or settings.overwrite:
        return None
    final, staged_work = work_folder(Path(target)), work_folder(staged)
    if final.is_dir():
        move_folder(final, staged_work)
    return staged_work, final


def move_folder(src: Path, dst: Path) -> None:
    """Move a work folder between the staging folder and its place beside the target, if it exists."""
    if not src.is_dir():
        return
    try:
        if dst.exists():
            shutil.rmtree(dst)
        dst.parent.mkdir(parents=True, exist_ok=True)
        os.replace(src, dst)  # staging is on the output's file system: a rename
    except OSError:
        shutil.move(str(src), str(dst))
