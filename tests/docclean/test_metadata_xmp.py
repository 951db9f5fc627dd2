"""A PDF whose metadata is in its XMP packet only (no /Info: PDF 2.0 deprecates it) keeps it in
every output; /Info wins where both say something; an XMP packet that is no XML, or declares a
DOCTYPE (entities), gives nothing and is told as a decoder warning, never failing the file."""

from __future__ import annotations

import io
import xml.etree.ElementTree as ET
import zlib
from dataclasses import replace
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pikepdf
import pypdfium2 as pdfium
import pytest

from docclean.metadata import Fields, read_metadata
from tests.docclean.test_metadata_batch import EXT, SOFTWARE, Warnings, page, run, said

PACKET = """<?xpacket begin="\ufeff" id="W5M0MpCehiHzreSzNTczkc9d"?>
<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">
<rdf:Description rdf:about="" xmlns:xmp="http://ns.adobe.com/xap/1.0/" xmlns:pdf="http://ns.adobe.com/pdf/1.3/"
  xmp:CreateDate="2018-04-05T06:07:08+02:00" pdf:Keywords="baptisms; 1887" xmp:CreatorTool="ScanStation 3"/>
<rdf:Description rdf:about="" xmlns:dc="http://purl.org/dc/elements/1.1/">
 <dc:title><rdf:Alt><rdf:li xml:lang="fr">Registre</rdf:li>
   <rdf:li xml:lang="x-default">Parish register 1887</rdf:li></rdf:Alt></dc:title>
 <dc:creator><rdf:Seq><rdf:li>Zoë Ström</rdf:li><rdf:li>Ann Lee</rdf:li></rdf:Seq></dc:creator>
 <dc:description><rdf:Alt><rdf:li xml:lang="x-default">Baptisms, folio 12</rdf:li></rdf:Alt></dc:description>
 <dc:rights><rdf:Alt><rdf:li xml:lang="x-default">© County Archive</rdf:li></rdf:Alt></dc:rights>
</rdf:Description></rdf:RDF></x:xmpmeta>
<?xpacket end="w"?>""".encode()
CREATED = datetime(2018, 4, 5, 6, 7, 8, tzinfo=timezone(timedelta(hours=2)))
FIELDS = Fields(title="Parish register 1887", author="Zoë Ström; Ann Lee", description="Baptisms, folio 12",
                keywords="baptisms; 1887", copyright="© County Archive", creator="ScanStation 3", created=CREATED)
LAUGHS = b"""<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;">]>
<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">
<rdf:Description xmlns:dc="http://purl.org/dc/elements/1.1/" dc:title="&b;"/></rdf:RDF></x:xmpmeta>"""
BAD = {"not XML": PACKET[:200], "entities": LAUGHS, "entities in UTF-16": LAUGHS.decode().encode("utf-16"),
       "an external entity": LAUGHS.replace(b'"aaaaaaaaaa"', b'SYSTEM "file:///etc/hostname"')}


def xmp_pdf(path: Path, packet: bytes | None, compress: bool = False, **info: str) -> Path:
    """A one-page PDF with no /Info (or one of ``info``) and ``packet`` as its catalog's XMP."""
    data = io.BytesIO()
    page().save(data, "PDF", resolution=150.0)
    with pikepdf.open(data) as pdf:
        del pdf.trailer["/Info"]
        if info:
            entries = {f"/{key}": pikepdf.String(value) for key, value in info.items()}
            pdf.trailer.Info = pdf.make_indirect(pikepdf.Dictionary(entries))
        if packet is not None:
            stream = pikepdf.Stream(pdf, zlib.compress(packet) if compress else packet, Type=pikepdf.Name.Metadata,
                                    Subtype=pikepdf.Name.XML)
            if compress:
                stream.Filter = pikepdf.Name.FlateDecode
            pdf.Root.Metadata = pdf.make_indirect(stream)
        path.parent.mkdir(parents=True, exist_ok=True)
        pdf.save(path, fix_metadata_version=False)  # the packet as given: pikepdf would rewrite it
    return path


@pytest.mark.parametrize("compress", [False, True])
def test_a_pdf_without_info_has_the_fields_of_its_xmp(tmp_path: Path, compress: bool) -> None:
    metadata = read_metadata(xmp_pdf(tmp_path / "a.pdf", PACKET, compress))
    assert metadata.document == FIELDS and metadata.problems == ()


@pytest.mark.parametrize("target", ["pdf", "tiff", "png"])
def test_xmp_only_metadata_goes_into_each_output_kind(tmp_path: Path, denoiser, target: str) -> None:
    progress = Warnings()
    run([xmp_pdf(tmp_path / "in" / "a.pdf", PACKET)], tmp_path / "out", denoiser, progress, fmt=target)
    output = tmp_path / "out" / f"a.{EXT[target]}"
    assert said(output) == {"title": FIELDS.title, "author": FIELDS.author, "description": FIELDS.description,
                            "copyright": FIELDS.copyright, "created": "2018-04-05 06:07:08", "software": SOFTWARE}
    assert progress.said == []
    if target == "pdf":
        doc = pdfium.PdfDocument(str(output))
        try:
            assert doc.get_metadata_value("CreationDate") == "D:20180405060708+02'00'"  # its zone kept
            assert doc.get_metadata_value("Keywords") == "baptisms; 1887"
        finally:
            doc.close()


def test_info_wins_where_both_say_something(tmp_path: Path) -> None:
    path = xmp_pdf(tmp_path / "a.pdf", PACKET, Title="Info title", CreationDate="D:20010203040506Z")
    assert read_metadata(path).document == replace(FIELDS, title="Info title",
                                                   created=datetime(2001, 2, 3, 4, 5, 6, tzinfo=timezone.utc))


@pytest.mark.parametrize("parser", ["defusedxml", "standard library"])
@pytest.mark.parametrize("kind", BAD)
def test_an_xmp_packet_that_is_no_xml_or_declares_entities_gives_nothing_and_is_told(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, kind: str, parser: str) -> None:
    if parser == "standard library":
        monkeypatch.setattr("docclean.metaxmp._fromstring", ET.fromstring)
    metadata = read_metadata(xmp_pdf(tmp_path / "a.pdf", BAD[kind], Author="Ann"))
    assert metadata.document == Fields(author="Ann")
    assert len(metadata.problems) == 1 and metadata.problems[0].startswith("metadata: PDF XMP left out ("), \
        metadata.problems
    if kind != "not XML":
        assert "DOCTYPE" in metadata.problems[0]


def test_a_bad_xmp_packet_never_fails_the_file(tmp_path: Path, denoiser) -> None:
    progress = Warnings()
    run([xmp_pdf(tmp_path / "in" / "a.pdf", LAUGHS, Title="Kept")], tmp_path / "out", denoiser, progress, fmt="pdf")
    assert said(tmp_path / "out" / "a.pdf")["title"] == "Kept"
    assert [kind for kind, message in progress.said if "XMP" in message] == ["decoder"]


def test_an_xmp_packet_over_the_limit_is_left_out(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("docclean.pdfunits.MAX_BLOCK", 100)
    metadata = read_metadata(xmp_pdf(tmp_path / "a.pdf", PACKET))
    assert metadata.document == Fields() and metadata.problems == (
        f"metadata: PDF XMP left out ({len(PACKET):,} bytes (at most 100 are read))",)


def test_a_pdf_output_says_its_fields_in_xmp_too(tmp_path: Path, denoiser) -> None:
    # PDF 2.0 readers and archives' tools read the catalog's XMP, not /Info: both say the same.
    packet = PACKET.replace(b"Parish register 1887", b"Ledger &lt;1887&gt; &amp; index")
    run([xmp_pdf(tmp_path / "in" / "a.pdf", packet)], tmp_path / "out", denoiser, fmt="pdf")
    output = tmp_path / "out" / "a.pdf"
    with pikepdf.open(output, allow_overwriting_input=True) as pdf:
        written = pdf.Root.Metadata.read_bytes()
        assert pdf.Root.Metadata.Subtype == "/XML" and "/Filter" not in pdf.Root.Metadata
        with pdf.open_metadata() as meta:  # another XMP reader's view of it
            assert meta["dc:title"] == "Ledger <1887> & index" and meta["dc:creator"] == ["Zoë Ström", "Ann Lee"]
            assert meta["pdf:Producer"] == SOFTWARE and meta["xmp:CreateDate"] == "2018-04-05T06:07:08+02:00"
        del pdf.trailer["/Info"]  # what is left is the XMP alone: docclean reads back what it had
        pdf.save(output)
    assert read_metadata(output).document == replace(FIELDS, title="Ledger <1887> & index")
    assert written.startswith(b'<?xpacket begin="\xef\xbb\xbf"') and written.endswith(b'<?xpacket end="w"?>')


def test_a_pdf_output_with_no_fields_has_no_xmp(tmp_path: Path, denoiser) -> None:
    run([xmp_pdf(tmp_path / "in" / "a.pdf", None)], tmp_path / "out", denoiser, fmt="pdf")
    with pikepdf.open(tmp_path / "out" / "a.pdf") as pdf:
        assert "/Metadata" not in pdf.Root and "/Info" not in pdf.trailer


def test_characters_xml_cannot_hold_are_left_out_of_the_packet() -> None:
    from docclean.metawrite import pdf_xmp

    packet = pdf_xmp(Fields(title="bell\x07 tab\t ok\ufffe"), datetime(2026, 1, 2, 3, 4, 5))
    assert packet is not None and ET.fromstring(packet.decode().split("?>", 1)[1].rsplit("<?", 1)[0]) is not None
    assert '<rdf:li xml:lang="x-default">bell tab\t ok</rdf:li>' in packet.decode()
    assert pdf_xmp(Fields(), datetime(2026, 1, 2)) is None
