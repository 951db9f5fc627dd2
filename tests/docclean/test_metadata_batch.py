"""A scan's descriptive metadata goes with it through a batch: each input kind into each output
kind, per TIFF page, through an interrupted and resumed multi-page output; a damaged block is
left out without failing the file, and an input without metadata gets an output without any.

Outputs are inspected with Pillow and pdfium only, never with docclean's own metadata reader."""

from __future__ import annotations

import io
import struct
import time
import zlib
from datetime import date, datetime
from email.utils import parsedate_to_datetime
from pathlib import Path

import numpy as np
import pypdfium2 as pdfium
import pytest
from PIL import Image, PngImagePlugin, TiffImagePlugin

from docclean import __version__
from docclean.batch import clean_batch
from docclean.checkpoint import save_model
from docclean.engine import Denoiser
from docclean.model import DocUNet, DocUNetConfig
from docclean.progress import CleanProgress
from docclean.settings import CleanSettings

H, W = 56, 40
RNG = np.random.default_rng(11)
TITLE, AUTHOR, DESCRIPTION, COPYRIGHT = "Parish register 1887", "Zoë Ström", "Baptisms, folio 12", "© County Archive"
CREATED = datetime(1999, 12, 31, 23, 59, 58)
WHEN = "1999-12-31 23:59:58"
SOFTWARE = f"docclean {__version__}"
XMP = b"<x:xmpmeta xmlns:x='adobe:ns:meta/'><dc:rights>County Archive</dc:rights></x:xmpmeta>"
IPTC = b"\x1c\x02\x00\x00\x02\x00\x04\x1c\x02\x05\x00\x0eParish register"
EXT = {"pdf": "pdf", "tiff": "tif", "png": "png", "jpeg": "jpg", "webp": "webp", "bmp": "bmp"}


@pytest.fixture(scope="module")
def denoiser(tmp_path_factory: pytest.TempPathFactory) -> Denoiser:
    import torch

    torch.manual_seed(0)
    model = DocUNet(DocUNetConfig(unshuffle=2, widths=[4, 8], blocks=[1, 1]))
    path = save_model(model, tmp_path_factory.mktemp("model") / "tiny.safetensors", "docunet",
                      model.config.to_dict(), {})
    return Denoiser.load(path, device="cpu", precision="fp32")


class Warnings(CleanProgress):
    def __init__(self) -> None:
        self.said: list[tuple[str, str]] = []

    def on_warning(self, source: str, message: str, kind: str = "decoder") -> None:
        self.said.append((kind, message))


def run(inputs: list[Path], out: Path, denoiser: Denoiser, progress: CleanProgress | None = None, **settings):
    report = clean_batch([str(i) for i in inputs], out, CleanSettings(**settings), progress, cleaner=denoiser)
    assert [f.status for f in report.files] == ["cleaned"] * len(inputs), [f.error for f in report.files]
    return report


def page() -> Image.Image:
    return Image.fromarray(RNG.integers(0, 256, (H, W), dtype=np.uint8))


# ---- sources ----------------------------------------------------------------------------------

def pdf_source(path: Path, **info) -> Path:
    info = {"title": TITLE, "author": AUTHOR, "subject": DESCRIPTION, "keywords": "baptisms; 1887",
            "creator": "ScanStation 3", "producer": "PDF Maker 1.0", "creationDate": CREATED.timetuple()} | info
    page().save(path, resolution=150.0, **info)
    return path


def tiff_tags(extra: dict[int, str]) -> TiffImagePlugin.ImageFileDirectory_v2:
    ifd = TiffImagePlugin.ImageFileDirectory_v2()
    texts = {269: TITLE, 270: DESCRIPTION, 271: "Epson", 272: "DS-70000", 305: "Epson Scan 2",
             306: "1999:12:31 23:59:58", 315: AUTHOR, 33432: COPYRIGHT} | extra
    for tag, text in texts.items():
        ifd[tag] = text.encode()
        ifd.tagtype[tag] = 2
    ifd[700], ifd.tagtype[700] = XMP, 1
    ifd[33723], ifd.tagtype[33723] = IPTC, 7
    return ifd


def tiff_source(path: Path, pages: int = 1) -> Path:
    with open(path, "w+b") as fh, TiffImagePlugin.AppendingTiffWriter(fh) as tiff:
        for i in range(pages):
            page().save(tiff, "TIFF", compression="tiff_adobe_deflate", dpi=(150, 150),
                        tiffinfo=tiff_tags({285: f"Folio 12{'rv'[i % 2]}{i // 2 or ''}"}))
            tiff.newFrame()
    return path


def png_source(path: Path) -> Path:
    info = PngImagePlugin.PngInfo()
    info.add_text("Title", TITLE)
    info.add_itxt("Author", AUTHOR)
    info.add_text("Description", DESCRIPTION, zip=True)
    info.add_text("Copyright", COPYRIGHT)
    info.add_text("Creation Time", "Fri, 31 Dec 1999 23:59:58 -0000")
    info.add_text("Comment", "second copy, water damage at the foot")
    info.add_text("Software", "GIMP 2.10")
    page().save(path, pnginfo=info, dpi=(150, 150))
    return path


def exif_block(title_tag: int | None = None, orientation: int | None = None) -> Image.Exif:
    exif = Image.Exif()
    exif[270], exif[315], exif[33432] = DESCRIPTION.encode(), AUTHOR.encode(), COPYRIGHT.encode()
    exif[271], exif[272], exif[305] = "Canon", "DR-C225", "CaptureOnTouch"
    exif[306] = "2020:01:01 00:00:00"  # a later edit: DateTimeOriginal is the scan's date
    exif.get_ifd(0x8769)[36867] = "1999:12:31 23:59:58"
    if title_tag == 0x9C9B:  # Windows' own title tag (UTF-16LE)
        exif[0x9C9B] = (TITLE + "\0").encode("utf-16-le")
    elif title_tag is not None:
        exif[title_tag] = TITLE
    if orientation is not None:
        exif[274] = orientation
    return exif


def jpeg_source(path: Path, orientation: int | None = None) -> Path:
    exif = exif_block(0x9C9B, orientation)
    exif[282], exif[283], exif[296] = 72.0, 72.0, 2  # a camera's resolution: the JFIF one counts
    page().save(path, quality=95, dpi=(300, 300), exif=exif.tobytes())
    return path


def webp_source(path: Path) -> Path:
    exif = exif_block(269)
    exif[282], exif[283], exif[296] = 150.0, 150.0, 2  # WebP keeps its resolution only here
    page().save(path, lossless=True, exif=exif.tobytes())
    return path


SOURCES = {"pdf": (pdf_source, "pdfsrc.pdf"), "tiff": (tiff_source, "tiffsrc.tif"), "png": (png_source, "pngsrc.png"),
           "jpeg": (jpeg_source, "jpegsrc.jpg"), "webp": (webp_source, "webpsrc.webp")}


# ---- what an output says, read without docclean -----------------------------------------------

def _utf8(text: object) -> object:
    """Pillow reads TIFF and EXIF text as Latin-1; what was written is UTF-8."""
    if isinstance(text, str):
        try:
            return text.encode("latin-1").decode("utf-8")
        except UnicodeError:
            return text
    return text


def _exif_when(text: object) -> str | None:
    return datetime.strptime(text, "%Y:%m:%d %H:%M:%S").isoformat(" ") if isinstance(text, str) else None


def said(path: Path, frame: int = 0) -> dict[str, object]:
    """The common fields an output holds, and its Software (PDF: Producer)."""
    if path.suffix == ".pdf":
        doc = pdfium.PdfDocument(str(path))
        try:
            info = doc.get_metadata_dict()
            copyright_ = doc.get_metadata_value("Copyright")
        finally:
            doc.close()
        created = info["CreationDate"]
        when = datetime.strptime(created[2:16], "%Y%m%d%H%M%S").isoformat(" ") if created else None
        return {"title": info["Title"] or None, "author": info["Author"] or None,
                "description": info["Subject"] or None, "copyright": copyright_ or None, "created": when,
                "software": info["Producer"] or None}
    with Image.open(path) as im:
        im.seek(frame)
        if im.format == "PNG":
            im.load()
            text = im.text
            when = text.get("Creation Time")
            return {"title": text.get("Title"), "author": text.get("Author"), "description": text.get("Description"),
                    "copyright": text.get("Copyright"), "software": text.get("Software"),
                    "created": parsedate_to_datetime(when).replace(tzinfo=None).isoformat(" ") if when else None}
        exif = im.getexif()
        sub = exif.get_ifd(0x8769)
        return {"title": _utf8(exif.get(269)), "author": _utf8(exif.get(315)), "description": _utf8(exif.get(270)),
                "copyright": _utf8(exif.get(33432)), "software": exif.get(305),
                "created": _exif_when(sub.get(36867) or exif.get(306))}


def expected(source_kind: str) -> dict[str, object]:
    fields = {"title": TITLE, "author": AUTHOR, "description": DESCRIPTION, "copyright": COPYRIGHT, "created": WHEN,
              "software": SOFTWARE}
    if source_kind == "pdf":
        fields["copyright"] = None  # Pillow's PDF writer has no Copyright to give
    return fields


# ---- each input kind into each output kind ----------------------------------------------------

@pytest.mark.parametrize("target", ["pdf", "tiff", "png", "jpeg", "webp"])
def test_each_input_kind_carries_its_metadata_into_each_output_kind(tmp_path: Path, denoiser: Denoiser,
                                                                   target: str) -> None:
    (tmp_path / "in").mkdir()
    sources = [make(tmp_path / "in" / name) for make, name in SOURCES.values()]
    run(sources, tmp_path / "out", denoiser, fmt=target)
    for kind, (_, name) in SOURCES.items():
        output = tmp_path / "out" / f"{Path(name).stem}.{EXT[target]}"
        assert said(output) == expected(kind), (kind, target)


def test_bmp_has_no_place_for_metadata_and_is_written_as_ever(tmp_path: Path, denoiser: Denoiser) -> None:
    (tmp_path / "in").mkdir()
    run([tiff_source(tmp_path / "in" / "a.tif"), png_source(tmp_path / "in" / "b.png")], tmp_path / "out", denoiser,
        fmt="bmp")
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["a.bmp", "b.bmp"]


def test_a_pdf_keeps_its_keywords_and_creator_and_says_docclean_produced_it(tmp_path: Path,
                                                                           denoiser: Denoiser) -> None:
    (tmp_path / "in").mkdir()
    run([pdf_source(tmp_path / "in" / "a.pdf")], tmp_path / "out", denoiser)
    doc = pdfium.PdfDocument(str(tmp_path / "out" / "a.pdf"))
    try:
        info = doc.get_metadata_dict()
    finally:
        doc.close()
    assert info["Keywords"] == "baptisms; 1887" and info["Creator"] == "ScanStation 3"
    assert info["Producer"] == SOFTWARE  # not the input's "PDF Maker 1.0": docclean wrote this file
    assert info["CreationDate"].startswith("D:19991231235958")
    written = datetime.strptime(info["ModDate"][2:10], "%Y%m%d").date()
    assert abs((written - date.today()).days) <= 1


def test_tiff_pages_keep_their_own_names_and_the_xmp_and_iptc_blocks_byte_for_byte(tmp_path: Path,
                                                                                  denoiser: Denoiser) -> None:
    (tmp_path / "in").mkdir()
    source = tiff_source(tmp_path / "in" / "scan.tif", pages=2)
    run([source], tmp_path / "out", denoiser)
    with Image.open(tmp_path / "out" / "scan.tif") as out:
        assert out.n_frames == 2
        for frame, name in enumerate(["Folio 12r", "Folio 12v"]):
            out.seek(frame)
            tags = out.tag_v2
            assert tags[285] == name and tags[700] == XMP and tags[33723] == IPTC
            assert (tags[271], tags[272], tags[305]) == ("Epson", "DS-70000", SOFTWARE)
            assert 34675 not in tags and 274 not in tags  # no colour profile, no orientation
            assert out.info["dpi"] == (150, 150)
    assert said(tmp_path / "out" / "scan.tif", 1) == expected("tiff")


def test_a_tiff_split_into_single_page_files_gives_each_the_document_s_metadata(tmp_path: Path,
                                                                               denoiser: Denoiser) -> None:
    (tmp_path / "in").mkdir()
    run([tiff_source(tmp_path / "in" / "scan.tif", pages=2)], tmp_path / "out", denoiser, fmt="png")
    for name in ("scan-p001.png", "scan-p002.png"):
        assert said(tmp_path / "out" / name) == expected("tiff")


def test_a_png_keeps_every_text_chunk_and_its_software_becomes_docclean(tmp_path: Path, denoiser: Denoiser) -> None:
    (tmp_path / "in").mkdir()
    run([png_source(tmp_path / "in" / "a.png")], tmp_path / "out", denoiser)
    with Image.open(tmp_path / "out" / "a.png") as out:
        out.load()
        assert out.text["Comment"] == "second copy, water damage at the foot"
        assert out.text["Creation Time"] == "Fri, 31 Dec 1999 23:59:58 -0000"  # as it was written
        assert out.text["Software"] == SOFTWARE
        assert out.info["dpi"] == pytest.approx((150, 150), abs=0.02)  # pixels per metre


def test_jpeg_orientation_and_resolution_tags_are_not_carried(tmp_path: Path, denoiser: Denoiser) -> None:
    (tmp_path / "in").mkdir()
    run([jpeg_source(tmp_path / "in" / "a.jpg", orientation=6)], tmp_path / "out", denoiser)
    with Image.open(tmp_path / "out" / "a.jpg") as out:
        exif = out.getexif()
        assert out.size == (H, W)  # turned upright once, and never again by a viewer
        assert not {274, 282, 283, 296} & set(exif) and exif.get_ifd(0x8769).get(36867) == "1999:12:31 23:59:58"
        assert (exif[271], exif[272], exif[305]) == ("Canon", "DR-C225", SOFTWARE)
        assert out.info["dpi"] == (300, 300)  # JFIF's, as before


def test_a_webp_keeps_its_resolution_beside_its_metadata(tmp_path: Path, denoiser: Denoiser) -> None:
    from docclean.io import read_pages

    (tmp_path / "in").mkdir()
    run([tiff_source(tmp_path / "in" / "a.tif")], tmp_path / "out", denoiser, fmt="webp")
    with Image.open(tmp_path / "out" / "a.webp") as out:
        exif = out.getexif()
        assert (exif[282], exif[283], exif[296]) == (150.0, 150.0, 2)
    assert said(tmp_path / "out" / "a.webp") == expected("tiff")
    assert next(read_pages(tmp_path / "out" / "a.webp")).dpi == (150.0, 150.0)


# ---- a damaged block --------------------------------------------------------------------------

def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def test_a_damaged_png_text_chunk_is_left_out_and_the_rest_carried(tmp_path: Path, denoiser: Denoiser) -> None:
    (tmp_path / "in").mkdir()
    buf = io.BytesIO()
    page().save(buf, "PNG", pnginfo=_png_info(Title=TITLE))
    data = buf.getvalue()
    broken = _chunk(b"iTXt", b"Author\0\1\0\0\0" + b"this is no zlib stream")  # "compressed", but not
    (tmp_path / "in" / "a.png").write_bytes(data[:33] + broken + data[33:])
    progress = Warnings()
    run([tmp_path / "in" / "a.png"], tmp_path / "out", denoiser, progress)
    assert said(tmp_path / "out" / "a.png")["title"] == TITLE
    assert said(tmp_path / "out" / "a.png")["author"] is None
    assert [kind for kind, message in progress.said] == ["decoder"]  # --verbose only
    assert "metadata" in progress.said[0][1] and "iTXt" in progress.said[0][1]


def _png_info(**texts: str) -> PngImagePlugin.PngInfo:
    info = PngImagePlugin.PngInfo()
    for key, text in texts.items():
        info.add_text(key, text)
    return info


def test_a_damaged_exif_block_costs_only_its_bad_tags(tmp_path: Path, denoiser: Denoiser) -> None:
    # IFD0 of two entries: Artist inline ("Ann"), ImageDescription pointing far past the block's end.
    ifd = (b"II*\0\x08\0\0\0" + b"\x02\0" + struct.pack("<HHII", 270, 2, 64, 0x7FFFFF00)
           + struct.pack("<HHI", 315, 2, 4) + b"Ann\0" + b"\0\0\0\0")
    buf = io.BytesIO()
    page().save(buf, "JPEG", quality=95)
    data = buf.getvalue()
    app1 = b"\xff\xe1" + struct.pack(">H", len(ifd) + 8) + b"Exif\0\0" + ifd
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "a.jpg").write_bytes(data[:2] + app1 + data[2:])
    progress = Warnings()
    run([tmp_path / "in" / "a.jpg"], tmp_path / "out", denoiser, progress, fmt="pdf")
    assert said(tmp_path / "out" / "a.pdf")["author"] == "Ann"
    assert {kind for kind, _ in progress.said} <= {"decoder"}


def test_a_pdf_date_in_no_known_form_is_left_out(tmp_path: Path, denoiser: Denoiser) -> None:
    (tmp_path / "in").mkdir()
    run([pdf_source(tmp_path / "in" / "a.pdf", creationDate="last Tuesday")], tmp_path / "out", denoiser)
    assert said(tmp_path / "out" / "a.pdf") == expected("pdf") | {"created": None}


# ---- no metadata: outputs as ever ------------------------------------------------------------

@pytest.mark.parametrize("target", ["pdf", "tiff", "png", "jpeg", "webp"])
def test_an_input_without_metadata_gives_an_output_without_any(tmp_path: Path, denoiser: Denoiser,
                                                              target: str) -> None:
    from docclean.io import write_page

    (tmp_path / "in").mkdir()
    page().save(tmp_path / "in" / "a.png", dpi=(150, 150))
    page().save(tmp_path / "in" / "b.tif", dpi=(150, 150))
    page().save(tmp_path / "in" / "c.jpg", dpi=(150, 150))
    write_page(tmp_path / "in" / "d.pdf", np.asarray(page()), (150.0, 150.0))  # Pillow's PDFs say when they were made
    run(sorted((tmp_path / "in").iterdir()), tmp_path / "out", denoiser, fmt=target)
    for output in sorted((tmp_path / "out").iterdir()):
        data = output.read_bytes()
        assert b"docclean" not in data and b"/Info" not in data
        assert not any(kind in data for kind in (b"tEXt", b"iTXt", b"zTXt")) or target != "png"
        if target == "jpeg":
            assert b"Exif\0\0" not in data
        if target == "webp":
            with Image.open(output) as im:
                assert set(im.getexif()) == {282, 283, 296}  # its resolution, as before
        if target == "tiff":
            with Image.open(output) as im:
                assert not {269, 270, 305, 306, 315, 33432} & set(im.tag_v2)


# ---- resume ----------------------------------------------------------------------------------

@pytest.mark.parametrize("target", ["tiff", "pdf"])
def test_an_interrupted_multi_page_output_keeps_its_metadata_when_resumed(tmp_path: Path, denoiser: Denoiser,
                                                                          monkeypatch: pytest.MonkeyPatch,
                                                                          target: str) -> None:
    (tmp_path / "in").mkdir()
    source = tiff_source(tmp_path / "in" / "scan.tif", pages=3)
    real, calls = denoiser.clean, []

    def interrupt_at_second_page(pixels: np.ndarray, progress=None) -> np.ndarray:
        calls.append(1)
        if len(calls) == 2:
            raise KeyboardInterrupt
        return real(pixels, progress)

    monkeypatch.setattr(denoiser, "clean", interrupt_at_second_page)
    with pytest.raises(KeyboardInterrupt):
        clean_batch([str(source)], tmp_path / "out", CleanSettings(fmt=target), cleaner=denoiser)
    assert (tmp_path / "out" / f".scan.{EXT[target]}.docclean-pages" / "p0001.png").is_file()
    monkeypatch.setattr(denoiser, "clean", real)
    run([source], tmp_path / "out", denoiser, fmt=target)
    output = tmp_path / "out" / f"scan.{EXT[target]}"
    assert said(output) == expected("tiff")
    if target == "tiff":
        with Image.open(output) as out:
            names = []
            for frame in range(3):
                out.seek(frame)
                names.append(out.tag_v2[285])
        assert names == ["Folio 12r", "Folio 12v", "Folio 12r1"]


def test_pages_all_finished_but_never_put_together_get_their_metadata(tmp_path: Path, denoiser: Denoiser) -> None:
    from docclean.resume import PageStore

    (tmp_path / "in").mkdir()
    source = tiff_source(tmp_path / "in" / "scan.tif", pages=2)
    settings = CleanSettings(fmt="pdf")
    store = PageStore(tmp_path / "out" / "scan.pdf", source, settings)
    for index in range(2):  # a run killed after its last page, before the output was put together
        store.put(index, np.full((H, W), 0.5, np.float32), (150.0, 150.0))
    report = clean_batch([str(source)], tmp_path / "out", settings, cleaner=denoiser)
    assert report.files[0].error is None
    assert said(tmp_path / "out" / "scan.pdf") == expected("tiff")


def test_the_pdf_s_creation_date_keeps_the_zone_it_was_given(tmp_path: Path, denoiser: Denoiser) -> None:
    (tmp_path / "in").mkdir()
    run([pdf_source(tmp_path / "in" / "a.pdf", creationDate=time.strptime("2001-02-03", "%Y-%m-%d"))],
        tmp_path / "out", denoiser, fmt="pdf")
    doc = pdfium.PdfDocument(str(tmp_path / "out" / "a.pdf"))
    try:
        assert doc.get_metadata_value("CreationDate") == "D:20010203000000+00'00'"  # Pillow wrote it in UTC (Z)
    finally:
        doc.close()
