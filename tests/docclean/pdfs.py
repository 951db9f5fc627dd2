"""Tiny hand-written PDFs (a blank page, an encrypted one) that the PDF and CLI tests share."""

from __future__ import annotations

from pathlib import Path

#: A catalog, a page tree and one blank 1 x 2 inch page.
PAGE_OBJECTS = [b"<< /Type /Catalog /Pages 2 0 R >>",
                b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
                b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 72 144] >>"]


def build_pdf(path: Path, objects: list[bytes], trailer_extra: bytes = b"") -> Path:
    """Write a PDF from object bodies (numbered from 1) with a correct cross-reference table."""
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R %s>>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1, trailer_extra, xref)
    path.write_bytes(bytes(out))
    return path


def encrypted_pdf(path: Path) -> Path:
    """The blank page behind the standard security handler (revision 2), with O and U entries that
    no empty password fits."""
    encrypt = b"<< /Filter /Standard /V 1 /R 2 /P -4 /O <" + b"11" * 32 + b"> /U <" + b"22" * 32 + b"> >>"
    return build_pdf(path, [*PAGE_OBJECTS, encrypt],
                     b"/Encrypt 4 0 R /ID [<" + b"33" * 16 + b"> <" + b"33" * 16 + b">] ")
