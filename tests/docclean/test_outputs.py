"""The output folder's lock and the folder it makes (docclean.outputs)."""

from __future__ import annotations

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
