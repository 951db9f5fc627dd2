"""Reading a model file's header before trusting anything in it. Pure Python: no torch, no mmap.

A model file may come from a stranger. Before any tensor is mapped or any network is built, the
safetensors header is parsed here by hand and checked: the file is not absurdly large, it is not a
pickle (docclean never loads pickles), the header is bounded JSON, every tensor has a known dtype,
and its declared shape fits exactly the byte range it claims, inside the file. Each failure is a
``ModelError`` naming the file and the field or tensor at fault.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from docclean.errors import ModelError

#: docclean's models are a few MB; anything past this is refused before it is opened for real.
MAX_MODEL_BYTES = 1 << 30
MAX_HEADER_BYTES = 16 << 20
DTYPE_BYTES = {"F64": 8, "F32": 4, "F16": 2, "BF16": 2, "I64": 8, "I32": 4, "I16": 2, "I8": 1, "U8": 1, "BOOL": 1}
METADATA_KEY = "docclean"


@dataclass(frozen=True)
class TensorInfo:
    """One tensor as the header declares it."""

    dtype: str
    shape: tuple[int, ...]
    nbytes: int


@dataclass(frozen=True)
class Header:
    """A checked safetensors header: the tensors and the string metadata."""

    tensors: dict[str, TensorInfo]
    metadata: dict[str, str]
    file_size: int


def _looks_like_pickle(head: bytes) -> bool:
    # Pickle protocol 2+ starts with PROTO (0x80) and the protocol number; torch.save's zip files
    # start with "PK\x03\x04".
    return (head[:1] == b"\x80" and head[1:2] in (b"\x02", b"\x03", b"\x04", b"\x05")) or head[:4] == b"PK\x03\x04"


def read_header(path: str | Path) -> Header:
    """Parse and check the header of a safetensors file; ModelError if anything is off."""
    path = Path(path)
    try:
        size = path.stat().st_size
        if not path.is_file():
            raise ModelError("not a file", path)
        if size > MAX_MODEL_BYTES:
            raise ModelError(f"the file is {size / 2**30:.1f} GiB; docclean models are a few MB, so files over "
                             f"{MAX_MODEL_BYTES >> 30} GiB are refused", path)
        with path.open("rb") as fh:
            head = fh.read(8)
            length = int.from_bytes(head, "little")
            if len(head) < 8 or length > MAX_HEADER_BYTES or 8 + length > size:
                # A header length that cannot be right: say what the file is, if we can tell.
                if _looks_like_pickle(head):
                    raise ModelError("this is not a safetensors file (it looks like a pickle); docclean never "
                                     "loads pickles", path)
                raise ModelError(f"not a safetensors file (its header claims {length} bytes)", path)
            raw = fh.read(length)
            if raw[:1] != b"{":
                raise ModelError("not a safetensors file (its header is not JSON)", path)
    except FileNotFoundError:
        raise ModelError("model file not found", path) from None
    except OSError as exc:
        raise ModelError(f"cannot read the model file ({exc.strerror or exc})", path) from None
    try:
        header = json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise ModelError("not a safetensors file (its header is not JSON)", path) from None
    if not isinstance(header, dict):
        raise ModelError("not a safetensors file (its header is not a JSON object)", path)
    metadata = header.pop("__metadata__", None) or {}
    if not isinstance(metadata, dict) or not all(isinstance(v, str) for v in metadata.values()):
        raise ModelError("safetensors metadata must map names to strings", path)
    data_size = size - 8 - length
    tensors = {name: _check_tensor(path, name, info, data_size) for name, info in header.items()}
    return Header(tensors, metadata, size)


def _check_tensor(path: Path, name: str, info: Any, data_size: int) -> TensorInfo:
    if not isinstance(info, dict):
        raise ModelError(f"tensor {name!r}: malformed entry", path)
    dtype, shape, offsets = info.get("dtype"), info.get("shape"), info.get("data_offsets")
    if dtype not in DTYPE_BYTES:
        raise ModelError(f"tensor {name!r}: unknown dtype {dtype!r}", path)
    if not isinstance(shape, list) or not all(isinstance(d, int) and 0 <= d < 2**40 for d in shape):
        raise ModelError(f"tensor {name!r}: malformed shape {shape!r}", path)
    if (not isinstance(offsets, list) or len(offsets) != 2 or not all(isinstance(o, int) for o in offsets)
            or not 0 <= offsets[0] <= offsets[1] <= data_size):
        raise ModelError(f"tensor {name!r}: data offsets {offsets!r} lie outside the file", path)
    nbytes = math.prod(shape) * DTYPE_BYTES[dtype]
    if nbytes != offsets[1] - offsets[0]:
        raise ModelError(f"tensor {name!r}: shape {shape} needs {nbytes} bytes but the file gives it "
                         f"{offsets[1] - offsets[0]}", path)
    return TensorInfo(dtype, tuple(shape), nbytes)


def read_metadata(path: str | Path) -> dict[str, Any]:
    """The JSON metadata docclean stores in a checkpoint's header (checked; no tensor is read)."""
    header = read_header(path)
    raw = header.metadata.get(METADATA_KEY)
    if raw is None:
        raise ModelError("safetensors file has no docclean metadata", path)
    try:
        meta = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise ModelError(f"metadata is not valid JSON ({exc})", path) from None
    if not isinstance(meta, dict) or "arch" not in meta:
        raise ModelError("metadata names no architecture", path)
    if not isinstance(meta.get("config", {}), (dict, type(None))):
        raise ModelError("metadata field 'config' is not an object", path)
    return meta
