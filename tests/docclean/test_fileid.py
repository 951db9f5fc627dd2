"""docclean.fileid: a file replaced by another of the same size with its times kept (``cp -p``,
``rsync -t``) is another version to every cache keyed on it (a model's digest, its converted
model), and the chunked byte search finds a needle wherever the chunks cut it."""

from __future__ import annotations

import io
import os
import time
from pathlib import Path
from typing import Any

import pytest


def replace_keeping_times(path: Path, data: bytes, in_place: bool) -> None:
    """``path``'s bytes replaced by ``data`` (the same length), its size and mtime kept: written
    into the same file (``cp -p`` onto it: the same inode) or renamed over it (``rsync -t``)."""
    before = path.stat()
    assert len(data) == before.st_size
    for _ in range(300):  # until the clock behind ctime (coarse on some kernels) has moved on
        if in_place:
            path.write_bytes(data)
            os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))
        else:
            other = path.with_name(path.name + ".new")
            other.write_bytes(data)
            os.utime(other, ns=(before.st_atime_ns, before.st_mtime_ns))
            os.replace(other, path)
        after = path.stat()
        if after.st_ctime_ns != before.st_ctime_ns or after.st_ino != before.st_ino:
            break
        time.sleep(0.01)
    assert (after.st_size, after.st_mtime_ns) == (before.st_size, before.st_mtime_ns)
    if in_place:
        assert after.st_ino == before.st_ino
    assert path.read_bytes() == data


WAYS = [pytest.param(True, id="cp -p onto it"), pytest.param(False, id="renamed over it")]


@pytest.mark.parametrize("in_place", WAYS)
def test_a_file_replaced_with_the_same_size_and_times_is_another_version(tmp_path: Path, in_place: bool) -> None:
    from docclean import fileid

    path = tmp_path / "file.bin"
    path.write_bytes(b"a" * 100)
    first = fileid.file_version(path)
    assert first is not None and first.size == 100 and first == fileid.file_version(path)
    replace_keeping_times(path, b"b" * 100, in_place)
    assert fileid.file_version(path) != first
    assert fileid.file_version(tmp_path / "gone.bin") is None


@pytest.mark.parametrize("in_place", WAYS)
def test_a_weights_file_replaced_with_the_same_size_and_times_gets_its_new_digest(
        tmp_path: Path, in_place: bool) -> None:
    import hashlib

    from docclean.models import model_identity, weights_digest

    path = tmp_path / "model.safetensors"
    path.write_bytes(b"old weights " * 50)
    assert weights_digest(path) == hashlib.sha256(path.read_bytes()).hexdigest()
    assert model_identity(str(path)) == "sha256:" + weights_digest(path)
    new = b"new weights " * 50
    replace_keeping_times(path, new, in_place)
    assert weights_digest(path) == hashlib.sha256(new).hexdigest()  # not the cached digest of the old file
    assert model_identity(str(path)) == "sha256:" + hashlib.sha256(new).hexdigest()


@pytest.mark.parametrize("in_place", WAYS)
def test_a_weights_file_replaced_with_the_same_size_and_times_is_converted_again(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, in_place: bool) -> None:
    """The converted-model cache is keyed by the weights' digest: a stale digest served the old
    model's conversion for the new weights."""
    from docclean.backends import convert

    monkeypatch.setenv("DOCCLEAN_CACHE", str(tmp_path / "cache"))
    exported: list[bytes] = []

    def export(model_path: Path, onnx_path: Path) -> dict[str, Any]:  # no torch: the weights' bytes as the graph
        exported.append(model_path.read_bytes())
        onnx_path.parent.mkdir(parents=True, exist_ok=True)
        onnx_path.write_bytes(exported[-1])
        return {"multiple": 1}

    monkeypatch.setattr(convert, "export_onnx", export)
    path = tmp_path / "model.safetensors"
    path.write_bytes(b"old weights " * 50)
    first, _ = convert.onnx_model(path)
    assert convert.onnx_model(path)[0] == first and len(exported) == 1  # cached
    replace_keeping_times(path, b"new weights " * 50, in_place)
    second, _ = convert.onnx_model(path)
    assert len(exported) == 2 and second != first
    assert second.read_bytes() == b"new weights " * 50


def _expected(data: bytes, needle: bytes, before: int, after: int) -> list[tuple[int, bytes]]:
    """Each occurrence's place in the file and the bytes around it a part must hold."""
    found, at = [], data.find(needle)
    while at >= 0:
        found.append((at, data[max(0, at - before): at + len(needle) + after]))
        at = data.find(needle, at + len(needle))
    return found


def _found(data: bytes, needle: bytes, before: int, after: int, chunk: int) -> list[tuple[int, bytes]]:
    """What the search gives, as :func:`_expected` says it (a part ends where the file was read to)."""
    from docclean import fileid

    got, fh = [], io.BytesIO(data)
    for part, at in fileid.find_all(fh, needle, before, after, chunk):
        assert part[at: at + len(needle)] == needle
        got.append((fh.tell() - len(part) + at, part[max(0, at - before): at + len(needle) + after]))
    return got


NEEDLE = b"/UserUnit"


@pytest.mark.parametrize("chunk", [1, 2, 3, 8, 9, 10, 17, 64, 1000, 5000])
@pytest.mark.parametrize("before, after", [(0, 0), (5, 3), (40, 100)])
def test_the_search_finds_a_needle_at_the_start_the_end_and_across_every_chunk_boundary(
        chunk: int, before: int, after: int) -> None:
    filler = bytes(range(32, 127)) * 3
    data = NEEDLE + filler[:13] + NEEDLE + NEEDLE + filler + NEEDLE + b"x" + filler[:chunk % 7] + NEEDLE
    assert _found(data, NEEDLE, before, after, chunk) == _expected(data, NEEDLE, before, after)
    assert len(_expected(data, NEEDLE, before, after)) == 5
    for shift in range(len(NEEDLE) + 1):  # the needle straddling a chunk boundary at every offset
        cut = b"." * (chunk * 3 - shift) + NEEDLE + b"." * 20
        assert _found(cut, NEEDLE, before, after, chunk) == _expected(cut, NEEDLE, before, after), shift
    assert _found(NEEDLE[:-1], NEEDLE, before, after, chunk) == []  # a needle cut short at the end
    assert _found(b"", NEEDLE, before, after, chunk) == []


def test_the_search_gives_what_a_search_of_the_whole_file_gives() -> None:
    """Random files of few byte values, needles that overlap themselves (``aa`` in ``aaaa``: two,
    not three), any context and chunk size."""
    import random

    rng = random.Random(1)
    for _ in range(3000):
        data = bytes(rng.choice(b"ab.") for _ in range(rng.randrange(80)))
        needle = bytes(rng.choice(b"ab") for _ in range(rng.randrange(1, 5)))
        before, after, chunk = rng.randrange(10), rng.randrange(10), rng.randrange(1, 20)
        assert _found(data, needle, before, after, chunk) == _expected(data, needle, before, after), \
            (data, needle, before, after, chunk)


def test_the_search_reads_no_further_than_the_first_occurrence_asked_for() -> None:
    from docclean import fileid

    fh = io.BytesIO(NEEDLE + b"." * 10_000)
    assert next(fileid.find_all(fh, NEEDLE, chunk=100)) == (NEEDLE + b"." * 91, 0)
    assert fh.tell() == 100


@pytest.mark.parametrize("chunk", [1, 2, 8, 9, 10, 64, 5000])
def test_the_user_unit_key_is_found_whatever_chunks_the_file_is_read_in(
        monkeypatch: pytest.MonkeyPatch, chunk: int) -> None:
    """``pdfunits._holds_key``, the search for /UserUnit in a file pypdf cannot read: the key at the
    start, at the end, straddling a chunk boundary at every offset, or absent (cut short)."""
    from docclean import pdfunits

    monkeypatch.setattr(pdfunits, "_CHUNK", chunk)

    def holds(data: bytes) -> bool:
        fh = io.BytesIO(data)
        fh.seek(len(data))  # it searches from the start, wherever the file stands
        return pdfunits._holds_key(fh)  # noqa: SLF001

    body = b"%PDF-1.7\n1 0 obj << /Type /Page /MediaBox [0 0 72 72] >> endobj\n"
    assert holds(NEEDLE + b" 2 >>" + body)
    assert holds(body + b"<< /UserUnit 2")
    assert holds(body + NEEDLE)
    for shift in range(len(NEEDLE) + 1):
        assert holds(b"." * (chunk * 2 - shift) + NEEDLE + b" 2 >>"), shift
    assert not holds(body)
    assert not holds(body + NEEDLE[:-1])
    assert not holds(NEEDLE[1:] + body + NEEDLE[:-1])
    assert not holds(b"")
