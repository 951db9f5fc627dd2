"""The hot folder stopped or killed in the middle of a try: Ctrl-C or SIGTERM anywhere between the
clean and the record or the move, a watcher killed outright (its set-aside folder settled at the
next start), and a full disk while the earlier outputs are set aside."""

from __future__ import annotations

import os
import time
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from docclean.settings import CleanSettings
from docclean.watch import LEDGER_NAME, Ledger, Watcher
from tests.docclean.watchkit import (
    Clock,
    bad_page_tiff,
    make,
    moved_aside,
    moved_then_stopped,
    out_files,
    png_bytes,
    settle,
    settled,
    sigterm,
    stopped_when_settled,
    tiff_bytes,
)


@pytest.mark.parametrize("fmt", ["png", "pdf"])
def test_a_multi_page_scan_stopped_midway_leaves_no_page_no_record_accounts_for(folders, tiny_model_path,
                                                                                monkeypatch, fmt):  # type: ignore[no-untyped-def]
    """SIGTERM while page 4 of 4 is cleaned: pages 1-3 written as page files (``--format png``) or
    kept in the work folder (``--format pdf``) were left in OUT, recorded nowhere (long-p003.png,
    which the earlier two-page scan did not have), until the scan was cleaned again. They go now;
    the earlier scan's output, which the user was told about, stays; the next start cleans the
    scan whole."""
    import docclean.filerun
    from docclean.errors import Terminated

    inbox, out = folders
    clock = Clock()
    settings = CleanSettings(model=str(tiny_model_path), device="cpu", threads=1, fmt=fmt)
    watcher = Watcher(inbox, out, settings, settle=2.0, clock=clock)
    (inbox / "long.tif").write_bytes(tiff_bytes(2, seed=30))
    assert settle(watcher, clock) == ["cleaned"]
    told = {p.name: p.read_bytes() for p in out.iterdir() if not p.name.startswith(".")}
    assert sorted(told) == (["long-p001.png", "long-p002.png"] if fmt == "png" else ["long.pdf"])

    real = docclean.filerun.clean_page

    def terminated_at_page_4(page, *args, **kwargs):  # type: ignore[no-untyped-def]
        if page.index == 3:
            raise Terminated("terminated (SIGTERM)")
        return real(page, *args, **kwargs)

    monkeypatch.setattr(docclean.filerun, "clean_page", terminated_at_page_4)
    time.sleep(0.01)
    (inbox / "long.tif").write_bytes(tiff_bytes(4, seed=40))  # a new, longer scan of that name
    watcher.poll_once()
    clock.now += 3
    with pytest.raises(Terminated):
        watcher.poll_once()
    left = sorted(p.name for p in out.iterdir() if p.name not in (LEDGER_NAME, ".docclean-watch.lock"))
    assert left == sorted(told)  # no long-p003.png, no .long.pdf.docclean-pages/
    assert {name: (out / name).read_bytes() for name in left} == told  # pages 1-2 not the new scan's
    monkeypatch.setattr(docclean.filerun, "clean_page", real)
    restarted = Watcher(inbox, out, settings, settle=2.0, clock=clock)
    [again] = settled(restarted, clock)
    assert again.status == "cleaned" and again.pages == 4


@pytest.mark.parametrize("moved", [False, True])
def test_a_stop_after_the_clean_but_before_the_record_or_the_move_undoes_it(folders, tiny_model_path,  # type: ignore[no-untyped-def]
                                                                           monkeypatch, moved):
    """SIGTERM once the scan was cleaned but before it was recorded (inputs left in IN) or moved to
    done/: its pages stayed in OUT, unrecorded (scan-p003.png, pages 1-2 over the earlier scan's),
    till the next start cleaned it again. The scan stays in IN and OUT is as the record says."""
    import docclean.watchscan

    inbox, out = folders
    clock = Clock()
    watcher = make(inbox, out, tiny_model_path, clock, fmt="png", **moved_aside(inbox, moved))
    (inbox / "scan.tif").write_bytes(tiff_bytes(2, seed=90))
    assert settle(watcher, clock) == ["cleaned"]
    told = out_files(out)
    if moved:
        monkeypatch.setattr(docclean.watchscan, "move_aside", sigterm)
    else:
        monkeypatch.setattr(Ledger, "record", sigterm)
    time.sleep(0.01)
    (inbox / "scan.tif").write_bytes(tiff_bytes(3, seed=95))
    stopped_when_settled(watcher, clock)
    assert out_files(out) == told and (inbox / "scan.tif").exists()
    assert watcher.in_hand == inbox / "scan.tif"  # named as dropped by `docclean watch`
    monkeypatch.undo()
    restarted = make(inbox, out, tiny_model_path, clock, fmt="png", **moved_aside(inbox, moved))
    [again] = settled(restarted, clock)
    assert again.status == "cleaned" and again.pages == 3
    assert sorted(out_files(out)) == ["scan-p001.png", "scan-p002.png", "scan-p003.png"]


def test_a_watcher_killed_after_a_re_drop_went_through_never_brings_the_older_pages_back(  # type: ignore[no-untyped-def]
        folders, tiny_model_path, monkeypatch):
    """kill -9 after a good re-drop was recorded but before its copies of the scan before it were
    deleted: the next try of that name put those back over the recorded pages (a tester's B1)."""
    from docclean.watchattempt import Attempt

    inbox, out = folders
    clock = Clock()
    watcher = make(inbox, out, tiny_model_path, clock, fmt="png")
    (inbox / "scan.tif").write_bytes(tiff_bytes(5, seed=100))
    assert settle(watcher, clock) == ["cleaned"]
    monkeypatch.setattr(Attempt, "finish", lambda self: None)  # killed outright right after the record
    time.sleep(0.01)
    (inbox / "scan.tif").write_bytes(tiff_bytes(2, seed=110))
    assert settle(watcher, clock) == ["cleaned"]
    recorded = out_files(out)
    assert sorted(name for name in recorded if not name.startswith(".")) == ["scan-p001.png", "scan-p002.png"]
    monkeypatch.undo()
    restarted = make(inbox, out, tiny_model_path, clock, fmt="png")
    time.sleep(0.01)
    (inbox / "scan.tif").write_bytes(bad_page_tiff(4, 2, seed=120))
    [failed] = settled(restarted, clock)
    assert failed.status == "failed"
    assert out_files(out) == {k: v for k, v in recorded.items() if not k.startswith(".")}  # the 2 recorded pages


def test_a_stop_while_the_record_is_written_undoes_the_try(folders, tiny_model_path,  # type: ignore[no-untyped-def]
                                                          monkeypatch):
    """SIGTERM inside the record's write: the record in memory said the scan was handled, so the
    try was not undone and OUT held the new pages under the old record (a tester's B2)."""

    inbox, out = folders
    clock = Clock()
    watcher = make(inbox, out, tiny_model_path, clock, fmt="png")
    (inbox / "scan.tif").write_bytes(tiff_bytes(2, seed=130))
    assert settle(watcher, clock) == ["cleaned"]
    told = out_files(out)
    monkeypatch.setattr(Ledger, "_save", sigterm)
    time.sleep(0.01)
    (inbox / "scan.tif").write_bytes(tiff_bytes(3, seed=140))
    stopped_when_settled(watcher, clock)
    assert out_files(out) == told and watcher.in_hand == inbox / "scan.tif"


def test_a_stop_after_the_scan_was_moved_does_not_call_it_dropped(folders, tiny_model_path,  # type: ignore[no-untyped-def]
                                                                  monkeypatch):
    """SIGTERM just after the move to done/: `docclean watch` said the scan "was dropped and will
    be taken again", and it stays in done/ with its outputs (a tester's B3)."""
    import docclean.watchscan

    inbox, out = folders
    clock = Clock()
    watcher = make(inbox, out, tiny_model_path, clock, **moved_aside(inbox, True))
    monkeypatch.setattr(docclean.watchscan, "move_aside", moved_then_stopped)
    (inbox / "scan.png").write_bytes(png_bytes(1))
    stopped_when_settled(watcher, clock)
    assert watcher.in_hand is None and not (inbox / "scan.png").exists()
    assert sorted(out_files(out)) == ["scan.png"]


@pytest.mark.parametrize("moved", [False, True])
@pytest.mark.parametrize("fmt", ["png", "pdf"])
def test_a_watcher_killed_mid_try_is_undone_at_the_next_start_though_the_scan_is_gone(  # type: ignore[no-untyped-def]
        folders, tiny_model_path, monkeypatch, fmt, moved):
    """kill -9 while page 4 of a re-dropped scan was cleaned: OUT held the new pages 1-3 (or the
    work folder of scan.pdf) and the earlier scan's outputs only in the hidden set-aside folder;
    they came back at the next try of that name, never when the scan had been taken out of IN
    meanwhile. The next start puts them back and removes what the killed try wrote, and says so."""
    import docclean.filerun
    from docclean.errors import Terminated
    from docclean.watchattempt import Attempt

    inbox, out = folders
    clock = Clock()
    watcher = make(inbox, out, tiny_model_path, clock, fmt=fmt, **moved_aside(inbox, moved))
    (inbox / "scan.tif").write_bytes(tiff_bytes(2, seed=150))
    assert settle(watcher, clock) == ["cleaned"]
    told = out_files(out)
    real = docclean.filerun.clean_page

    def killed_at_page_4(page, *args, **kwargs):  # type: ignore[no-untyped-def]
        if page.index == 3:
            raise Terminated("killed")
        return real(page, *args, **kwargs)

    monkeypatch.setattr(docclean.filerun, "clean_page", killed_at_page_4)
    monkeypatch.setattr(Attempt, "stopped", lambda self, path: True)  # killed outright: nothing is undone
    monkeypatch.setattr(Attempt, "finish", lambda self: None)
    time.sleep(0.01)
    (inbox / "scan.tif").write_bytes(tiff_bytes(4, seed=160))
    stopped_when_settled(watcher, clock)
    left = out_files(out)
    assert left != told and any(".docclean-earlier/" in name for name in left)  # as kill -9 leaves it
    monkeypatch.undo()
    (inbox / "scan.tif").unlink()  # the user took the scan away before the watcher was started again
    notices: list[str] = []
    restarted = make(inbox, out, tiny_model_path, clock, fmt=fmt, on_notice=notices.append,
                     **moved_aside(inbox, moved))
    assert restarted.poll_once() == []
    assert out_files(out) == told  # the earlier scan's outputs, nothing of the killed try
    [said] = notices
    assert f"cleaning {inbox / 'scan.tif'} was cut short" in said and "putting back" in said
    assert all(str(out / name) in said for name in told)
    if not moved:  # its outputs are there: the record keeps the earlier scan
        assert "scan.tif" in Ledger(out / LEDGER_NAME).entries


def test_set_aside_folders_left_by_a_killed_watcher_are_settled_at_start(folders, tiny_model_path):  # type: ignore[no-untyped-def]
    """Without its note (killed while the outputs were set aside, before anything was cleaned) a
    folder is only put back; a committed one (the try went through) is stale and goes, silently; a
    first try (nothing set aside) loses its page and the page it was writing (its writer is gone)."""
    inbox, out = folders
    (out / ".c.png.docclean-earlier").mkdir(parents=True)
    note = '{"key": "c.png", "target": "c.png", "kept": []}'  # a first try of c.png: nothing set aside
    (out / ".c.png.docclean-earlier" / ".docclean-try.json").write_text(note)
    (out / "c.png").write_bytes(b"the killed try's page")
    (out / ".c.png.docclean-4194999-0123abcd.part").write_bytes(b"half")  # no such pid: above pid_max
    (out / "sub").mkdir(parents=True)
    (out / "sub" / "a.png").write_bytes(b"a's earlier output")
    (out / "sub" / ".a.png.docclean-earlier").mkdir()
    os.link(out / "sub" / "a.png", out / "sub" / ".a.png.docclean-earlier" / "a.png")
    (out / "sub" / ".a.png.docclean-earlier" / "b.png").write_bytes(b"b's earlier output")  # b.png: written over
    (out / "b.png").write_bytes(b"b's recorded output")
    (out / ".b.png.docclean-earlier-committed").mkdir()
    (out / ".b.png.docclean-earlier-committed" / "b.png").write_bytes(b"stale")
    notices: list[str] = []
    watcher = make(inbox, out, tiny_model_path, Clock(), on_notice=notices.append)
    watcher.poll_once()
    assert out_files(out) == {"b.png": b"b's recorded output", "sub/a.png": b"a's earlier output",
                              "sub/b.png": b"b's earlier output"}
    assert len(notices) == 2 and "removing" in notices[0] and str(out / "c.png") in notices[0]
    assert "putting back" in notices[1] and str(out / "sub" / "b.png") in notices[1]
    watcher.poll_once()
    assert len(notices) == 2  # at start only


def test_a_full_disk_while_the_earlier_outputs_are_set_aside_stops_before_the_try_begins(  # type: ignore[no-untyped-def]
        folders, tiny_model_path, monkeypatch):
    """ENOSPC linking and copying page 2 of the earlier scan: the try went on without a copy of it,
    and a failed or stopped try could not put it back. Now the watcher stops with one line naming
    the file and the reason, OUT exactly as it was (nothing half set aside) and the scan in IN."""
    import errno
    import shutil

    from docclean.errors import DiskFullError

    inbox, out = folders
    clock = Clock()
    watcher = make(inbox, out, tiny_model_path, clock, fmt="png")
    (inbox / "scan.tif").write_bytes(tiff_bytes(2, seed=170))
    assert settle(watcher, clock) == ["cleaned"]
    told, entry = out_files(out), Ledger(out / LEDGER_NAME).entries["scan.tif"]
    real_link, real_copy = os.link, shutil.copy2

    def full(real):  # type: ignore[no-untyped-def]
        def call(src, dst, *args, **kwargs):  # type: ignore[no-untyped-def]
            if Path(src).name == "scan-p002.png":
                raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(dst))
            return real(src, dst, *args, **kwargs)
        return call

    monkeypatch.setattr(os, "link", full(real_link))
    monkeypatch.setattr(shutil, "copy2", full(real_copy))
    time.sleep(0.01)
    (inbox / "scan.tif").write_bytes(tiff_bytes(3, seed=180))
    watcher.poll_once()
    clock.now += 3
    with pytest.raises(DiskFullError) as raised:
        watcher.poll_once()
    assert raised.value.path == out / "scan-p002.png" and "No space left on device" in str(raised.value)
    assert "\n" not in str(raised.value) and watcher.in_hand is None  # the output's fault: not dropped
    assert out_files(out) == told  # no .scan.png.docclean-earlier/, no new page
    assert (inbox / "scan.tif").exists() and Ledger(out / LEDGER_NAME).entries["scan.tif"] == entry
    monkeypatch.undo()
    restarted = make(inbox, out, tiny_model_path, clock, fmt="png")
    [again] = settled(restarted, clock)
    assert again.status == "cleaned" and again.pages == 3


def test_a_stop_right_after_a_move_under_another_name_keeps_the_name_it_had_in_the_inbox(  # type: ignore[no-untyped-def]
        folders, tiny_model_path, monkeypatch):
    """SIGTERM after scan.png was moved to done/scan-1.png (done/scan.png was taken) but before the
    record noted its name in IN: after a restart it was judged as scan-1.png, and once done/scan.png
    was tidied away a scan.tif replaced OUT/scan.pdf, the cleaned pages of done/scan-1.png. The
    name is noted before the move now."""
    import docclean.watchscan

    inbox, out = folders
    clock = Clock()
    watcher = make(inbox, out, tiny_model_path, clock, fmt="pdf", **moved_aside(inbox, True))
    done = inbox.parent / "done"
    (inbox / "scan.png").write_bytes(png_bytes(1))
    assert settle(watcher, clock) == ["cleaned"]
    (inbox / "scan.png").write_bytes(png_bytes(2))  # a new scan of that name
    monkeypatch.setattr(docclean.watchscan, "move_aside", moved_then_stopped)
    stopped_when_settled(watcher, clock)
    assert sorted(p.name for p in done.iterdir()) == ["scan-1.png", "scan.png"]
    monkeypatch.undo()
    pages = (out / "scan.pdf").read_bytes()
    (done / "scan.png").unlink()  # the older original tidied away
    restarted = make(inbox, out, tiny_model_path, clock, fmt="pdf", **moved_aside(inbox, True))
    Image.fromarray(np.zeros((40, 32), np.uint8)).save(inbox / "scan.tif")  # same name, another type
    [later] = settled(restarted, clock)
    assert later.status == "failed" and "scan-1.png" in later.error
    assert (out / "scan.pdf").read_bytes() == pages


def test_a_killed_watcher_s_temporary_record_and_old_write_probes_go_at_the_next_start(folders, tiny_model_path):  # type: ignore[no-untyped-def]
    # kill -9 while the record was rewritten, or while OUT was probed, left these in OUT for good.
    inbox, out = folders
    out.mkdir(parents=True, exist_ok=True)
    temp = out / f".{LEDGER_NAME}.a1b2c3d4.tmp"
    old_probe, new_probe = out / ".docclean-probe-abcd1234", out / ".docclean-probe-wxyz9876"
    mine = [out / ".docclean-probe-notes.txt", out / f".{LEDGER_NAME}.mine.tmp", out / "scan.tmp"]
    for path in (temp, old_probe, new_probe, *mine):
        path.write_bytes(b"left")
    os.utime(old_probe, (time.time() - 3600, time.time() - 3600))
    watcher = make(inbox, out, tiny_model_path, Clock())
    watcher.poll_once()
    assert not temp.exists() and not old_probe.exists()
    assert new_probe.exists() and all(p.exists() for p in mine)  # a starting watcher's probe; a user's files
