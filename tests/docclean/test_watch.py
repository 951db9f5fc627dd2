"""The hot-folder watcher, driven step by step with a fake clock: a file written in chunks is taken
once and only when complete; a restart does not redo files; bad files go to failed/ with their
reason; files in done/ inside the inbox are not taken again; network mounts are polled."""

from __future__ import annotations

import io
import os
import re
import threading
import time
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from docclean.settings import CleanSettings
from docclean.watch import LEDGER_NAME, Ledger, Watcher
from docclean.watchfs import filesystem_type, polling_reason
from docclean.watchrecord import WatchOutcome


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def png_bytes(seed: int = 0, size: tuple[int, int] = (48, 40)) -> bytes:
    rng = np.random.default_rng(seed)
    buf = io.BytesIO()
    Image.fromarray(rng.integers(0, 256, size, dtype=np.uint8)).save(buf, format="PNG")
    return buf.getvalue()


@pytest.fixture
def folders(tmp_path: Path) -> tuple[Path, Path]:
    inbox, out = tmp_path / "in", tmp_path / "out"
    inbox.mkdir()
    return inbox, out


def make(inbox: Path, out: Path, model: Path, clock: Clock, fmt: str | None = None,  # type: ignore[no-untyped-def]
         **kw) -> Watcher:
    settings = CleanSettings(model=str(model), device="cpu", threads=1, fmt=fmt)
    return Watcher(inbox, out, settings, settle=2.0, clock=clock, **kw)


def moved_aside(inbox: Path, moved: bool) -> dict[str, Path | None]:
    """``done`` and ``failed`` folders beside the inbox when ``moved``, else none (inputs stay)."""
    return {"done": inbox.parent / "done" if moved else None, "failed": inbox.parent / "failed" if moved else None}


def settled(watcher: Watcher, clock: Clock) -> list[WatchOutcome]:
    """What the watcher handles once the files it sees have settled (2 s)."""
    watcher.poll_once()
    clock.now += 3
    return watcher.poll_once()


def settle(watcher: Watcher, clock: Clock) -> list[str]:
    """The statuses of :func:`settled`'s outcomes."""
    return [o.status for o in settled(watcher, clock)]


def test_file_written_in_chunks_is_taken_once_when_complete(folders, tiny_model_path):  # type: ignore[no-untyped-def]
    inbox, out = folders
    clock = Clock()
    watcher = make(inbox, out, tiny_model_path, clock)
    (inbox / "scan.png").touch()  # created empty: the scanner has not begun writing
    watcher.poll_once()
    clock.now += 10
    assert watcher.poll_once() == []  # an empty file is never taken, however long it stays so
    data = png_bytes()
    chunks = [data[i:i + 200] for i in range(0, len(data), 200)]
    assert len(chunks) >= 4
    with (inbox / "scan.png").open("wb") as fh:
        for chunk in chunks:
            fh.write(chunk)
            fh.flush()
            assert watcher.poll_once() == []  # still growing: never taken
            clock.now += 1.5  # less than the settle time between chunks
    assert watcher.poll_once() == []  # complete, but not yet stable for 2 s since first seen so
    clock.now += 2.5
    outcomes = watcher.poll_once()
    assert [o.status for o in outcomes] == ["cleaned"]
    assert outcomes[0].targets == [out / "scan.png"] and outcomes[0].pages == 1
    assert "(1 page," in outcomes[0].summary()
    assert Image.open(out / "scan.png").size == (40, 48)
    clock.now += 10
    assert watcher.poll_once() == []  # once only
    assert "scan.png" in Ledger(out / LEDGER_NAME).entries


def test_restart_does_not_redo_files_but_redoes_a_replaced_one(folders, tiny_model_path):  # type: ignore[no-untyped-def]
    inbox, out = folders
    (inbox / "sub").mkdir()
    (inbox / "sub" / "a.png").write_bytes(png_bytes(1))
    clock = Clock()
    first = make(inbox, out, tiny_model_path, clock)
    first.poll_once()
    clock.now += 3
    assert [o.source.name for o in first.poll_once()] == ["a.png"]
    assert (out / "sub" / "a.png").exists()
    mtime = (out / "sub" / "a.png").stat().st_mtime_ns

    second = make(inbox, out, tiny_model_path, clock)  # a restart: a fresh watcher, same folders
    for _ in range(3):
        assert second.poll_once() == []
        clock.now += 3
    assert (out / "sub" / "a.png").stat().st_mtime_ns == mtime

    (inbox / "sub" / "a.png").write_bytes(png_bytes(2, (40, 40)))  # a new scan under the same name
    assert settle(second, clock) == ["cleaned"]
    assert Image.open(out / "sub" / "a.png").size == (40, 40)


def test_done_and_failed_folders(folders, tiny_model_path, tmp_path):  # type: ignore[no-untyped-def]
    inbox, out = folders
    done, failed = inbox / "done", inbox / "failed"  # inside the inbox: must not be taken again
    (inbox / "good.png").write_bytes(png_bytes(3))
    (inbox / "bad.png").write_bytes(b"this is not an image at all")
    (inbox / ".hidden.png").write_bytes(png_bytes(4))
    (inbox / "notes.txt").write_text("not a scan")
    clock = Clock()
    lines: list[str] = []
    watcher = make(inbox, out, tiny_model_path, clock, done=done, failed=failed,
                   on_outcome=lambda o: lines.append(o.summary()))
    watcher.poll_once()
    clock.now += 3
    outcomes = {o.source.name: o for o in watcher.poll_once()}
    assert set(outcomes) == {"good.png", "bad.png"}
    assert outcomes["good.png"].status == "cleaned" and (done / "good.png").exists()
    assert outcomes["bad.png"].status == "failed" and (failed / "bad.png").exists()
    reason = (failed / "bad.png.error.txt").read_text()
    assert "bad.png" in reason and reason.count("\n") == 1
    assert not (inbox / "good.png").exists() and not (inbox / "bad.png").exists()
    assert (out / "good.png").exists() and not (out / "bad.png").exists()
    assert len(lines) == 2 and any(line.startswith("failed ") for line in lines)
    for _ in range(3):
        clock.now += 3
        assert watcher.poll_once() == []
    # The same name arriving again does not overwrite what is in done/.
    (inbox / "good.png").write_bytes(png_bytes(5))
    [again] = settled(watcher, clock)
    assert again.moved_to == done / "good-1.png"


def test_bad_file_without_failed_folder_is_recorded_not_retried(folders, tiny_model_path):  # type: ignore[no-untyped-def]
    inbox, out = folders
    (inbox / "bad.tif").write_bytes(b"II*\x00garbage")
    clock = Clock()
    watcher = make(inbox, out, tiny_model_path, clock)
    [outcome] = settled(watcher, clock)
    assert outcome.status == "failed" and "bad.tif" in (outcome.error or "")
    entry = Ledger(out / LEDGER_NAME).entries["bad.tif"]
    assert entry["status"] == "failed" and entry["error"]
    restarted = make(inbox, out, tiny_model_path, clock)
    restarted.poll_once()
    clock.now += 3
    assert restarted.poll_once() == []


def test_a_failed_file_is_tried_again_once_its_permissions_change(folders, tiny_model_path, monkeypatch):  # type: ignore[no-untyped-def]
    """chmod changes no size or mtime, only the inode's change time: a file that failed because it
    could not be read must be taken again once it can, without touching it (and after a restart)."""
    import docclean.io

    inbox, out = folders
    (inbox / "locked.png").write_bytes(png_bytes(3))
    clock = Clock()
    watcher = make(inbox, out, tiny_model_path, clock)
    real_preflight = docclean.io._preflight

    def unreadable(path):  # type: ignore[no-untyped-def]  # as root, chmod 000 does not stop a read
        raise docclean.io.InputError("permission denied", path)

    monkeypatch.setattr(docclean.io, "_preflight", unreadable)
    assert settle(watcher, clock) == ["failed"]
    clock.now += 3
    assert watcher.poll_once() == []  # not retried while nothing changed
    monkeypatch.setattr(docclean.io, "_preflight", real_preflight)
    os.chmod(inbox / "locked.png", 0o644)  # the fix a user makes: the change time moves
    restarted = make(inbox, out, tiny_model_path, clock)
    assert settle(restarted, clock) == ["cleaned"]
    assert (out / "locked.png").exists()


def test_input_that_cannot_be_moved_is_recorded(folders, tiny_model_path, tmp_path):  # type: ignore[no-untyped-def]
    inbox, out = folders
    blocked = tmp_path / "done"
    blocked.write_text("a file where the done folder should be")
    (inbox / "a.png").write_bytes(png_bytes(7))
    clock = Clock()
    watcher = make(inbox, out, tiny_model_path, clock, done=blocked)
    [outcome] = settled(watcher, clock)
    assert outcome.status == "cleaned" and "could not move" in outcome.summary()
    assert (inbox / "a.png").exists() and (out / "a.png").exists()
    clock.now += 3
    assert watcher.poll_once() == []  # recorded: not cleaned again


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


def test_output_folder_cannot_be_the_inbox(folders) -> None:  # type: ignore[no-untyped-def]
    from docclean.errors import DocCleanError

    inbox, _ = folders
    with pytest.raises(DocCleanError, match="input folder"):
        Watcher(inbox, inbox)


@pytest.mark.parametrize(("output", "done", "failed", "message"), [
    ("out", "out", None, "the done folder cannot be the output folder"),
    ("out", None, "out", "the failed folder cannot be the output folder"),
    ("out", "out/done", None, "the done folder cannot lie inside the output folder"),
    ("out", None, "out/sub/failed", "the failed folder cannot lie inside the output folder"),
    ("keep/out", "keep", None, "the done folder cannot contain the output folder"),
    ("keep/out", None, "keep", "the failed folder cannot contain the output folder"),
    ("box/in/out", "box/in/out", None, "the done folder cannot be the output folder"),
    ("box", None, None, "the output folder cannot contain the input folder"),
    ("out", "box", None, "the done folder cannot contain the input folder"),
    ("out", None, "box", "the failed folder cannot contain the input folder"),
    ("out", "link-to-out", None, "the done folder cannot be the output folder"),  # through a symlink
])
def test_folders_that_could_put_one_file_over_another_are_refused(tmp_path, output, done, failed, message):  # type: ignore[no-untyped-def]
    """The failed original moved to OUT/x.jpg was overwritten by a later x.jpg's output: refused at
    construction, before anything is created or moved."""
    from docclean.errors import UsageError

    (tmp_path / "box" / "in").mkdir(parents=True)
    (tmp_path / "out").mkdir()
    (tmp_path / "link-to-out").symlink_to(tmp_path / "out")
    with pytest.raises(UsageError, match=f"^{re.escape(str(tmp_path))}/.*: {message}$"):
        Watcher(tmp_path / "box" / "in", tmp_path / output, done=done and tmp_path / done,
                failed=failed and tmp_path / failed)
    assert not (tmp_path / "keep").exists() and not list((tmp_path / "out").iterdir())
    assert [p.name for p in (tmp_path / "box").iterdir()] == ["in"]


@pytest.mark.parametrize(("output", "done", "failed"), [
    ("out", "moved", "moved"),  # one folder for both: moves never replace, error notes are never inputs
    ("out", "moved", "moved/failed"),
    ("out", "moved/done", "moved"),
    ("box/in/out", "box/in/done", "box/in/failed"),  # inside the inbox: skipped by the walk
    ("box/out", "box/done", "box/failed"),  # beside the inbox
    ("out", None, None),
])
def test_folders_that_cannot_collide_are_accepted(tmp_path, output, done, failed) -> None:  # type: ignore[no-untyped-def]
    (tmp_path / "box" / "in").mkdir(parents=True)
    watcher = Watcher(tmp_path / "box" / "in", tmp_path / output, done=done and tmp_path / done,
                      failed=failed and tmp_path / failed)
    assert watcher.output == tmp_path / output


def test_done_and_failed_in_one_folder_keep_every_original(folders, tiny_model_path, tmp_path):  # type: ignore[no-untyped-def]
    inbox, out = folders
    moved = tmp_path / "moved"
    clock = Clock()
    watcher = make(inbox, out, tiny_model_path, clock, done=moved, failed=moved)
    for data in (b"not an image", png_bytes(1), b"still not an image"):
        (inbox / "x.png").write_bytes(data)
        [outcome] = settled(watcher, clock)
        assert outcome.moved_to is not None and outcome.moved_to.read_bytes() == data
    assert sorted(p.name for p in moved.iterdir()) == ["x-1.png", "x-2.png", "x-2.png.error.txt", "x.png",
                                                      "x.png.error.txt"]


def test_a_page_that_lost_its_ink_carries_the_warning(folders, tmp_path):  # type: ignore[no-untyped-def]
    import torch

    from docclean.checkpoint import save_model
    from docclean.model import DocUNet, DocUNetConfig

    net = DocUNet(DocUNetConfig(unshuffle=2, widths=[4, 8], blocks=[1, 1]))
    with torch.no_grad():
        net.head.bias.fill_(1.0)  # paints every pixel white: the strokes are gone
    eraser = save_model(net, tmp_path / "eraser.safetensors", "docunet", net.config.to_dict(), {})
    inbox, out = folders
    page = np.full((48, 40), 220, np.uint8)
    page[10:40:6, 5:35] = 30  # lines of dark "text"
    Image.fromarray(page).save(inbox / "letter.png")
    clock = Clock()
    watcher = make(inbox, out, eraser, clock)
    watcher.poll_once()
    clock.now += 3
    outcome, = watcher.poll_once()
    assert outcome.status == "cleaned"
    assert outcome.warnings == ["page 1: cleaning removed 100% of the dark strokes; check this page"]


def test_an_input_folder_that_goes_away_forgets_nothing(folders, tiny_model_path):  # type: ignore[no-untyped-def]
    inbox, out = folders
    (inbox / "a.png").write_bytes(png_bytes(1))
    clock = Clock()
    notices: list[str] = []
    watcher = make(inbox, out, tiny_model_path, clock, on_notice=notices.append)
    assert settle(watcher, clock) == ["cleaned"]
    inbox.rename(inbox.with_name("away"))  # a share unmounted, a folder renamed for a moment
    assert watcher.poll_once() == [] and "cannot list the input folder" in notices[0]
    assert "a.png" in Ledger(out / LEDGER_NAME).entries  # not forgotten
    inbox.with_name("away").rename(inbox)
    for _ in range(3):
        clock.now += 3
        assert watcher.poll_once() == []  # not cleaned again
    assert notices[-1].endswith("the input folder is back")


def test_an_output_the_watcher_cannot_write_is_refused_at_start(folders, tiny_model_path, tmp_path):  # type: ignore[no-untyped-def]
    import os

    from docclean.errors import OutputError, UsageError

    inbox, out = folders
    (tmp_path / "a-file").write_text("not a folder")
    with pytest.raises(UsageError, match="not a folder"):
        make(inbox, tmp_path / "a-file", tiny_model_path, Clock())
    out.mkdir()
    os.chmod(out, 0o555)
    try:
        if os.access(out, os.W_OK):
            pytest.skip("running as a user who can write anywhere")
        with pytest.raises(OutputError, match="cannot write in the output folder"):
            make(inbox, out, tiny_model_path, Clock())
    finally:
        os.chmod(out, 0o755)


@pytest.mark.parametrize("where", ["lock", "page"])
def test_an_output_error_leaves_the_scan_in_place_and_stops(folders, tiny_model_path, tmp_path, monkeypatch,  # type: ignore[no-untyped-def]
                                                           where):
    import errno

    import docclean.batch
    from docclean import io as pageio
    from docclean.errors import DiskFullError
    from docclean.writer import _output_error

    inbox, out = folders
    (inbox / "a.png").write_bytes(png_bytes(1))
    clock = Clock()
    watcher = make(inbox, out, tiny_model_path, clock, done=tmp_path / "done", failed=tmp_path / "failed")

    def full(*args, **kwargs):  # type: ignore[no-untyped-def] - before any work (taking the output's lock)
        raise DiskFullError("No space left on device", out)

    def page_full(self, pixels, dpi):  # type: ignore[no-untyped-def] - while its page is written
        raise _output_error("cannot write page 1", OSError(errno.ENOSPC, "No space left on device"), self.path)

    if where == "lock":
        monkeypatch.setattr(docclean.batch, "clean_batch", full)
    else:
        monkeypatch.setattr(pageio.PageWriter, "add", page_full)
    watcher.poll_once()
    clock.now += 3
    with pytest.raises(DiskFullError, match="No space left on device"):
        watcher.poll_once()
    assert (inbox / "a.png").exists() and not (tmp_path / "failed").exists()  # not blamed on the scan
    assert "a.png" not in Ledger(out / LEDGER_NAME).entries


def test_a_network_mount_with_a_non_ascii_name_is_found(tmp_path):  # type: ignore[no-untyped-def]
    mounts = tmp_path / "mounts"
    mounts.write_text("/dev/sda1 / ext4 rw 0 0\nsrv:/x /mnt/scans\\040\u00e9t\u00e9 nfs4 rw 0 0\n", encoding="utf-8")
    assert filesystem_type("/mnt/scans \u00e9t\u00e9/in", mounts) == "nfs4"


@pytest.mark.parametrize("moved", [False, True])
def test_a_rearrived_scan_with_fewer_pages_leaves_no_stale_page(folders, tiny_model_path, moved):  # type: ignore[no-untyped-def]
    inbox, out = folders

    def tiff(pages: int) -> None:
        frames = [Image.fromarray(np.random.default_rng(i).integers(0, 256, (40, 32), dtype=np.uint8))
                  for i in range(pages)]
        frames[0].save(inbox / "scan.tif", save_all=True, append_images=frames[1:])

    clock = Clock()
    settings = CleanSettings(model=str(tiny_model_path), device="cpu", threads=1, fmt="png")
    # Moved to done/, the earlier scan leaves no record: its pages in OUT stayed beside the new ones.
    watcher = Watcher(inbox, out, settings, settle=2.0, clock=clock, **moved_aside(inbox, moved))
    tiff(3)
    assert settle(watcher, clock) == ["cleaned"]
    assert sorted(p.name for p in out.glob("scan*.png")) == ["scan-p001.png", "scan-p002.png", "scan-p003.png"]
    time.sleep(0.01)
    tiff(2)  # a new scan of the same name, one page shorter
    assert settle(watcher, clock) == ["cleaned"]
    assert sorted(p.name for p in out.glob("scan*.png")) == ["scan-p001.png", "scan-p002.png"]
    time.sleep(0.01)
    tiff(1)  # one page: written as scan.png, not as page files
    assert settle(watcher, clock) == ["cleaned"]
    assert sorted(p.name for p in out.glob("scan*.png")) == ["scan.png"]


@pytest.mark.parametrize("moved", [False, True])
def test_two_scans_that_map_to_one_output_never_overwrite_each_other(folders, tiny_model_path, moved):  # type: ignore[no-untyped-def]
    inbox, out = folders
    clock = Clock()
    watcher = make(inbox, out, tiny_model_path, clock, fmt="pdf", **moved_aside(inbox, moved))
    (inbox / "scan.png").write_bytes(png_bytes(1))
    assert settle(watcher, clock) == ["cleaned"]
    first = (out / "scan.pdf").read_bytes()
    Image.fromarray(np.zeros((40, 32), np.uint8)).save(inbox / "scan.tif")  # same name, another type
    [second] = settled(watcher, clock)
    assert second.status == "failed" and "scan.png" in second.error and "rename" in second.error
    assert (out / "scan.pdf").read_bytes() == first  # the first scan's cleaned pages are kept
    if moved:
        failed = inbox.parent / "failed"
        assert (failed / "scan.tif").exists() and "scan.png" in (failed / "scan.tif.error.txt").read_text()
    else:
        clock.now += 3
        assert watcher.poll_once() == []  # recorded: not retried until it changes
    (inbox / "scan.png").write_bytes(png_bytes(2, (40, 40)))  # a new scan of the first name still replaces its own
    assert settle(watcher, clock) == ["cleaned"]
    assert (out / "scan.pdf").read_bytes() != first


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


def test_an_output_whose_input_was_deleted_is_not_replaced_by_a_namesake(folders, tiny_model_path):  # type: ignore[no-untyped-def]
    inbox, out = folders
    settings = CleanSettings(model=str(tiny_model_path), device="cpu", threads=1, fmt="pdf")
    clock = Clock()
    watcher = Watcher(inbox, out, settings, settle=2.0, clock=clock)
    (inbox / "scan.png").write_bytes(png_bytes(1))
    assert settle(watcher, clock) == ["cleaned"]
    first = (out / "scan.pdf").read_bytes()
    (inbox / "scan.png").unlink()  # the scan is gone; its cleaned pages may be the only copy now
    watcher.poll_once()
    Image.fromarray(np.zeros((40, 32), np.uint8)).save(inbox / "scan.tif")
    [later] = settled(watcher, clock)
    assert later.status == "failed" and (out / "scan.pdf").read_bytes() == first
    (out / "scan.pdf").unlink()  # once its output is gone too, the record forgets the old scan
    watcher.poll_once()
    assert "scan.png" not in Ledger(out / LEDGER_NAME).entries


def tiff_bytes(pages: int, seed: int = 0) -> bytes:
    frames = [Image.fromarray(np.random.default_rng(seed + i).integers(0, 256, (40, 32), dtype=np.uint8))
              for i in range(pages)]
    buf = io.BytesIO()
    frames[0].save(buf, format="TIFF", save_all=True, append_images=frames[1:])
    return buf.getvalue()


def test_a_scan_replaced_while_it_is_cleaned_leaves_no_page_of_the_dropped_attempt(folders, tiny_model_path,
                                                                                   monkeypatch):  # type: ignore[no-untyped-def]
    import docclean.batch

    inbox, out = folders
    real = docclean.batch.clean_batch
    calls: list[int] = []

    def replaced_midway(*args, **kwargs):  # type: ignore[no-untyped-def]
        report = real(*args, **kwargs)
        if not calls:  # the scanner writes a new, shorter scan over it while it is being cleaned
            (inbox / "rep.tif").write_bytes(tiff_bytes(3, seed=50))
        calls.append(1)
        return report

    monkeypatch.setattr(docclean.batch, "clean_batch", replaced_midway)
    settings = CleanSettings(model=str(tiny_model_path), device="cpu", threads=1, fmt="png")
    clock = Clock()
    watcher = Watcher(inbox, out, settings, settle=2.0, clock=clock)
    (inbox / "other.png").write_bytes(png_bytes(1))
    assert settle(watcher, clock) == ["cleaned"]
    calls.append(1)  # other.png's clean did not replace anything
    calls.clear()
    (inbox / "rep.tif").write_bytes(tiff_bytes(7))
    watcher.poll_once()
    clock.now += 3
    assert watcher.poll_once() == []  # it changed while being cleaned: dropped
    assert sorted(p.name for p in out.glob("rep*")) == []  # and what the dropped attempt wrote is gone
    assert (out / "other.png").exists()
    assert watcher.poll_once() == []  # seen afresh: taken again once it has settled
    clock.now += 3
    assert [o.status for o in watcher.poll_once()] == ["cleaned"]
    pages = ["rep-p001.png", "rep-p002.png", "rep-p003.png"]
    assert sorted(p.name for p in out.glob("rep*")) == pages
    entry = Ledger(out / LEDGER_NAME).entries["rep.tif"]
    assert sorted(Path(t).name for t in entry["targets"]) == pages


def test_outputs_of_a_scan_are_removed_only_where_no_other_input_owns_them(folders, tiny_model_path):  # type: ignore[no-untyped-def]
    inbox, out = folders
    settings = CleanSettings(model=str(tiny_model_path), device="cpu", threads=1, fmt="png")
    clock = Clock()
    watcher = Watcher(inbox, out, settings, settle=2.0, clock=clock)
    (inbox / "scan.tif").write_bytes(tiff_bytes(3))
    assert settle(watcher, clock) == ["cleaned"]
    (inbox / "scan.tif").unlink()  # its pages stay its own while they are there
    (out / "scan-p003.png").unlink()  # but page 3 was taken away: the name is free
    (inbox / "scan-p003.png").write_bytes(png_bytes(3))
    assert settle(watcher, clock) == ["cleaned"]
    mine = (out / "scan-p003.png").read_bytes()
    (inbox / "scan.tif").write_bytes(tiff_bytes(2, seed=20))  # scan.tif again: its old pages go, not scan-p003.png's
    [again] = settled(watcher, clock)
    assert again.status == "failed" and "scan-p003.png" in again.error
    assert (out / "scan-p003.png").read_bytes() == mine


def test_an_unreadable_subfolder_is_skipped_and_the_rest_goes_on(folders, tiny_model_path, monkeypatch):  # type: ignore[no-untyped-def]
    import os

    inbox, out = folders
    (inbox / "locked").mkdir()
    (inbox / "locked" / "old.png").write_bytes(png_bytes(1))
    clock = Clock()
    notices: list[str] = []
    watcher = make(inbox, out, tiny_model_path, clock, on_notice=notices.append)
    watcher.poll_once()
    clock.now += 3
    assert [o.source.name for o in watcher.poll_once()] == ["old.png"]
    (out / "locked" / "old.png").unlink()  # its cleaned page taken away: only the record remembers it
    real_scandir = os.scandir
    locked = {str(inbox / "locked")}

    def scandir(path="."):  # type: ignore[no-untyped-def]
        if os.fspath(path) in locked:
            raise PermissionError(13, "Permission denied", os.fspath(path))
        return real_scandir(path)

    monkeypatch.setattr(os, "scandir", scandir)
    (inbox / "new.png").write_bytes(png_bytes(2))
    watcher.poll_once()
    clock.now += 3
    assert [o.source.name for o in watcher.poll_once()] == ["new.png"]  # the rest of IN goes on
    for _ in range(3):
        clock.now += 3
        assert watcher.poll_once() == []
    assert notices == [f"{inbox / 'locked'}: cannot list this folder (Permission denied); skipping it till it can be"]
    assert "locked/old.png" in Ledger(out / LEDGER_NAME).entries  # not forgotten
    locked.clear()
    for _ in range(3):
        clock.now += 3
        assert watcher.poll_once() == []  # not cleaned again
    assert notices[1:] == [f"{inbox / 'locked'}: the folder can be listed again"]
    locked.add(str(inbox / "locked"))
    watcher.poll_once()
    watcher.poll_once()
    assert len(notices) == 3 and "cannot list this folder" in notices[2]


@pytest.mark.parametrize("moved", [False, True])
def test_a_scan_named_like_a_page_output_never_replaces_that_page(folders, tiny_model_path, moved):  # type: ignore[no-untyped-def]
    inbox, out = folders
    clock = Clock()
    watcher = make(inbox, out, tiny_model_path, clock, fmt="png", **moved_aside(inbox, moved))
    (inbox / "scan.tif").write_bytes(tiff_bytes(3))
    assert settle(watcher, clock) == ["cleaned"]
    page2 = (out / "scan-p002.png").read_bytes()
    (inbox / "scan-p002.png").write_bytes(png_bytes(9))  # its output would be page 2 of scan.tif
    [later] = settled(watcher, clock)
    assert later.status == "failed" and "scan.tif" in later.error and "rename" in later.error
    assert (out / "scan-p002.png").read_bytes() == page2
    # The other way round: a single page first, then a multi-page scan whose pages would replace it.
    (inbox / "memo-p001.png").write_bytes(png_bytes(10))
    assert settle(watcher, clock) == ["cleaned"]
    page = (out / "memo-p001.png").read_bytes()
    (inbox / "memo.tif").write_bytes(tiff_bytes(2))
    [later] = settled(watcher, clock)
    assert later.status == "failed" and "memo-p001.png" in later.error
    assert (out / "memo-p001.png").read_bytes() == page
    # A one-page scan never writes page files: another input's note-p001.png is no reason to refuse note.png.
    (inbox / "note-p001.png").write_bytes(png_bytes(11))
    assert settle(watcher, clock) == ["cleaned"]
    kept = (out / "note-p001.png").read_bytes()
    (inbox / "note.png").write_bytes(png_bytes(12))
    assert settle(watcher, clock) == ["cleaned"]
    assert (out / "note.png").exists() and (out / "note-p001.png").read_bytes() == kept


def test_a_scan_waits_while_another_run_writes_to_the_output(folders, tiny_model_path):  # type: ignore[no-untyped-def]
    """`docclean clean ... -o OUT` while the hot folder writes into OUT/sub: the scan waits in IN
    (said once) and goes through once that run is done; the watcher goes on."""
    from docclean.outputs import output_lock

    inbox, out = folders
    notices: list[str] = []
    clock = Clock()
    watcher = make(inbox, out, tiny_model_path, clock, on_notice=notices.append)
    (inbox / "sub").mkdir()
    (inbox / "sub" / "a.png").write_bytes(png_bytes(1))
    with output_lock(out, within=[out]):
        assert settle(watcher, clock) == [] and settle(watcher, clock) == []
    assert len(notices) == 1 and "which holds this output folder" in notices[0]
    assert notices[0].endswith(f"{inbox / 'sub' / 'a.png'} waits until it is done")
    assert (inbox / "sub" / "a.png").exists() and not (out / "sub" / "a.png").exists()
    assert settle(watcher, clock) == ["cleaned"] and (out / "sub" / "a.png").exists()


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


def test_a_scan_waiting_for_another_run_leaves_that_runs_pages_alone(folders, tiny_model_path, monkeypatch):  # type: ignore[no-untyped-def]
    """What a scan cut short wrote goes (above), but a scan that waits for another run holding
    OUT wrote nothing: the work folder of that name is the other run's."""
    import docclean.batch
    from docclean.outputs import OutputBusy

    inbox, out = folders
    pages = out / ".long.pdf.docclean-pages"

    def another_run_holds_out(*args, **kwargs):  # type: ignore[no-untyped-def]
        pages.mkdir(parents=True, exist_ok=True)  # `docclean clean -o OUT` is half-way through long.tif
        (pages / "p0001.png").write_bytes(png_bytes(1))
        raise OutputBusy("another docclean run is writing to this output folder", out)

    monkeypatch.setattr(docclean.batch, "clean_batch", another_run_holds_out)
    clock = Clock()
    watcher = make(inbox, out, tiny_model_path, clock, fmt="pdf")
    (inbox / "long.tif").write_bytes(tiff_bytes(3))
    assert settle(watcher, clock) == []
    assert (pages / "p0001.png").exists()


def test_binarized_pages_into_jpeg_are_said_once_a_watch(folders, tiny_model_path):  # type: ignore[no-untyped-def]
    from docclean.progress import BINARIZED_JPEG

    inbox, out = folders
    notices: list[str] = []
    clock = Clock()
    settings = CleanSettings(model=str(tiny_model_path), device="cpu", threads=1, binarize=True)
    watcher = Watcher(inbox, out, settings, settle=2.0, clock=clock, on_notice=notices.append)
    for name in ("a.jpg", "b.png", "c.jpg"):
        Image.fromarray(np.full((40, 32), 200, np.uint8)).save(inbox / name)
    watcher.poll_once()
    clock.now += 3
    assert [o.status for o in watcher.poll_once()] == ["cleaned"] * 3
    assert notices == [BINARIZED_JPEG]  # once, though two scans went into JPEG


def bad_page_tiff(pages: int, bad: int, seed: int = 0) -> bytes:
    """A TIFF of ``pages`` pages whose page ``bad`` (0-based) cannot be decoded: its deflated strip
    overwritten with bytes that are no zlib stream. Pillow reads the pages before it, then raises."""
    frames = [Image.fromarray(np.random.default_rng(seed + i).integers(0, 256, (40, 32), dtype=np.uint8))
              for i in range(pages)]
    buf = io.BytesIO()
    frames[0].save(buf, format="TIFF", save_all=True, append_images=frames[1:], compression="tiff_deflate")
    data = bytearray(buf.getvalue())
    with Image.open(io.BytesIO(bytes(data))) as im:
        im.seek(bad)
        offset, length = im.tag_v2[273][0], im.tag_v2[279][0]  # StripOffsets, StripByteCounts
    data[offset:offset + length] = b"\xff" * length
    return bytes(data)


def out_files(out: Path) -> dict[str, bytes]:
    """What OUT holds besides the watcher's record and lock, hidden work folders included."""
    return {p.relative_to(out).as_posix(): p.read_bytes() for p in sorted(out.rglob("*"))
            if p.is_file() and p.name not in (LEDGER_NAME, ".docclean-watch.lock")}


@pytest.mark.parametrize("moved", [False, True])
@pytest.mark.parametrize("fmt", ["png", "pdf"])
def test_a_multi_page_scan_that_fails_on_a_bad_page_leaves_no_page_of_its_own(folders, tiny_model_path,  # type: ignore[no-untyped-def]
                                                                               fmt, moved):
    """A corrupt page 3 of 5: pages 1-2 were left in OUT as page files (``--format png``, those of
    an earlier scan of that name overwritten) or in the work folder of ``scan.pdf``, recorded
    nowhere (moved to failed/) or as the failed scan's, while an earlier scan's ``scan.pdf`` was
    deleted. The failed scan goes to failed/ to be fixed and dropped again: it leaves nothing of
    its own, and the earlier scan's outputs stay as they were, still that scan's."""
    inbox, out = folders
    clock = Clock()
    watcher = make(inbox, out, tiny_model_path, clock, fmt=fmt, **moved_aside(inbox, moved))
    (inbox / "fresh.tif").write_bytes(bad_page_tiff(5, 2))
    [failed] = settled(watcher, clock)
    assert failed.status == "failed" and "page 3" in failed.error and failed.targets == []
    assert out_files(out) == {} and "stays" not in failed.summary()

    (inbox / "scan.tif").write_bytes(tiff_bytes(2, seed=60))
    assert settle(watcher, clock) == ["cleaned"]
    told = out_files(out)
    assert sorted(told) == (["scan-p001.png", "scan-p002.png"] if fmt == "png" else ["scan.pdf"])
    time.sleep(0.01)
    (inbox / "scan.tif").write_bytes(bad_page_tiff(5, 2, seed=70))  # a new scan of that name, page 3 corrupt
    [failed] = settled(watcher, clock)
    assert failed.status == "failed" and "page 3" in failed.error
    assert out_files(out) == told  # no page of the failed scan, the earlier one's untouched
    assert failed.kept == [out / name for name in told]
    assert failed.summary().endswith(f"the earlier scan's output stays: {', '.join(str(out / n) for n in told)}")
    if not moved:
        entry = Ledger(out / LEDGER_NAME).entries["scan.tif"]
        assert entry["targets"] == [] and entry["kept"] == [str(out / name) for name in told]
        if fmt == "pdf":  # still that scan's: a namesake of another type does not replace it
            (inbox / "scan.png").write_bytes(png_bytes(1))
            [other] = settled(watcher, clock)
            assert other.status == "failed" and "scan.tif" in other.error and out_files(out) == told
            (inbox / "scan.png").unlink()
    time.sleep(0.01)
    (inbox / "scan.tif").write_bytes(tiff_bytes(3, seed=80))  # fixed and dropped again
    [again] = settled(watcher, clock)
    assert again.status == "cleaned" and again.pages == 3
    assert sorted(out_files(out)) == (["scan-p001.png", "scan-p002.png", "scan-p003.png"] if fmt == "png"
                                      else ["scan.pdf"])


def sigterm(*args, **kwargs):  # type: ignore[no-untyped-def]
    """Stands in for a step the watcher takes: SIGTERM arrives right there."""
    from docclean.errors import Terminated

    raise Terminated("terminated (SIGTERM)")


def stopped_when_settled(watcher: Watcher, clock: Clock) -> None:
    """Let the files settle; the watcher must stop with SIGTERM's Terminated on the way."""
    from docclean.errors import Terminated

    watcher.poll_once()
    clock.now += 3
    with pytest.raises(Terminated):
        watcher.poll_once()


@pytest.mark.parametrize("moved", [False, True])
def test_a_stop_after_the_clean_but_before_the_record_or_the_move_undoes_it(folders, tiny_model_path,  # type: ignore[no-untyped-def]
                                                                           monkeypatch, moved):
    """SIGTERM once the scan was cleaned but before it was recorded (inputs left in IN) or moved to
    done/: its pages stayed in OUT, unrecorded (scan-p003.png, pages 1-2 over the earlier scan's),
    till the next start cleaned it again. The scan stays in IN and OUT is as the record says."""
    import docclean.watch

    inbox, out = folders
    clock = Clock()
    watcher = make(inbox, out, tiny_model_path, clock, fmt="png", **moved_aside(inbox, moved))
    (inbox / "scan.tif").write_bytes(tiff_bytes(2, seed=90))
    assert settle(watcher, clock) == ["cleaned"]
    told = out_files(out)
    if moved:
        monkeypatch.setattr(docclean.watch, "move_aside", sigterm)
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

    inbox, out = folders
    clock = Clock()
    watcher = make(inbox, out, tiny_model_path, clock, **moved_aside(inbox, True))
    monkeypatch.setattr(Ledger, "moved", sigterm)
    (inbox / "scan.png").write_bytes(png_bytes(1))
    stopped_when_settled(watcher, clock)
    assert watcher.in_hand is None and not (inbox / "scan.png").exists()
    assert sorted(out_files(out)) == ["scan.png"]
