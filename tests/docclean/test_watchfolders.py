"""Moving a handled scan out of the hot folder's inbox (``docclean.watchfolders.move_aside``):
across file systems, either the move happens or the scan stays only where it was."""

from __future__ import annotations

import errno
import os
import shutil
from pathlib import Path

import pytest

from docclean.watchfolders import move_aside


@pytest.fixture
def across(monkeypatch: pytest.MonkeyPatch) -> None:
    """Renames fail as between two file systems (done/ on another disk than IN)."""
    def rename(src, dst):  # type: ignore[no-untyped-def]
        raise OSError(errno.EXDEV, "Invalid cross-device link")

    monkeypatch.setattr(os, "rename", rename)


def scan(tmp_path: Path) -> Path:
    (tmp_path / "in").mkdir()
    path = tmp_path / "in" / "big.pdf"
    path.write_bytes(b"%PDF-" + bytes(range(256)) * 400)
    return path


def test_a_move_across_file_systems_copies_whole_then_deletes(tmp_path: Path, across: None) -> None:
    source = scan(tmp_path)
    data = source.read_bytes()
    (tmp_path / "done").mkdir()
    (tmp_path / "done" / "big.pdf").write_bytes(b"an earlier one")
    moved = move_aside(source, tmp_path / "done" / "big.pdf")
    assert moved == tmp_path / "done" / "big-1.pdf" and moved.read_bytes() == data and not source.exists()
    assert sorted(p.name for p in (tmp_path / "done").iterdir()) == ["big-1.pdf", "big.pdf"]


def test_a_copy_cut_short_leaves_nothing_under_the_scan_s_name(tmp_path: Path, across: None,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    source = scan(tmp_path)
    data = source.read_bytes()

    def full(src, dst):  # type: ignore[no-untyped-def] - done/ fills up half way
        Path(dst).write_bytes(Path(src).read_bytes()[:1000])
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(shutil, "copy2", full)
    with pytest.raises(OSError, match="No space"):
        move_aside(source, tmp_path / "done" / "big.pdf")
    assert source.read_bytes() == data and list((tmp_path / "done").iterdir()) == []


def test_a_scan_that_cannot_be_deleted_from_the_inbox_leaves_no_second_copy(tmp_path: Path, across: None,
                                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    source = scan(tmp_path)
    real_unlink = Path.unlink

    def read_only(self: Path, missing_ok: bool = False) -> None:
        if self == source:
            raise OSError(errno.EROFS, "Read-only file system")
        real_unlink(self, missing_ok=missing_ok)

    monkeypatch.setattr(Path, "unlink", read_only)
    with pytest.raises(OSError, match="Read-only"):
        move_aside(source, tmp_path / "done" / "big.pdf")
    assert source.exists() and list((tmp_path / "done").iterdir()) == []
