"""The hot folder pausing rather than ploughing on or dying: a stop set while a batch of ready
scans is cleaned takes effect after the scan in hand, and a full output disk makes the watcher
wait for space (said once, tried again after a growing wait) instead of exiting, which under
systemd's ``Restart=on-failure`` was a restart loop reloading the model every few seconds."""

from __future__ import annotations

import errno
import os
import threading
import time
from pathlib import Path

import pytest

from docclean.settings import CleanSettings
from docclean.watch import LEDGER_NAME, Ledger, Watcher
from docclean.watchrecord import WatchOutcome
from tests.docclean.watchkit import Clock, make, out_files, png_bytes


def _watcher(inbox: Path, out: Path, model: Path, **kw) -> Watcher:  # type: ignore[no-untyped-def]
    """A watcher on the real clock that takes a file at the second listing (settle 0)."""
    return Watcher(inbox, out, CleanSettings(model=str(model), device="cpu", threads=1), settle=0.0, **kw)


def test_a_stop_set_while_a_batch_is_cleaned_takes_effect_after_the_scan_in_hand(folders, tiny_model_path,  # type: ignore[no-untyped-def]
                                                                               tmp_path):
    """Three scans ready at once; the stop comes while the first is cleaned. ``run`` went on
    through the whole batch (hours after a restart with thousands waiting) before it looked at
    the stop; now the other two stay in IN untouched: not moved, not recorded, nothing in OUT."""
    inbox, out = folders
    done = tmp_path / "done"
    for i in range(3):
        (inbox / f"s{i}.png").write_bytes(png_bytes(i))
    stop = threading.Event()
    got: list[WatchOutcome] = []

    def first_then_stop(outcome: WatchOutcome) -> None:
        got.append(outcome)
        stop.set()  # as another thread's stop.set() would, while the batch is in hand

    watcher = _watcher(inbox, out, tiny_model_path, done=done, on_outcome=first_then_stop)
    watcher.run(stop, poll=0.05)
    assert [(o.source.name, o.status) for o in got] == [("s0.png", "cleaned")]
    assert sorted(p.name for p in inbox.iterdir()) == ["s1.png", "s2.png"]
    assert sorted(p.name for p in done.iterdir()) == ["s0.png"]
    assert sorted(out_files(out)) == ["s0.png"]


def test_poll_once_with_a_stop_leaves_the_rest_settled_for_the_next_step(folders, tiny_model_path):  # type: ignore[no-untyped-def]
    inbox, out = folders
    clock = Clock()
    stop = threading.Event()
    watcher = make(inbox, out, tiny_model_path, clock, on_outcome=lambda o: stop.set())
    for i in range(3):
        (inbox / f"s{i}.png").write_bytes(png_bytes(i))
    watcher.poll_once(stop)
    clock.now += 3
    assert [o.source.name for o in watcher.poll_once(stop)] == ["s0.png"]
    assert sorted(Ledger(out / LEDGER_NAME).entries) == ["s0.png"]
    assert [o.source.name for o in watcher.poll_once()] == ["s1.png", "s2.png"]  # no new settle wait


def _fill_disk(where: str, inbox: Path, out: Path, monkeypatch: pytest.MonkeyPatch) -> list[bool]:
    """Make the output disk full at ``where`` while the returned flag's one item is True: while
    a page is written, while the record is written, or while OUT's subfolder for the scan is made."""
    from docclean import io as pageio
    from docclean.errors import output_error

    full = [True]
    enospc = OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
    if where == "page":
        real_add = pageio.PageWriter.add

        def add(self, pixels, dpi):  # type: ignore[no-untyped-def]
            if full[0]:
                raise output_error("cannot write page 1", enospc, self.path)
            return real_add(self, pixels, dpi)

        monkeypatch.setattr(pageio.PageWriter, "add", add)
    elif where == "record":
        real_write = Ledger._write

        def write(self, change):  # type: ignore[no-untyped-def]
            if full[0]:
                raise enospc
            return real_write(self, change)

        monkeypatch.setattr(Ledger, "_write", write)
    else:
        real_mkdir = Path.mkdir

        def mkdir(self, *args, **kwargs):  # type: ignore[no-untyped-def]
            if full[0] and self == out / "sub":
                raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(self))
            return real_mkdir(self, *args, **kwargs)

        monkeypatch.setattr(Path, "mkdir", mkdir)
    return full


@pytest.mark.parametrize("where", ["page", "record", "folder"])
def test_a_full_disk_makes_the_watcher_wait_for_space_then_go_on(folders, tiny_model_path, monkeypatch, where):  # type: ignore[no-untyped-def]
    """ENOSPC on OUT: the watcher exited 1 (a restart loop under systemd; a full disk while OUT's
    subfolder was made even failed the scan, for good). Now the scan is undone and stays in IN,
    the watcher says once that it waits for space, tries again after 30, 60, 120 s (a fake wait
    here), says when it goes on, and the scan is cleaned once there is space."""
    inbox, out = folders
    name = "sub/a.png" if where == "folder" else "a.png"
    (inbox / name).parent.mkdir(exist_ok=True)
    (inbox / name).write_bytes(png_bytes(1))
    full = _fill_disk(where, inbox, out, monkeypatch)
    stop = threading.Event()
    notices: list[str] = []
    got: list[WatchOutcome] = []
    waits: list[float] = []

    def pause(event: threading.Event, seconds: float) -> bool:
        assert event is stop and (inbox / name).exists() and out_files(out) == {}  # undone, left in IN
        assert name not in Ledger(out / LEDGER_NAME).entries
        waits.append(seconds)
        full[0] = len(waits) < 3  # space again before the fourth try
        return False

    def cleaned(outcome: WatchOutcome) -> None:
        got.append(outcome)
        stop.set()

    watcher = _watcher(inbox, out, tiny_model_path, on_outcome=cleaned, on_notice=notices.append, pause=pause)
    give_up = threading.Timer(30, stop.set)  # a scan never taken again must fail the test, not hang it
    give_up.start()
    try:
        watcher.run(stop, poll=0.05)
    finally:
        give_up.cancel()
    assert waits == [30.0, 60.0, 120.0]
    assert len(notices) == 2, notices
    assert "output disk is full" in notices[0] and "No space left on device" in notices[0]
    assert notices[0].startswith(f"{out}: ") and f"{inbox / name} stays in the input folder" in notices[0]
    assert notices[1] == f"{out}: there is space on the output disk again; going on"
    assert [(o.source, o.status) for o in got] == [(inbox / name, "cleaned")]
    assert sorted(out_files(out)) == [name] and Ledger(out / LEDGER_NAME).entries[name]["status"] == "cleaned"


def test_a_stop_while_waiting_for_space_stops_at_once(folders, tiny_model_path, monkeypatch):  # type: ignore[no-untyped-def]
    """The real wait (30 s first) ends as soon as the stop is set; the scan stays in IN, unrecorded."""
    inbox, out = folders
    (inbox / "a.png").write_bytes(png_bytes(1))
    _fill_disk("page", inbox, out, monkeypatch)
    stop, said = threading.Event(), threading.Event()
    raised: list[BaseException] = []
    watcher = _watcher(inbox, out, tiny_model_path, on_notice=lambda text: said.set())

    def run() -> None:
        try:
            watcher.run(stop, poll=0.05)
        except BaseException as exc:  # noqa: BLE001 - the old watcher stopped with DiskFullError
            raised.append(exc)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    while thread.is_alive() and not said.wait(0.05):
        pass
    assert said.is_set() and not raised, raised
    time.sleep(0.2)  # well into the wait
    began = time.monotonic()
    stop.set()
    thread.join(5)
    assert not thread.is_alive() and time.monotonic() - began < 1.0 and not raised
    assert (inbox / "a.png").exists() and out_files(out) == {} and "a.png" not in Ledger(out / LEDGER_NAME).entries
