"""The batch under abuse: a full disk, noisy decoders, broken earlier outputs, odd names, huge pages,
and a seeded fuzz of hundreds of mutated PNG/TIFF/JPEG/PDF files (no traceback, no hang)."""

from __future__ import annotations

import errno
import io
import json
import os
import signal
import warnings
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from docclean import io as pageio
from docclean.batch import clean_batch
from docclean.engine import Denoiser
from docclean.outputs import remove_stale_temps
from docclean.progress import CleanProgress
from docclean.settings import CleanSettings

RNG = np.random.default_rng(11)


@pytest.fixture(scope="module")
def denoiser(tmp_path_factory: pytest.TempPathFactory) -> Denoiser:
    import torch

    from docclean.checkpoint import save_model
    from docclean.model import DocUNet, DocUNetConfig

    torch.manual_seed(0)
    model = DocUNet(DocUNetConfig(unshuffle=2, widths=[4, 8], blocks=[1, 1]))
    path = save_model(model, tmp_path_factory.mktemp("m") / "tiny.safetensors", "docunet", model.config.to_dict())
    return Denoiser.load(path, device="cpu", precision="fp32", backend="torch")


def page(path: Path, size: tuple[int, int] = (40, 32)) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(RNG.integers(0, 256, size[::-1], dtype=np.uint8)).save(path)
    return path


@pytest.mark.parametrize("pipeline", [True, False])
def test_a_full_disk_stops_the_batch_at_the_first_error(tmp_path: Path, denoiser: Denoiser,
                                                        monkeypatch: pytest.MonkeyPatch, pipeline: bool) -> None:
    for name in "abcd":
        page(tmp_path / "in" / f"{name}.png")
    cleaned: list[int] = []
    real_clean = denoiser.clean
    monkeypatch.setattr(denoiser, "clean", lambda p, progress=None: cleaned.append(1) or real_clean(p, progress))
    real_encode = pageio.PageWriter.add

    def add(self, pixels, dpi):  # type: ignore[no-untyped-def]
        if self.path.name == "b.png":
            raise_full = OSError(errno.ENOSPC, "No space left on device")
            from docclean.errors import output_error
            raise output_error("cannot write page 1", raise_full, self.path)
        return real_encode(self, pixels, dpi)

    monkeypatch.setattr(pageio.PageWriter, "add", add)
    report = clean_batch([str(tmp_path / "in")], tmp_path / "out", CleanSettings(), cleaner=denoiser,
                         report_path=tmp_path / "r.json", pipeline=pipeline)
    done = ["a.png", "c.png"] if pipeline else ["a.png"]
    # b's write fails while c is being cleaned (writes run behind the network); no file after that
    # one starts. Without the pipeline the batch stops right after b.
    assert [f.status for f in report.files] == ["cleaned", "failed", "cleaned"][:len(done) + 1]
    assert len(cleaned) == len(done) + 1
    assert "No space left on device" in report.stopped and report.exit_code == 1
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == done
    # What a rerun still has to do: the files the batch never reached, in the report as in the object.
    left = ["d.png"] if pipeline else ["c.png", "d.png"]
    assert [p.name for p in report.not_reached] == left
    written = json.loads((tmp_path / "r.json").read_text())
    assert [Path(p).name for p in written["not_reached"]] == left and written["summary"]["not_reached"] == len(left)


def test_decoder_warnings_are_kept_per_file_not_printed(tmp_path: Path, denoiser: Denoiser,
                                                         monkeypatch: pytest.MonkeyPatch,
                                                         capsys: pytest.CaptureFixture) -> None:
    page(tmp_path / "in" / "a.png")
    real = pageio.read_pages

    def noisy(path, **kw):  # type: ignore[no-untyped-def]
        warnings.warn("Corrupt EXIF data", UserWarning)
        yield from real(path, **kw)

    monkeypatch.setattr(pageio, "read_pages", noisy)
    seen: list[str] = []
    kinds: list[str] = []

    class Listen(CleanProgress):
        def on_warning(self, source: str, message: str, kind: str = "decoder") -> None:
            seen.append(message)
            kinds.append(kind)

    report = clean_batch([str(tmp_path / "in")], tmp_path / "out", CleanSettings(ink_warning=1.0), Listen(),
                         cleaner=denoiser)
    assert report.files[0].warnings == ["UserWarning: Corrupt EXIF data"] and seen == report.files[0].warnings
    assert kinds == ["decoder"]
    assert "Corrupt EXIF" not in capsys.readouterr().err


@pytest.mark.parametrize("damage", ["empty", "truncated"])
def test_a_broken_existing_output_is_redone_not_skipped(tmp_path: Path, denoiser: Denoiser, damage: str) -> None:
    page(tmp_path / "in" / "a.png")
    page(tmp_path / "in" / "b.tif")
    first = clean_batch([str(tmp_path / "in")], tmp_path / "out", CleanSettings(), cleaner=denoiser)
    assert first.exit_code == 0
    for name in ("a.png", "b.tif"):
        target = tmp_path / "out" / name
        data = target.read_bytes()
        target.write_bytes(b"" if damage == "empty" else data[: len(data) // 2])
    again = clean_batch([str(tmp_path / "in")], tmp_path / "out", CleanSettings(), cleaner=denoiser)
    assert [f.status for f in again.files] == ["cleaned", "cleaned"]
    with Image.open(tmp_path / "out" / "b.tif") as im:
        im.load()


def test_a_file_that_is_no_output_is_never_replaced_by_one(tmp_path: Path, denoiser: Denoiser) -> None:
    page(tmp_path / "in" / "a.png")
    frames = [Image.fromarray(RNG.integers(0, 256, (32, 40), dtype=np.uint8)) for _ in range(2)]
    frames[0].save(tmp_path / "in" / "b.tif", save_all=True, append_images=frames[1:])
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "a.png").write_text("someone's notes")  # no PNG: not an output of ours
    (tmp_path / "out" / "b-p002.png").write_text("more notes")  # in the way of a page output
    for overwrite in (False, True):
        report = clean_batch([str(tmp_path / "in")], tmp_path / "out", CleanSettings(fmt="png", overwrite=overwrite),
                             cleaner=denoiser)
        assert [f.status for f in report.files] == ["failed", "failed"] and report.exit_code == 1
        assert "something that is no png file has this output's name" in report.files[0].error
        assert "b-p002.png" in report.files[1].error
    assert (tmp_path / "out" / "a.png").read_text() == "someone's notes"
    assert (tmp_path / "out" / "b-p002.png").read_text() == "more notes"
    assert not (tmp_path / "out" / "b-p001.png").exists()


@pytest.mark.parametrize("damage", ["none", "empty", "truncated", "no_ending"])
@pytest.mark.parametrize("fmt, suffix", [("jpeg", ".jpg"), ("pdf", ".pdf")])
def test_a_broken_jpeg_or_pdf_output_is_redone_and_a_whole_one_skipped(tmp_path: Path, denoiser: Denoiser,
                                                                       fmt: str, suffix: str, damage: str) -> None:
    from docclean.plan import output_complete

    page(tmp_path / "in" / "a.png")
    settings = CleanSettings(fmt=fmt)
    first = clean_batch([str(tmp_path / "in")], tmp_path / "out", settings, cleaner=denoiser)
    assert first.exit_code == 0
    target = tmp_path / "out" / f"a{suffix}"
    data = target.read_bytes()
    assert output_complete(target)
    ending = b"\xff\xd9" if fmt == "jpeg" else b"%%EOF"
    assert ending in data[-16:]
    if damage == "empty":
        target.write_bytes(b"")
    elif damage == "truncated":
        target.write_bytes(data[: len(data) // 2])
    elif damage == "no_ending":  # only the format's ending (JPEG EOI, PDF %%EOF) is missing
        target.write_bytes(data[: data.rindex(ending)])
    again = clean_batch([str(tmp_path / "in")], tmp_path / "out", settings, cleaner=denoiser)
    assert [f.status for f in again.files] == (["skipped"] if damage == "none" else ["cleaned"])
    assert (target.read_bytes() == data) if damage == "none" else output_complete(target)
    if fmt == "jpeg":
        with Image.open(target) as im:
            im.load()


def test_names_keep_their_case_and_formats_have_aliases(tmp_path: Path, denoiser: Denoiser) -> None:
    page(tmp_path / "in" / "UPPER.PNG")
    clean_batch([str(tmp_path / "in")], tmp_path / "same", CleanSettings(), cleaner=denoiser)
    assert [p.name for p in (tmp_path / "same").iterdir()] == ["UPPER.PNG"]
    for fmt, suffix in (("jpg", ".jpg"), ("tif", ".tif"), ("webp", ".webp")):
        clean_batch([str(tmp_path / "in")], tmp_path / fmt, CleanSettings(fmt=fmt), cleaner=denoiser)
        written = tmp_path / fmt / f"UPPER{suffix}"
        with Image.open(written) as im:
            assert im.size == (40, 32)


def test_pages_over_the_pixel_limit_are_refused_with_a_reason(tmp_path: Path, denoiser: Denoiser) -> None:
    page(tmp_path / "in" / "big.png", size=(400, 300))
    report = clean_batch([str(tmp_path / "in")], tmp_path / "out", CleanSettings(max_pixels=100_000),
                         cleaner=denoiser)
    assert report.files[0].status == "failed" and "big.png" in report.files[0].error
    assert "pixels" in report.files[0].error


def test_only_stale_temps_of_our_pattern_are_removed(tmp_path: Path) -> None:
    import os
    import subprocess
    import sys

    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True,
                          text=True).stdout.strip()
    stale = tmp_path / f".a.png.docclean-{dead}-0123abcd.part"
    live = tmp_path / f".b.png.docclean-{os.getpid()}-0123abcd.part"
    other = tmp_path / ".c.png.1234.part"
    for f in (stale, live, other):
        f.write_bytes(b"x")
    assert remove_stale_temps([tmp_path]) == [stale]
    assert live.exists() and other.exists() and not stale.exists()


def _seeds() -> list[tuple[str, bytes]]:
    base = Image.fromarray(RNG.integers(0, 256, (24, 20), dtype=np.uint8))
    out = []
    for fmt, suffix in (("PNG", ".png"), ("TIFF", ".tif"), ("JPEG", ".jpg"), ("PDF", ".pdf")):
        buf = io.BytesIO()
        base.save(buf, fmt)
        out.append((suffix, buf.getvalue()))
    return out


def test_fuzzed_files_give_one_line_errors_and_never_a_traceback_or_hang(tmp_path: Path, denoiser: Denoiser) -> None:
    rng = np.random.default_rng(2024)
    folder = tmp_path / "fuzz"
    folder.mkdir()
    count = 0
    for suffix, data in _seeds():
        for i in range(75):
            blob = bytearray(data)
            for _ in range(int(rng.integers(1, 12))):
                kind = rng.integers(0, 3)
                pos = int(rng.integers(0, len(blob)))
                if kind == 0:
                    blob[pos] = int(rng.integers(0, 256))
                elif kind == 1:
                    del blob[pos:pos + int(rng.integers(1, 64))]
                else:
                    blob[pos:pos] = bytes(rng.integers(0, 256, int(rng.integers(1, 64)), dtype=np.uint8))
            (folder / f"f{i:03d}{suffix}").write_bytes(bytes(blob))
            count += 1

    def hang(signum, frame):  # type: ignore[no-untyped-def]
        raise TimeoutError("the batch hung on a fuzzed file")

    previous = signal.signal(signal.SIGALRM, hang)
    signal.alarm(120)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # a warning escaping the batch would be output
            report = clean_batch([str(folder)], tmp_path / "out", CleanSettings(ink_warning=1.0), cleaner=denoiser)
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)
    assert len(report.files) == count
    for result in report.files:
        assert result.status in ("cleaned", "failed")
        if result.status == "failed":
            assert result.error.startswith(str(result.source)) and "\n" not in result.error
            assert "unexpected error" not in result.error, result.error


def test_the_pixel_limit_follows_available_memory(monkeypatch: pytest.MonkeyPatch) -> None:
    from docclean import pagememory

    monkeypatch.setattr(pagememory, "memory_pixel_limit", lambda: 5_000_000)
    assert pagememory.pixel_limit(120_000_000) == 5_000_000 and pagememory.pixel_limit(1_000_000) == 1_000_000
    monkeypatch.setattr(pagememory, "memory_pixel_limit", lambda: None)
    assert pagememory.pixel_limit(120_000_000) == 120_000_000


def test_the_memory_available_is_read_again_after_half_a_second_not_once_a_file(
        monkeypatch: pytest.MonkeyPatch) -> None:
    from docclean import pagememory

    clock, reads = [100.0], []
    monkeypatch.setattr(pagememory.time, "monotonic", lambda: clock[0])
    monkeypatch.setattr(pagememory, "_read_memory_pixel_limit", lambda: reads.append(1) or 1_000_000 * len(reads))
    monkeypatch.setattr(pagememory, "_memory_read", (-1.0, None))
    assert [pagememory.memory_pixel_limit() for _ in range(3)] == [1_000_000] * 3 and len(reads) == 1
    clock[0] += pagememory.MEMORY_READ_SECONDS
    assert pagememory.memory_pixel_limit() == 2_000_000  # memory freed or taken since is seen


def test_a_broken_link_in_an_input_folder_fails_with_its_reason(tmp_path: Path, denoiser: Denoiser) -> None:
    page(tmp_path / "in" / "a.png")
    (tmp_path / "in" / "b.png").symlink_to(tmp_path / "gone.png")  # a scan moved away: say so, never skip it
    os.mkfifo(tmp_path / "in" / "c.png")  # not a file: fails with its reason, never opened
    report = clean_batch([str(tmp_path / "in")], tmp_path / "out", CleanSettings(), cleaner=denoiser)
    assert [(f.source.name, f.status) for f in report.files] == [("a.png", "cleaned"), ("b.png", "failed"),
                                                                  ("c.png", "failed")]
    assert report.files[1].error == f"{tmp_path / 'in' / 'b.png'}: broken link: {tmp_path / 'gone.png'} does not exist"
    assert report.exit_code == 1


def test_a_work_folder_that_cannot_be_made_fails_that_file_in_one_line(tmp_path: Path, denoiser: Denoiser) -> None:
    frames = [Image.fromarray(RNG.integers(0, 256, (32, 40), dtype=np.uint8)) for _ in range(2)]
    page(tmp_path / "in" / "s.png")
    frames[0].save(tmp_path / "in" / "m.tif", save_all=True, append_images=frames[1:])
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / ".m.tif.docclean-pages").write_text("in the way")  # as an unwritable folder would be
    report = clean_batch([str(tmp_path / "in")], tmp_path / "out", CleanSettings(), cleaner=denoiser)
    assert [f.status for f in report.files] == ["failed", "cleaned"]
    assert report.files[0].error.startswith(f"{tmp_path / 'in' / 'm.tif'}: ")
    assert "cannot create the work folder for the finished pages" in report.files[0].error
    assert "unexpected" not in report.files[0].error


def test_a_fifo_with_an_output_s_name_is_refused_not_waited_on(tmp_path: Path, denoiser: Denoiser) -> None:
    page(tmp_path / "in" / "a.png")
    (tmp_path / "out").mkdir()
    os.mkfifo(tmp_path / "out" / "a.png")  # opening it to read its first bytes would wait forever
    report = clean_batch([str(tmp_path / "in")], tmp_path / "out", CleanSettings(), cleaner=denoiser)
    assert [f.status for f in report.files] == ["failed"]
    assert "something that is no png file has this output's name" in report.files[0].error


def test_a_name_near_the_file_system_s_limit_is_cleaned_and_resumed(tmp_path: Path, denoiser: Denoiser,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    """The temporary file (.NAME.docclean-PID-HEX.part) and a multi-page output's work folder
    (.NAME.docclean-pages) are longer than NAME: a 250-byte name failed ("File name too long")."""
    from docclean.atomic import NAME_MAX
    from docclean.resume import work_folder

    long = "é" * 60 + "b" * (250 - 120 - 4)  # 250 bytes in UTF-8, with its suffix
    page(tmp_path / "in" / f"{long}.png")
    frames = [Image.fromarray(RNG.integers(0, 256, (32, 40), dtype=np.uint8)) for _ in range(3)]
    frames[0].save(tmp_path / "in" / f"{long[:-1]}.tif", save_all=True, append_images=frames[1:])
    real, calls = denoiser.clean, []

    def stop_at_the_tiff_s_third_page(pixels: np.ndarray, progress=None) -> np.ndarray:  # noqa: ANN001
        calls.append(1)
        if len(calls) == 3:
            raise KeyboardInterrupt
        return real(pixels, progress)

    monkeypatch.setattr(denoiser, "clean", stop_at_the_tiff_s_third_page)  # the tiff comes first
    with pytest.raises(KeyboardInterrupt):
        clean_batch([str(tmp_path / "in")], tmp_path / "out", CleanSettings(), cleaner=denoiser)
    folder = work_folder(tmp_path / "out" / f"{long[:-1]}.tif")
    assert folder.is_dir() and len(os.fsencode(folder.name)) <= NAME_MAX  # the tiff's two pages kept
    monkeypatch.setattr(denoiser, "clean", real)
    report = clean_batch([str(tmp_path / "in")], tmp_path / "out", CleanSettings(), cleaner=denoiser)
    assert [f.status for f in report.files] == ["cleaned", "cleaned"], [f.error for f in report.files]
    tiff = next(f for f in report.files if f.source.suffix == ".tif")
    assert [p.status for p in tiff.pages] == ["skipped", "skipped", "cleaned"]
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == sorted([f"{long}.png", f"{long[:-1]}.tif"])
