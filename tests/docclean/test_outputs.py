"""The output folder's lock and the folder it makes (docclean.outputs)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from docclean.outputs import MadeFolder, output_lock


def test_a_folder_the_lock_made_goes_only_while_empty(tmp_path: Path) -> None:
    empty, written, there = tmp_path / "empty", tmp_path / "written", tmp_path / "there"
    there.mkdir()
    made = [MadeFolder(folder) for folder in (empty, written, there)]
    for folder in (empty, written, there):
        with output_lock(folder):
            pass
    (written / "a.png").write_bytes(b"x")
    for m in made:
        m.remove_if_empty()
    assert not empty.exists()  # made by the lock, nothing written: gone
    assert (written / "a.png").exists()  # something was written: stays
    assert there.is_dir()  # it was there before: stays, empty as it is
    MadeFolder(tmp_path / "never").remove_if_empty()  # a folder that never came is no error


def test_a_full_disk_does_not_break_taking_the_lock(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Writing the pid into the lock file fails on a full disk: the lock is still held (the pid only
    names the run to another one), and the lock file goes with it; it was a traceback that left it."""
    import errno
    import os

    def full(*args: object) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, "pwrite", full)
    with output_lock(tmp_path / "out"):
        assert (tmp_path / "out" / ".docclean.lock").exists()
    assert list((tmp_path / "out").iterdir()) == []


def test_a_run_in_a_folder_above_or_below_another_run_is_refused(tmp_path: Path) -> None:
    """The lock is per folder: `-o out` beside a run with `-o out/pdf` shared its work folders."""
    from docclean.outputs import STAGING_NAME, OutputBusy

    out, inner = tmp_path / "out", tmp_path / "out" / "pdf"
    with output_lock(inner, within=[inner]):
        with pytest.raises(OutputBusy, match=f"pid {os.getpid()}. is writing to {inner}, inside this output folder"):
            with output_lock(out, within=[out, inner]):
                pass
    with output_lock(out, within=[out, inner]):
        with pytest.raises(OutputBusy, match=f"is writing to {out}, which holds this output folder"):
            with output_lock(inner, within=[inner]):
                pass
        # A worker's staging folder inside the output its own run holds is that run's.
        staged = out / STAGING_NAME / "file-1" / "out"
        with output_lock(staged, within=[staged]):
            pass
    with output_lock(out, within=[out, inner]):  # nothing held any more: no refusal, no lock left
        pass
    assert sorted(p.name for p in out.rglob(".docclean.lock")) == []


def test_the_runs_own_files_are_told_from_outputs() -> None:
    from docclean.outputs import is_bookkeeping
    from docclean.resume import work_folder
    from docclean.watchattempt import earlier_folder

    out = Path("/out")
    own = [".docclean.lock", ".docclean-staging", work_folder(out / "scan.pdf").name,
           earlier_folder(out / "scan.pdf").name, earlier_folder(out / "scan.pdf", committed=True).name,
           ".scan.png.docclean-123-0a1b2c3d.part"]
    assert [name for name in own if not is_bookkeeping(name)] == []
    assert not any(map(is_bookkeeping, ["scan.pdf", "scan-p001.png", ".hidden.png", "x.docclean-pages"]))


class Listings:
    """Counts the listings (``os.scandir``, ``os.listdir``) of each folder while installed."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.of: dict[Path, int] = {}
        for name in ("scandir", "listdir"):
            real = getattr(os, name)

            def counted(path=".", real=real):  # type: ignore[no-untyped-def]
                if not isinstance(path, int):  # a descriptor: shutil.rmtree's walk of a folder it removes
                    key = Path(os.fsdecode(path)).absolute()
                    self.of[key] = self.of.get(key, 0) + 1
                return real(path)

            monkeypatch.setattr(os, name, counted)


def test_a_batch_lists_each_output_folder_once_at_its_start(tmp_path: Path, tiny_model_path: Path,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    """Each output folder was listed twice as a batch began: for the temporary files of killed
    runs, then for a hot folder's tries cut short; a folder of 100,000 outputs takes a good part of
    a second to list. One listing, handed on, still clears both."""
    import numpy as np
    from PIL import Image

    from docclean.batch import clean_batch
    from docclean.outputs import earlier_folder
    from docclean.settings import CleanSettings

    out = tmp_path / "out"
    (tmp_path / "in").mkdir()
    Image.fromarray(np.full((40, 48), 200, np.uint8)).save(tmp_path / "in" / "a.png")
    earlier_folder(out / "a.png").mkdir(parents=True)  # a killed watcher's try of a.png
    (out / ".a.png.docclean-4194999-0123abcd.part").write_bytes(b"half")  # its page, from a pid above pid_max
    listings = Listings(monkeypatch)
    settings = CleanSettings(model=str(tiny_model_path), device="cpu", threads=1)
    assert clean_batch([tmp_path / "in"], out, settings).exit_code == 0
    monkeypatch.undo()
    assert listings.of.get(out.absolute()) == 1
    assert sorted(os.listdir(out)) == [".a.png.docclean-earlier-committed", "a.png"]  # both still cleared
