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
