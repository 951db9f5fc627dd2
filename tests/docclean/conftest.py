"""Fixtures of the tests of ``docclean``: the hot-folder tests' input and output folders."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture
def folders(tmp_path: Path) -> tuple[Path, Path]:
    inbox, out = tmp_path / "in", tmp_path / "out"
    inbox.mkdir()
    return inbox, out
