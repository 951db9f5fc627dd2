"""The hot-folder watcher's loop: file-system events where they work and polling where they do not
(network mounts), links to folders outside the inbox, an inbox replaced under its name, one watcher
per output folder, an output folder deleted under a running watcher, and an idle watcher's cost."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest

from docclean.settings import CleanSettings
from docclean.watch import Watcher
from docclean.watchfs import filesystem_type, polling_reason
from tests.docclean.watchkit import (
    Clock,
    make,
    png_bytes,
    settle,
    settled,
)


def test_run_with_events_and_stop(folders, tiny_model_path):  # type: ignore[no-untyped-def]
    inbox, out = folders
    settings = CleanSettings(model=str(tiny_model_path), device="cpu", threads=1)
    got: list[str] = []
    watcher = Watcher(inbox, out, settings, settle=0.3, on_outcome=lambda o: got.append(o.status))
    stop = threading.Event()
    thread = threading.Thread(target=watcher.run, args=(stop,))
    thread.start()
    try:
        time.sleep(0.3)
        (inbox / "late.png").write_bytes(png_bytes(6))
        deadline = time.monotonic() + 20
        while not got and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        stop.set()
        thread.join(10)
    assert not thread.is_alive()
    assert got == ["cleaned"] and (out / "late.png").exists()


def test_filesystem_type_and_polling(tmp_path: Path) -> None:
    mounts = tmp_path / "mounts"
    mounts.write_text("rootfs / ext4 rw 0 0\n"
                      "server:/scans /mnt/scan\\040share nfs4 rw 0 0\n"
                      "//nas/x /mnt/nas cifs rw 0 0\n")
    assert filesystem_type("/mnt/scan share/in", mounts) == "nfs4"
    assert filesystem_type("/mnt/nas", mounts) == "cifs"
    assert filesystem_type("/mnt/nasty", mounts) == "ext4"
    assert polling_reason(tmp_path, 2.0) == "asked for"
    assert filesystem_type(tmp_path) is not None


def test_a_network_mount_with_a_non_ascii_name_is_found(tmp_path):  # type: ignore[no-untyped-def]
    mounts = tmp_path / "mounts"
    mounts.write_text("/dev/sda1 / ext4 rw 0 0\nsrv:/x /mnt/scans\\040\u00e9t\u00e9 nfs4 rw 0 0\n", encoding="utf-8")
    assert filesystem_type("/mnt/scans \u00e9t\u00e9/in", mounts) == "nfs4"


def test_one_watcher_per_output_folder(folders, tiny_model_path, tmp_path):  # type: ignore[no-untyped-def]
    from docclean.outputs import OutputBusy

    inbox, out = folders
    other_inbox = tmp_path / "in2"
    other_inbox.mkdir()
    clock = Clock()
    first, second = make(inbox, out, tiny_model_path, clock), make(other_inbox, out, tiny_model_path, clock)
    stop = threading.Event()
    stop.set()  # run() returns at once: only its lock is under test
    with first.holding():
        with first.holding():  # re-entrant for its owner
            pass
        with pytest.raises(OutputBusy, match="another docclean watch .* stop it"):
            second.run(stop)
    second.run(stop)  # free again once the first has stopped
    make(inbox, tmp_path / "elsewhere", tiny_model_path, clock).run(stop)  # other outputs never wait


def test_a_link_to_a_folder_outside_the_inbox_is_followed_and_one_inside_is_not(folders, tiny_model_path):  # type: ignore[no-untyped-def]
    inbox, out = folders
    elsewhere = inbox.parent / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "b.png").write_bytes(png_bytes(2))
    (inbox / "real").mkdir()
    (inbox / "real" / "a.png").write_bytes(png_bytes(1))
    (inbox / "linked").symlink_to(elsewhere, target_is_directory=True)
    (inbox / "loop").symlink_to(inbox, target_is_directory=True)  # as `docclean clean` does: no loop
    clock = Clock()
    watcher = make(inbox, out, tiny_model_path, clock)
    assert sorted(o.status for o in settled(watcher, clock)) == ["cleaned", "cleaned"]
    # A link to a folder already listed under its own name ("alias" sorts before "real") adds nothing:
    # listed under two names, a.png was cleaned again.
    (inbox / "alias").symlink_to(inbox / "real", target_is_directory=True)
    assert settle(watcher, clock) == []
    assert sorted(p.relative_to(out).as_posix() for p in out.rglob("*.png")) == ["linked/b.png", "real/a.png"]


def test_an_empty_file_does_not_keep_the_watcher_busy(folders, tiny_model_path):  # type: ignore[no-untyped-def]
    inbox, out = folders
    (inbox / "aborted.png").touch()  # a scan that never began to be written
    clock = Clock()
    watcher = make(inbox, out, tiny_model_path, clock)
    assert settle(watcher, clock) == []
    clock.now += 60
    # Nothing is due: a due time of 0 made the watcher list the inbox again at once, in a loop.
    assert watcher.next_due() is None
    (inbox / "a.png").write_bytes(png_bytes(1))
    watcher.poll_once()
    assert watcher.next_due() == 2.0  # a file being written is waited for as before


def test_a_scan_in_a_linked_folder_or_a_replaced_inbox_wakes_the_watcher(folders, tiny_model_path):  # type: ignore[no-untyped-def]
    inbox, out = folders
    elsewhere = inbox.parent / "elsewhere"
    elsewhere.mkdir()
    (inbox / "linked").symlink_to(elsewhere, target_is_directory=True)
    settings = CleanSettings(model=str(tiny_model_path), device="cpu", threads=1)
    got: list[str] = []
    watcher = Watcher(inbox, out, settings, settle=0.3, on_outcome=lambda o: got.append(o.source.name))
    stop = threading.Event()
    thread = threading.Thread(target=watcher.run, args=(stop,))
    thread.start()

    def arrives(path: Path, seed: int) -> bool:
        # Woken by an event, not by the check every 30 seconds (which found these files before).
        path.write_bytes(png_bytes(seed))
        deadline = time.monotonic() + 10
        while path.name not in got and time.monotonic() < deadline:
            time.sleep(0.05)
        return path.name in got

    try:
        time.sleep(0.5)
        assert arrives(elsewhere / "far.png", 7)
        inbox.rename(inbox.with_name("in.old"))  # the inbox replaced under its name
        inbox.mkdir()
        time.sleep(1.0)
        assert arrives(inbox / "new.png", 8)
        inbox.rename(inbox.with_name("away"))  # unmounted for a while, then back
        time.sleep(1.0)
        inbox.with_name("away").rename(inbox)
        time.sleep(1.0)
        assert arrives(inbox / "back.png", 9)
    finally:
        stop.set()
        thread.join(10)
    assert not thread.is_alive()


def test_an_output_folder_deleted_under_a_running_watcher_stops_it(folders, tiny_model_path):  # type: ignore[no-untyped-def]
    import shutil
    from contextlib import ExitStack

    from docclean.errors import OutputError

    inbox, out = folders
    clock = Clock()
    watcher, second = make(inbox, out, tiny_model_path, clock), make(inbox, out, tiny_model_path, clock)
    with ExitStack() as first_holds, ExitStack() as second_holds:
        first_holds.enter_context(watcher.holding())
        watcher.poll_once()
        shutil.rmtree(out)  # its lock went with it: a second watcher could start on OUT
        second_holds.enter_context(second.holding())
        with pytest.raises(OutputError, match="deleted or replaced"):
            watcher.poll_once()
        first_holds.close()
        assert (out / ".docclean-watch.lock").exists()  # the first one's exit leaves the second's lock
        assert second.poll_once() == []
    assert not (out / ".docclean-watch.lock").exists()


def test_an_idle_watcher_stats_its_folders_less_and_less_often(folders, tiny_model_path, monkeypatch):  # type: ignore[no-untyped-def]
    """Moving a watched folder away sends its own watch no event, so a waiting watcher stats the
    folders it follows; an idle one did so 5 times a second for ever (a network share, many linked
    folders). It backs off now, and a stop is still seen at once."""
    from docclean.watchfs import FolderEvents

    inbox, out = folders
    calls: list[float] = []
    real = FolderEvents.moved

    def counted(self):  # type: ignore[no-untyped-def]
        calls.append(time.monotonic())
        return real(self)

    monkeypatch.setattr(FolderEvents, "moved", counted)
    settings = CleanSettings(model=str(tiny_model_path), device="cpu", threads=1)
    watcher = Watcher(inbox, out, settings, settle=0.3)
    stop = threading.Event()
    thread = threading.Thread(target=watcher.run, args=(stop,))
    thread.start()
    try:
        time.sleep(3.0)
    finally:
        asked = time.monotonic()
        stop.set()
        thread.join(10)
    assert not thread.is_alive() and time.monotonic() - asked < 1.0
    assert 1 <= len(calls) <= 5  # 0.2, 0.6, 1.4 and 3.0 s into the wait; it was 15 (every 0.2 s)


def test_an_output_folder_deleted_midway_through_a_batch_stops_before_the_next_scan(folders, tiny_model_path):  # type: ignore[no-untyped-def]
    # OUT was checked once a listing: the scans ready with it were cleaned into an OUT made anew,
    # which no lock guarded, and recorded there (a nightly `mv clean clean.old` during a batch).
    import os
    import shutil

    from docclean.errors import OutputError

    inbox, out = folders
    clock = Clock()
    watcher = make(inbox, out, tiny_model_path, clock, on_outcome=lambda outcome: shutil.rmtree(out))
    for n in range(2):
        (inbox / f"scan{n}.png").write_bytes(png_bytes(n))
    with watcher.holding():
        watcher.poll_once()
        clock.now += 3
        with pytest.raises(OutputError, match="deleted or replaced"):
            watcher.poll_once()
    assert not out.exists() and sorted(os.listdir(inbox)) == ["scan0.png", "scan1.png"]


def test_an_output_folder_deleted_while_a_scan_is_cleaned_undoes_it(folders, tiny_model_path, monkeypatch):  # type: ignore[no-untyped-def]
    # The clean made OUT anew and wrote the scan there; the scan was then moved to done/ as if it
    # had gone through, its only output in a folder no lock guarded.
    import shutil

    import docclean.batch
    from docclean.errors import OutputError
    from tests.docclean.watchkit import moved_aside, out_files

    inbox, out = folders
    real = docclean.batch.clean_batch

    def out_gone_first(*args, **kwargs):  # type: ignore[no-untyped-def]
        shutil.rmtree(out)
        return real(*args, **kwargs)

    monkeypatch.setattr(docclean.batch, "clean_batch", out_gone_first)
    clock = Clock()
    watcher = make(inbox, out, tiny_model_path, clock, **moved_aside(inbox, True))
    (inbox / "scan.png").write_bytes(png_bytes(3))
    with watcher.holding():
        watcher.poll_once()
        clock.now += 3
        with pytest.raises(OutputError, match="deleted or replaced"):
            watcher.poll_once()
    assert (inbox / "scan.png").exists() and not (inbox.parent / "done").exists()
    assert out_files(out) == {} and watcher.in_hand is None
