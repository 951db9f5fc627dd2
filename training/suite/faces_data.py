"""The Olivetti faces: 400 grey 64x64 faces of 40 people (10 each), read from ``olivettifaces.mat``.

The data folder is, in order of precedence: the ``data_dir`` argument; ``$DOCCLEAN_DATA/olivetti``
when the ``DOCCLEAN_DATA`` environment variable names a root folder of data sets; otherwise the
per-user cache ``~/.cache/docclean/olivetti`` (as for Fashion-MNIST). The file is the MATLAB file
Sam Roweis distributed (the one scikit-learn's ``fetch_olivetti_faces`` converts): variable
``faces``, 4096 x 400 uint8, one face per column in column-major order, people in order (faces
10k..10k+9 are person k). Its SHA-256 is checked unless ``verify=False`` (for test files).

The file is read by a small reader of MATLAB's level-5 format (a zlib-compressed matrix element)
instead of scipy, which docclean would otherwise need for this one file.

Faces are split **by person**, so no one in the test set was seen in training: a seeded permutation
of the 40 people gives the test people, then the validation people, then the training people.
"""

from __future__ import annotations

import struct
import zlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from docclean.atomic import atomic_path
from docclean.digest import file_digest
from docclean.errors import DataError
from training.suite import fashion_data

FILE_NAME = "olivettifaces.mat"
SHA256 = "b1988d02c72fe5b8ee82b5ef3bb7982eafc74f1e1ff0ae0ade35061ad0af534d"
DATA_ENV = "DOCCLEAN_DATA"
SUBDIR = "olivetti"
SIDE = 64
FACES_PER_PERSON = 10

_MI_TYPES = {1: "i1", 2: "u1", 3: "i2", 4: "u2", 5: "i4", 6: "u4", 7: "f4", 9: "f8", 12: "i8", 13: "u8"}
"""MATLAB level-5 data types -> numpy dtypes (little-endian is added by the reader)."""
MI_MATRIX, MI_COMPRESSED = 14, 15


@dataclass
class Faces:
    """Faces as uint8 (N, 64, 64), upright, and the person (0..39) of each."""

    images: np.ndarray
    people: np.ndarray


def resolve_data_dir(data_dir: Path | None) -> Path:
    """The folder that holds ``olivettifaces.mat``; see the module docstring for the order."""
    return fashion_data.resolve_data_dir(data_dir, SUBDIR)


def file_sha256(path: Path) -> str:
    """Hex SHA-256 of a file, read in chunks."""
    return file_digest(path, "sha256")


def _elements(raw: bytes, path: Path):
    """Yield (type, payload) of the level-5 data elements in ``raw`` (little-endian)."""
    offset = 0
    while offset + 8 <= len(raw):
        kind, size = struct.unpack_from("<II", raw, offset)
        if kind >> 16:  # the "small data element" form: size and type share the first word
            kind, size = kind & 0xFFFF, kind >> 16
            yield kind, raw[offset + 4:offset + 4 + size]
            offset += 8
            continue
        if offset + 8 + size > len(raw):
            raise DataError(f"MAT file is truncated (an element of {size} bytes runs past the end)", path)
        yield kind, raw[offset + 8:offset + 8 + size]
        offset += 8 + size
        if kind != MI_COMPRESSED:
            offset = (offset + 7) // 8 * 8  # elements start on 8-byte boundaries (compressed ones need not)


def read_mat_variables(path: Path) -> dict[str, np.ndarray]:
    """The numeric matrices of a MATLAB level-5 .mat file (little-endian), by variable name."""
    raw = Path(path).read_bytes()
    if len(raw) < 128 or not raw.startswith(b"MATLAB 5.0 MAT-file"):
        raise DataError("not a MATLAB 5.0 MAT-file", path)
    if raw[126:128] != b"IM":
        raise DataError("big-endian MAT files are not supported", path)
    found: dict[str, np.ndarray] = {}
    pending = list(_elements(raw[128:], path))
    while pending:
        kind, payload = pending.pop(0)
        if kind == MI_COMPRESSED:
            try:
                pending[:0] = list(_elements(zlib.decompress(payload), path))
            except zlib.error as exc:
                raise DataError(f"MAT file holds a corrupt compressed element ({exc})", path) from None
        elif kind == MI_MATRIX:
            parts = list(_elements(payload, path))
            if len(parts) < 4:
                raise DataError("MAT matrix element is incomplete", path)
            dims = np.frombuffer(parts[1][1], "<i4")
            name = parts[2][1].decode("ascii", "replace")
            data_kind, data = parts[3]
            if data_kind not in _MI_TYPES:
                raise DataError(f"MAT variable {name!r} has an unsupported data type {data_kind}", path)
            values = np.frombuffer(data, "<" + _MI_TYPES[data_kind])
            if values.size != int(np.prod(dims)):
                raise DataError(f"MAT variable {name!r}: {values.size} values for dimensions {dims.tolist()}", path)
            found[name] = values.reshape(tuple(dims), order="F")  # MATLAB stores columns first
    return found


def write_faces_mat(path: Path, images: np.ndarray) -> Path:
    """Write (N, 64, 64) uint8 faces as a level-5 .mat file laid out like the original (variable
    ``faces``, 4096 x N, each column a face in column-major order): for tests and subsets."""
    images = np.asarray(images, dtype=np.uint8)
    columns = images.transpose(0, 2, 1).reshape(len(images), -1).T  # (4096, N): face j is column j
    data = np.asfortranarray(columns).tobytes(order="F")

    def element(kind: int, payload: bytes) -> bytes:
        return struct.pack("<II", kind, len(payload)) + payload + b"\0" * (-len(payload) % 8)

    matrix = (element(6, struct.pack("<II", 9, 0)) + element(5, struct.pack("<ii", *columns.shape))
              + element(1, b"faces") + element(2, data))
    header = b"MATLAB 5.0 MAT-file, written by docclean".ljust(116) + b"\0" * 8 + struct.pack("<H", 0x0100) + b"IM"
    with atomic_path(path) as tmp:
        tmp.write_bytes(header + _compressed(element(MI_MATRIX, matrix)))
    return Path(path)


def _compressed(payload: bytes) -> bytes:
    body = zlib.compress(payload)
    return struct.pack("<II", MI_COMPRESSED, len(body)) + body


def load_faces(data_dir: Path | None = None, *, verify: bool = True) -> Faces:
    """Load the faces from ``resolve_data_dir(data_dir)``; DataError (naming the file) when it is
    missing, fails the SHA-256 check (unless ``verify=False``) or does not hold 64x64 faces."""
    path = fashion_data.check_data_folder(resolve_data_dir(data_dir), FILE_NAME) / FILE_NAME
    if not path.exists():
        # A folder given (--data-dir, or the run's own) overrides the others: they are offered for the default only.
        where = "" if data_dir is not None else f" (or pass --data-dir, or set {DATA_ENV})"
        raise DataError(f"Olivetti faces file is missing; put {FILE_NAME} in {path.parent}{where}", path)
    if verify:
        actual = file_sha256(path)
        if actual != SHA256:
            raise DataError(f"SHA-256 is {actual}, expected {SHA256}: the file is corrupt or not the "
                            "published one (use --no-verify for a copy of your own)", path)
    faces = read_mat_variables(path).get("faces")
    if faces is None:
        raise DataError("MAT file has no variable 'faces'", path)
    if faces.ndim != 2 or faces.shape[0] != SIDE * SIDE or faces.shape[1] % FACES_PER_PERSON:
        raise DataError(f"'faces' is {faces.shape}, expected 4096 x (10 per person)", path)
    # Each column is a face stored column by column: reshape gives (col, row), so transpose.
    images = np.ascontiguousarray(faces.T.reshape(-1, SIDE, SIDE).transpose(0, 2, 1), dtype=np.uint8)
    return Faces(images, np.arange(len(images)) // FACES_PER_PERSON)


def split_people(people: np.ndarray, test_people: int = 8, val_people: int = 4, seed: int = 0
                 ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Sorted (train, val, test) indices of the faces, split so that nobody is in two parts.

    The distinct people are permuted with ``seed``; the first ``test_people`` are the test set,
    the next ``val_people`` the validation set and the rest train. ValueError if none are left.
    """
    ids = np.unique(people)
    if test_people < 1 or val_people < 0 or test_people + val_people >= len(ids):
        raise ValueError(f"cannot hold out {test_people} test and {val_people} validation people of {len(ids)}")
    order = np.random.default_rng(seed).permutation(ids)
    test, val = order[:test_people], order[test_people:test_people + val_people]
    parts = [np.flatnonzero(~np.isin(people, np.concatenate([test, val]))),
             np.flatnonzero(np.isin(people, val)), np.flatnonzero(np.isin(people, test))]
    return parts[0], parts[1], parts[2]


def to_tensor(images: np.ndarray) -> torch.Tensor:
    """uint8 faces (N, 64, 64) -> float32 tensor (N, 1, 64, 64) in 0..1."""
    return torch.from_numpy(np.ascontiguousarray(images)).to(torch.float32).div_(255.0).unsqueeze(1)
