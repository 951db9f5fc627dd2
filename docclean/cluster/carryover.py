"""What a worker carries over from an earlier, interrupted run of the same file, for ``unit``.

``clean_batch`` resumes from what it finds beside its target: finished per-page outputs
(``NAME-p001.png``...) and the work folder of a multi-page output (``docclean.resume``:
``.NAME.docclean-pages/``, stamped with the source's content digest and the settings, so a
downloaded copy of a URL resumes wherever it lies). A worker's target is in its staging folder, so
before the run these are brought into it (:func:`fetch_done_pages`, :func:`borrow_work_folder`)
and the work folder is moved back after (:func:`move_folder`).

Page files keep the same stamp while they are written, in the same place (``PageStore.begin``),
and page files under a stamp that is not this run's (an unfinished run of a rescan, a repaired scan,
other settings) are no pages of this run: before anything is carried over, :func:`settle_stamp`
applies ``PageStore``'s rule to the real output, as the local planner does (``plan.plan_job``),
whatever the plan (a big job's, a URL's, which count no pages). The stamp stays where it is during
the run; an unfinished run's is put in its place before its page files are published
(:func:`keep_stamp`), and it goes once they all are (:func:`drop_stamp`). In object storage it is
the key ``.NAME.docclean-pages/stamp.json`` beside the page files, as in a folder. The page files an
earlier run left past this run's pages are found in the real output too (:func:`left_over`), for
the warning the local run gives (``docclean.leftover``); only the pages within the count are
fetched, so the run in staging finds none there.
"""

from __future__ import annotations

import functools
import os
import shutil
from collections.abc import Callable, Collection
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any

from docclean import formats, leftover
from docclean.cluster import storage
from docclean.errors import Cancelled

if TYPE_CHECKING:
    from docclean.settings import CleanSettings

def sibling(target: str, name: str) -> str:
    """The path or URL of ``name`` beside ``target``."""
    if storage.is_remote(target):
        return target.rsplit("/", 1)[0] + "/" + name
    return str(Path(target).with_name(name))


def holds_pages(target: str) -> bool:
    """Whether ``target``'s format holds many pages (TIFF, PDF): a source written there has no page files."""
    return bool(getattr(formats.by_suffix(Path(storage.location(target).name)), "multi_page", False))


def page_names(target: str, pages: int | None) -> list[str]:
    """The names of the page files a source of ``pages`` pages is split into beside ``target``
    (``plan.page_target``); none for a format with pages, a source of one page, or one whose pages
    could not be counted (None: cleaning it says why)."""
    from docclean.plan import page_target

    if pages is None or pages < 2 or holds_pages(target):
        return []
    name = Path(storage.location(target).name)
    return [page_target(name, i).name for i in range(pages)]


def _stamp_at(target: str) -> str:
    """Where the stamp of ``target``'s page files lies: in its work folder (``resume.work_folder``)."""
    from docclean.resume import STAMP_FILE, work_folder

    if storage.is_remote(target):
        return sibling(target, f"{work_folder(Path(storage.location(target).name)).name}/{STAMP_FILE}")
    return str(work_folder(Path(target)) / STAMP_FILE)


def _work_at(target: str) -> str:
    """The URL of the work folder (the prefix) of ``target`` in object storage."""
    return _stamp_at(target).rsplit("/", 1)[0]


def _remove_remote(url: str, storage_options: dict[str, Any] | None, folder: bool = False) -> None:
    """Remove the file at ``url`` (``folder``: whatever lies under it, as ``PageStore.clear``); none
    there is no error."""
    fs, path = storage.filesystem(url, storage_options)
    try:
        if folder:
            fs.rm(path, recursive=True)
        else:
            fs.rm_file(path)
    except FileNotFoundError:
        pass
    except Cancelled:
        raise
    except Exception as exc:  # noqa: BLE001 - any store's failure: see storage.store_failure
        from docclean.errors import OutputError

        raise OutputError(f"{url}: cannot remove it ({storage.store_failure(exc)})") from None


def settle_stamp(target: str, names: list[str], source: Path, settings: CleanSettings, staged: Path,
                 storage_options: dict[str, Any] | None, check: Callable[[str], None]) -> bool:
    """Before anything of an earlier run is carried over: the page files ``names`` beside ``target``
    (:func:`page_names`) under a stamp that is not this run's are removed, and the stamp with them,
    as ``plan.plan_job`` removes them (``PageStore.page_files_to_do``): a run cut short again must
    not leave one beside this run's pages, under this run's stamp. ``check`` (a page file's path or
    URL) raises for one that is no output of ours, which is never removed. In object storage the
    stamp is read into ``staged``'s work folder for ``PageStore`` to compare, and removed there.
    Returns whether a stamp of this run is left beside ``target`` (:func:`drop_stamp` once the
    file is finished)."""
    from docclean.resume import STAMP_FILE, PageStore

    if not names:
        return False
    if not storage.is_remote(target):
        store = PageStore(Path(target), source, settings)
        pages = [Path(sibling(target, name)) for name in names]
        if store.stamped() is False:
            for page in pages:
                check(str(page))
        store.page_files_to_do(pages, settings.overwrite, clear=True)
        return store.stamped() is True
    text = _read_remote(_stamp_at(target), storage_options)
    if text is None:  # no stamp: a finished run's page files, or none
        return False
    store = PageStore(staged, source, settings)
    try:
        store.folder.mkdir(parents=True, exist_ok=True)
        (store.folder / STAMP_FILE).write_bytes(text)
        if store.stamped() is not False:
            return True
        there = [sibling(target, name) for name in _remote_pages(target, storage_options, names)]
        for url in there:
            check(url)
        for url in there:
            _remove_remote(url, storage_options)
        _remove_remote(_work_at(target), storage_options, folder=True)
        return False
    finally:
        store.clear()


def _remote_pages(target: str, storage_options: dict[str, Any] | None, names: Collection[str]) -> list[str]:
    """Those of ``names`` that are files beside ``target`` in object storage, in order."""
    there = Beside(target, storage_options).files
    return [name for name in names if name in there]


def _read_remote(url: str, storage_options: dict[str, Any] | None) -> bytes | None:
    """The bytes at ``url``, or None where there is nothing; OutputError where the store cannot say."""
    fs, path = storage.filesystem(url, storage_options)
    try:
        return bytes(fs.cat_file(path))
    except FileNotFoundError:
        return None
    except Cancelled:
        raise
    except Exception as exc:  # noqa: BLE001 - any store's failure: see storage.store_failure
        from docclean.errors import OutputError

        raise OutputError(f"{url}: cannot read it ({storage.store_failure(exc)})") from None


class Beside:
    """The names of the files beside a target, in its folder or under its prefix in object storage,
    listed once, when first asked (after :func:`settle_stamp`, which may remove some); none where
    they cannot be listed."""

    def __init__(self, target: str, storage_options: dict[str, Any] | None) -> None:
        self.target, self.storage_options = target, storage_options

    @functools.cached_property
    def files(self) -> frozenset[str]:
        if not storage.is_remote(self.target):
            from docclean.outputs import list_folder

            return frozenset(entry.name for entry in list_folder(Path(self.target).parent) if entry.is_file())
        fs, path = storage.filesystem(self.target, self.storage_options)
        fs.invalidate_cache()  # another process may have written
        try:
            listing = fs.ls(str(PurePosixPath(path).parent), detail=True)
        except FileNotFoundError:
            return frozenset()
        except Cancelled:
            raise
        except Exception as exc:  # noqa: BLE001 - any store's failure: see storage.store_failure
            from docclean.errors import OutputError

            raise OutputError(f"{self.target}: cannot list the output ({storage.store_failure(exc)})") from None
        return frozenset(PurePosixPath(entry["name"]).name for entry in listing if entry.get("type") == "file")


def fetch_done_pages(target: str, folder: Path, storage_options: dict[str, Any] | None, names: Collection[str],
                     skip: Collection[str] = (), beside: Beside | None = None) -> None:
    """Copy the page files ``names`` of ``target`` (:func:`page_names`) that exist already into the
    staging ``folder``, but none named in ``skip`` (other inputs' outputs that only look like this
    file's pages); none past them, which this run does not write (:func:`left_over`). ``beside``:
    the files there, where they are listed already."""
    wanted = [name for name in names if name not in skip]
    if not wanted:
        return
    if storage.is_remote(target):
        there = (beside or Beside(target, storage_options)).files
        for name in wanted:
            if name in there:
                storage.download(sibling(target, name), folder / name, storage_options)
        return
    for name in wanted:
        page = Path(sibling(target, name))
        if not page.is_file():
            continue
        try:
            os.link(page, folder / name)
        except OSError:
            shutil.copyfile(page, folder / name)


def left_over(target: str, source: Path, pages: int | None, taken: Callable[[str], bool], beside: Beside) -> list[str]:
    """Names of the files beside ``target`` (``beside``) that an earlier run left and this run, of
    ``pages`` pages, does not replace (``docclean.leftover.find``); ``taken``: whether a name is an
    input's or another input's output. Nothing is listed for a source that has no page files."""
    name = Path(storage.location(target).name)
    if pages is None or pages < 1 or not leftover.splits(source, name):
        return []
    found = leftover.find(source, name, pages, leftover.by_owner(beside.files), lambda path: taken(path.name),
                          is_file=lambda path: path.name in beside.files)
    return [p.name for p in found]


def keep_stamp(target: str, staged: Path, storage_options: dict[str, Any] | None) -> None:
    """After the run, before its page files are published: where it did not finish, the stamp it
    wrote in staging (``PageStore.begin``) goes in its place beside ``target``, replacing whatever
    stamp is there, so that the pages published are known for this run's."""
    from docclean.resume import STAMP_FILE, work_folder

    stamp = work_folder(staged) / STAMP_FILE
    if not stamp.is_file():
        return
    if storage.is_remote(target):
        storage.upload_atomic(stamp, _stamp_at(target), storage_options)
        return
    from docclean.atomic import atomic_path
    from docclean.errors import output_error

    final = Path(_stamp_at(target))
    try:
        with atomic_path(final) as tmp:
            shutil.copyfile(stamp, tmp)
    except OSError as exc:
        raise output_error("cannot create the work folder for the finished pages", exc, final.parent) from None


def drop_stamp(target: str, storage_options: dict[str, Any] | None) -> None:
    """Once every page file of the file is in its place: the stamp of this run that lay beside
    them (:func:`settle_stamp`) goes (one left is harmless: the next run finds every page file
    whole and removes it)."""
    if not storage.is_remote(target):
        from docclean.resume import work_folder

        shutil.rmtree(work_folder(Path(target)), ignore_errors=True)
        return
    try:
        _remove_remote(_work_at(target), storage_options, folder=True)
    except Cancelled:
        raise
    except Exception:  # noqa: BLE001 - see above
        pass


def borrow_work_folder(target: str, staged: Path) -> tuple[Path, Path] | None:
    """Move the finished pages of an interrupted multi-page output (kept beside its ``target`` by
    the engine's resume) into the staging folder, so the runner carries on from them, or clears
    them as it would (another source or other settings, ``--overwrite``); returns the (staged,
    final) work folders, to move back whatever is left after the run. Page files' stamp stays
    where it is (:func:`settle_stamp`). A ``file://`` target's work folder lies beside it as beside
    the plain path it names (``storage.file_url_path``); in object storage there is none."""
    from docclean.resume import work_folder

    local = storage.file_url_path(target) if storage.is_remote(target) else Path(target)
    if local is None or not holds_pages(target):
        return None
    final, staged_work = work_folder(local), work_folder(staged)
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
