"""Ray's start-up is told apart: the CLI's spinner said "finding files" while Ray started (about
7 s on one machine) and the summary's pages/s counted those seconds as cleaning time."""

from __future__ import annotations

import io
import re
import time
from pathlib import Path

from cluster_helpers import import_or_skip, write_image
from rich.console import Console

from docclean.progress import CleanProgress
from docclean.report import Report

import_or_skip("ray", "Ray is not installed: pip install -e '.[ray]' to run the Ray engine tests")

from docclean.cluster import ray_engine  # noqa: E402

SLOW_START = 1.0  # seconds added to ray.init, so that the start-up stands out of the run's time


def slow_connect(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    real = ray_engine.connect

    def connect(address):  # type: ignore[no-untyped-def]
        time.sleep(SLOW_START)
        return real(address)

    monkeypatch.setattr(ray_engine, "connect", connect)


class Stages(CleanProgress):
    """What a display that shows the start-up is told, in order, with the events around it."""

    def __init__(self) -> None:
        self.events: list[str] = []
        self.startup: float | None = None

    def on_engine_starting(self, what: str) -> None:
        self.events.append(what)

    def on_engine_started(self, seconds: float) -> None:
        self.startup = seconds
        self.events.append("started")

    def on_start(self, files: int, pages: int) -> None:
        self.events.append("on_start")

    def on_finish(self, report: Report) -> None:
        self.events.append("on_finish")


def test_the_start_up_is_told_before_any_page_and_left_out_of_the_run_s_seconds(tmp_path, settings, ray_session,  # type: ignore[no-untyped-def]
                                                                                   monkeypatch):
    write_image(tmp_path / "in" / "a.png", 1)
    slow_connect(monkeypatch)
    progress = Stages()
    began = time.perf_counter()
    report = ray_engine.clean_batch_ray([tmp_path / "in"], tmp_path / "out", settings, progress, workers=1)
    wall = time.perf_counter() - began
    assert report.exit_code == 0 and report.pages_cleaned == 1
    assert report.seconds < wall - SLOW_START  # the cleaning's seconds, not Ray's start
    assert progress.events == ["starting Ray", "starting Ray workers", "started", "on_start", "on_finish"]
    assert progress.startup is not None and progress.startup >= SLOW_START
    assert report.startup_seconds == progress.startup and report.to_json()["startup_seconds"] >= SLOW_START
    assert report.seconds + progress.startup <= wall


def test_nothing_to_clean_starts_no_ray_and_says_no_start_up(tmp_path, settings, ray_session) -> None:  # type: ignore[no-untyped-def]
    write_image(tmp_path / "in" / "a.png", 1)
    ray_engine.clean_batch_ray([tmp_path / "in"], tmp_path / "out", settings, workers=1)
    progress = Stages()
    again = ray_engine.clean_batch_ray([tmp_path / "in"], tmp_path / "out", settings, progress, workers=1)
    assert again.counts()["skipped"] == 1 and progress.events == ["on_start", "on_finish"]


def test_the_cli_names_ray_s_start_up_beside_the_rate(tmp_path, settings, ray_session, monkeypatch, capsys):  # type: ignore[no-untyped-def]
    from cli.clean import run_clean

    write_image(tmp_path / "in" / "a.png", 1)
    slow_connect(monkeypatch)
    assert run_clean([str(tmp_path / "in")], tmp_path / "out", settings, None, engine="ray", workers=1) == 0
    last = capsys.readouterr().err.strip().splitlines()[-1]
    found = re.search(r"1 page in ([\d.]+)s \(([\d.]+) pages/s, after ([\d.]+)s starting Ray\)$", last)
    assert found, last
    seconds, rate, startup = map(float, found.groups())
    assert startup >= SLOW_START and rate >= 1 / (seconds + 0.05) - 0.01  # the rate of the seconds printed


def test_the_spinner_says_ray_is_starting_then_gives_way_to_the_pages() -> None:
    from cli.clean_view import RichCleanProgress

    view = RichCleanProgress(Console(file=io.StringIO(), force_terminal=True, width=100), Console(file=io.StringIO()))
    with view:
        assert [t.description for t in view._progress.tasks] == ["finding files"]
        view.on_engine_starting("starting Ray")
        assert [t.description for t in view._progress.tasks] == ["starting Ray"]
        view.on_engine_starting("starting Ray workers")
        assert [t.description for t in view._progress.tasks] == ["starting Ray workers"]
        view.on_engine_started(7.25)
        view.on_start(1, 2)
        assert [t.description for t in view._progress.tasks] == ["cleaning"]


def test_a_local_run_s_planning_shows_the_files_being_checked(tmp_path: Path, settings, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """Planning opens every file (seconds for thousands): the spinner said "finding files" meanwhile."""
    from docclean.cluster import driver

    for i in range(3):
        write_image(tmp_path / "in" / f"{i}.png", i)
    checked: list[tuple[int, int]] = []

    class Checks(CleanProgress):
        def on_plan(self, done: int, total: int) -> None:
            checked.append((done, total))

    monkeypatch.setattr("docclean.batch.PLAN_EVERY", 0.0)
    found = driver.find_files([str(tmp_path / "in")], str(tmp_path / "out"), settings)
    plan = driver.plan_found(found, settings, progress=Checks())
    assert plan.pages == 3 and checked == [(0, 3), (1, 3), (2, 3)]
