"""The Ray engine imports Ray (a second or two) only after the files are found, when the display
says "starting Ray": imported first, the wait read as "finding files"."""

from __future__ import annotations

from pathlib import Path

import pytest

from docclean.cluster import driver, ray_engine, raypool
from docclean.errors import UsageError


class Found(Exception):
    """Stops the run once the files were searched for."""


def test_ray_is_imported_after_the_files_are_found(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    events: list[str] = []
    monkeypatch.setattr(ray_engine, "ray_module", lambda: events.append("import ray"))
    monkeypatch.setattr(raypool, "ray_module", lambda: events.append("import ray"))
    monkeypatch.setattr(ray_engine, "require_ray", lambda: events.append("is ray installed"))

    def find_files(*args: object, **kwargs: object) -> None:
        events.append("find files")
        raise Found

    monkeypatch.setattr(driver, "find_files", find_files)
    with pytest.raises(Found):
        ray_engine.clean_batch_ray([str(tmp_path)], tmp_path / "out")
    assert events == ["is ray installed", "find files"]


def test_a_missing_ray_is_a_usage_error_before_any_search(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(raypool.importlib.util, "find_spec", lambda name: None if name == "ray" else object())
    with pytest.raises(UsageError, match=r"needs Ray: pip install 'docclean\[ray\]'"):
        raypool.require_ray()
