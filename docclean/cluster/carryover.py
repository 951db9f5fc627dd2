"""What a worker carries over from an earlier, interrupted run of the same file, for ``unit``.

``clean_batch`` resumes from what it finds beside its target: finished per-page outputs
(``NAME-p001.png``...) and the work folder of a multi-page output (``docclean.resume``:
``.NAME.docclean-pages/``, stamped with the source's path, size and mtime and the settings). A
worker's target is in its staging folder, so before the run these are brought into it
(:func:`fetch_done_pages`, :func:`borrow_work_folder`) and the work folder is moved back after
(:func:`move_folder`), and a source in object storage is downloaded where resume's stamp knows it
again (:func:`source_copy`).
"""

from __future__ import annotations

import glob
import hashlib
import json
import os
import shutil
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any

from docclean import formats
from docclean.cluster import storage
from docclean.errors import InputError

if TYPE_CHECKING:
    from docclean.settings import CleanSettings


def _name(location: str) -> str:
    return PurePosixPath(location.split("://", 1)[1]).name if storage.is_remote(location) else Path(location).name


#: The modification time given to every kept source copy (2000-01-01; some file systems refuse
#: times before 1980): the resume stamp compares it, so it must be one time for every download.
COPY_MTIME_NS = 946_684_800 * 10**9


def source_copy(url: str, target: str, tmp: Path, staging: Path | None,
                storage_options: dict[str, Any] | None) -> tuple[Path, dict[str, str] | None]:
    """Where to download the source ``url``, and the version of it that place stands for.

    Resume inside a multi-page output (``docclean.resume``) stamps the work folder with the
    source's path, size and mtime, so a copy in a new temporary folder on every run never resumed.
    When the output folder is local (``staging`` given), source and target can both hold several
    pages, and the store says which version the object is (``storage.object_version``; one more
    request, so only then), the copy goes to a folder of the staging folder named by the URL and
    that version, and gets :data:`COPY_MTIME_NS` (the caller, once downloaded, with
    :func:`check_version`): the same version of the same object is then the same file to the stamp
    on every run, and another version another file. Otherwise in ``tmp`` (no resume)."""
    multi = all((fmt := formats.by_suffix(_name(name))) is not None and fmt.multi_page for name in (url, target))
    version = storage.object_version(url, storage_options) if staging is not None and multi else None
    if version is None:
        return tmp / "in" / _name(url), None
    key = hashlib.sha256(json.dumps([url, version], sort_keys=True).encode()).hexdigest()[:20]
    return staging / f"source-{key}" / _name(url), version  # type: ignore[operator]


def check_version(url: str, version: dict[str, str], copy: Path, storage_options: dict[str, Any] | None) -> None:
    """After the download into :func:`source_copy`'s place: InputError when the object was replaced
    in between (its pages must not resume another version's), else give the copy its fixed mtime."""
    if storage.object_version(url, storage_options) != version:
        raise InputError("it changed in the store while it was downloaded; run again", url)
    os.utime(copy, ns=(COPY_MTIME_NS, COPY_MTIME_NS))


def fetch_done_pages(target: str, folder: Path, storage_options: dict[str, Any] | None) -> None:
    """Copy per-page outputs of ``target`` that exist already into the staging ``folder``."""
    if storage.is_remote(target):
        for url in storage.page_outputs(target, storage_options):
            storage.download(url, folder / PurePosixPath(url).name, storage_options)
        return
    path = Path(target)
    for page in path.parent.glob(f"{glob.escape(path.stem)}-p[0-9][0-9][0-9]*{glob.escape(path.suffix)}"):
        try:
            os.link(page, folder / page.name)
        except OSError:
            shutil.copyfile(page, folder / page.name)


def _work_folder(target: Path, source: Path, settings: CleanSettings) -> Path | None:
    """The engine's work folder of a multi-page output (``docclean.resume``), or None."""
    try:
        from docclean.resume import PageStore

        return PageStore(target, source, settings).folder
    except (ImportError, OSError):
        return None


def borrow_work_folder(target: str, source: Path, staged: Path, settings: CleanSettings
                       ) -> tuple[Path, Path] | None:
    """Move the finished pages of an interrupted multi-page output (kept beside its ``target`` by
    the engine's resume) into the staging folder, so the runner carries on from them; returns the
    (staged, final) work folders, to move back whatever is left after the run."""
    if storage.is_remote(target) or settings.overwrite:
        return None
    final, staged_work = _work_folder(Path(target), source, settings), _work_folder(staged, source, settings)
    if final is None or staged_work is None:
        return None
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
