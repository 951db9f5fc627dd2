"""Tests for docclean.atomic: whole or nothing, no temporary files left, normal permissions."""

import os

import pytest

from docclean.atomic import atomic_path


def test_success_renames_into_place(tmp_path):
    target = tmp_path / "sub" / "out.txt"
    with atomic_path(target) as tmp:
        tmp.write_text("done")
        assert not target.exists()
    assert target.read_text() == "done" and os.listdir(target.parent) == ["out.txt"]
    assert target.stat().st_mode & 0o044  # readable by others (mkstemp alone would give 0600)


def test_failure_keeps_old_file_and_leaves_no_temp(tmp_path):
    target = tmp_path / "out.txt"
    target.write_text("old")
    with pytest.raises(KeyboardInterrupt):
        with atomic_path(target) as tmp:
            tmp.write_text("half")
            raise KeyboardInterrupt
    assert target.read_text() == "old" and os.listdir(tmp_path) == ["out.txt"]
