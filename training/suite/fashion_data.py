"""Fashion-MNIST: read the four official IDX gz files, check them, and download them on request.

The data folder is, in order of precedence: the ``data_dir`` argument; ``$DOCCLEAN_DATA/fashion-mnist``
when the ``DOCCLEAN_DATA`` environment variable names a root folder of data sets; otherwise the
per-user cache ``$XDG_CACHE_HOME/docclean/fashion-mnist`` (``~/.cache/docclean/fashion-mnist``).

Nothing is fetched unless the caller asks (``download=True``, the commands' ``--download``); a
missing file otherwise raises :class:`~docclean.errors.DataError` naming the file and how to get it.
Every file is checked against the official MD5 (``verify=False`` skips that, for copies of one's own
and small self-written test files) and its IDX header is checked against the shape it must have, so a
truncated or foreign file fails with a clear message instead of a reshape error deep inside numpy.
:func:`load_fashion_mnist` reads the four files (training); :func:`load_test_split` the two test
files alone (scoring or drawing a trained run needs no training file).
"""

from __future__ import annotations

import gzip
import http.client
import os
import struct
import urllib.error
import urllib.request
import zlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from docclean.atomic import atomic_path
from docclean.digest import file_digest
from docclean.errors import DataError
from docclean.places import user_path

OFFICIAL_URL = "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/"
"""Where Zalando Research publishes the four files."""

CLASS_NAMES: list[str] = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
                          "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"]

FILES: dict[str, tuple[str, str]] = {
    "train_images": ("train-images-idx3-ubyte.gz", "8d4fb7e6c68d591d4c3dfef9ec88bf0d"),
    "train_labels": ("train-labels-idx1-ubyte.gz", "25c81989df183df01b3e8a0aad5dffbe"),
    "test_images": ("t10k-images-idx3-ubyte.gz", "bef4ecab320f06d8554ea6380940ec79"),
    "test_labels": ("t10k-labels-idx1-ubyte.gz", "bb300cfdad3c16e7a12a480ee83cd310"),
}
"""Role -> (file name, official MD5)."""

IMAGES_MAGIC, LABELS_MAGIC = 2051, 2049
DATA_ENV = "DOCCLEAN_DATA"
SUBDIR = "fashion-mnist"


@dataclass
class FashionMNIST:
    """The data set as uint8 arrays: images (N, 28, 28) with 0 = background, labels (N,) in 0..9."""

    train_images: np.ndarray
    train_labels: np.ndarray
    test_images: np.ndarray
    test_labels: np.ndarray


def resolve_data_dir(data_dir: Path | None, subdir: str = SUBDIR) -> Path:
    """The folder that holds (or will hold) a data set's files: ``data_dir``, else
    ``$DOCCLEAN_DATA/<subdir>``, else ``~/.cache/docclean/<subdir>`` (see the module docstring)."""
    if data_dir is not None:
        return user_path(data_dir)
    root = os.environ.get(DATA_ENV)
    if root:
        return user_path(root) / subdir
    cache = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return user_path(cache) / "docclean" / subdir


def file_md5(path: Path) -> str:
    """Hex MD5 of a file, read in chunks so large files need little memory."""
    return file_digest(path, "md5")


def download_file(name: str, folder: Path, base_url: str = OFFICIAL_URL, md5: str | None = None) -> Path:
    """Fetch ``base_url + name`` into ``folder``; the file appears whole (temp file, then rename).

    ``base_url`` may be a ``file://`` URL, which is how the tests exercise this without a network.
    With ``md5`` given, a download whose checksum differs is discarded and raises DataError.
    """
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / name
    url = base_url if base_url.endswith("/") else base_url + "/"
    url += name
    try:
        with atomic_path(target, suffix=".part") as tmp:
            with tmp.open("wb") as out, urllib.request.urlopen(url, timeout=60) as response:
                for chunk in iter(lambda: response.read(1 << 20), b""):
                    out.write(chunk)
            if md5 is not None and file_md5(tmp) != md5:
                raise DataError(f"downloaded file from {url} has the wrong MD5 (expected {md5})", target)
    except (urllib.error.URLError, http.client.HTTPException, OSError, ValueError) as exc:
        raise DataError(f"download from {url} failed ({exc})", target) from None
    return target


def _read_gz(path: Path) -> bytes:
    try:
        with gzip.open(path, "rb") as f:
            return f.read()
    except (OSError, EOFError, zlib.error) as exc:
        raise DataError(f"not a readable gzip file ({exc})", path) from None


def read_idx_images(path: Path) -> np.ndarray:
    """Read an IDX3 gz image file (magic 2051) as a (N, rows, cols) uint8 array."""
    raw = _read_gz(path)
    if len(raw) < 16:
        raise DataError(f"IDX image header is truncated ({len(raw)} bytes)", path)
    magic, count, rows, cols = struct.unpack(">IIII", raw[:16])
    if magic != IMAGES_MAGIC:
        raise DataError(f"bad IDX magic number {magic} (expected {IMAGES_MAGIC} for images)", path)
    if len(raw) - 16 != count * rows * cols:
        raise DataError(f"header says {count}x{rows}x{cols} pixels but the file holds {len(raw) - 16} bytes", path)
    return np.frombuffer(raw, dtype=np.uint8, offset=16).reshape(count, rows, cols).copy()


def read_idx_labels(path: Path) -> np.ndarray:
    """Read an IDX1 gz label file (magic 2049) as an (N,) uint8 array of values 0..9."""
    raw = _read_gz(path)
    if len(raw) < 8:
        raise DataError(f"IDX label header is truncated ({len(raw)} bytes)", path)
    magic, count = struct.unpack(">II", raw[:8])
    if magic != LABELS_MAGIC:
        raise DataError(f"bad IDX magic number {magic} (expected {LABELS_MAGIC} for labels)", path)
    if len(raw) - 8 != count:
        raise DataError(f"header says {count} labels but the file holds {len(raw) - 8} bytes", path)
    labels = np.frombuffer(raw, dtype=np.uint8, offset=8).copy()
    if labels.size and labels.max() >= len(CLASS_NAMES):
        raise DataError(f"label {int(labels.max())} is out of range 0..{len(CLASS_NAMES) - 1}", path)
    return labels


def write_idx_images(path: Path, images: np.ndarray) -> Path:
    """Write (N, rows, cols) uint8 images as an IDX3 gz file (e.g. a subset, or test data)."""
    images = np.ascontiguousarray(images, dtype=np.uint8)
    header = struct.pack(">IIII", IMAGES_MAGIC, *images.shape)
    with gzip.open(path, "wb") as f:
        f.write(header + images.tobytes())
    return Path(path)


def write_idx_labels(path: Path, labels: np.ndarray) -> Path:
    """Write (N,) uint8 labels as an IDX1 gz file."""
    labels = np.ascontiguousarray(labels, dtype=np.uint8)
    with gzip.open(path, "wb") as f:
        f.write(struct.pack(">II", LABELS_MAGIC, len(labels)) + labels.tobytes())
    return Path(path)


def check_data_folder(folder: Path, holds: str) -> Path:
    """``folder``, unless a file stands there: then DataError saying to give the folder that holds
    ``holds`` (``--data-dir x/olivettifaces.mat`` was read as a folder and the file sought inside it)."""
    if folder.exists() and not folder.is_dir():
        raise DataError(f"a file, not a folder; give the folder that holds {holds}", folder)
    return folder


def _ensure_file(folder: Path, name: str, md5: str, *, verify: bool, download: bool, base_url: str,
                 named: bool = False, test_only: bool = False) -> Path:
    """``folder/name``, fetched when missing and ``download``; ``named``: the folder was given (an
    option, a run's own), so the message does not offer the environment variable it overrides;
    ``test_only``: the caller reads the two test files alone, and the message says so."""
    path = folder / name
    if not path.exists():
        if not download:
            if test_only:
                raise DataError(f"Fashion-MNIST test file is missing; rerun with --download to fetch it from "
                                f"{base_url}, or put the two test files in {folder} (or name the folder that "
                                "holds them with --data-dir)", path)
            where = "" if named else f" (or set {DATA_ENV})"
            raise DataError(f"Fashion-MNIST file is missing; rerun with --download to fetch it from "
                            f"{base_url}, or put the four files in {folder}{where}", path)
        download_file(name, folder, base_url, md5 if verify else None)
    if verify:
        actual = file_md5(path)
        if actual != md5:
            raise DataError(f"MD5 is {actual}, expected {md5}: the file is corrupt or not the official one "
                            "(delete it and rerun with --download, or use --no-verify for a copy of your own)",
                            path)
    return path


def load_fashion_mnist(data_dir: Path | None = None, *, verify: bool = True, download: bool = False,
                       base_url: str = OFFICIAL_URL) -> FashionMNIST:
    """Load Fashion-MNIST from ``resolve_data_dir(data_dir)``, downloading missing files if asked.

    Raises DataError (naming the file) for a missing file, a wrong MD5 (unless ``verify=False``), a
    file that is not gzip, a bad IDX header, or images and labels whose counts or sizes disagree.
    """
    folder = check_data_folder(resolve_data_dir(data_dir), "the four Fashion-MNIST files")
    paths = {role: _ensure_file(folder, name, md5, verify=verify, download=download, base_url=base_url,
                                named=data_dir is not None)
             for role, (name, md5) in FILES.items()}
    data = FashionMNIST(
        train_images=read_idx_images(paths["train_images"]),
        train_labels=read_idx_labels(paths["train_labels"]),
        test_images=read_idx_images(paths["test_images"]),
        test_labels=read_idx_labels(paths["test_labels"]),
    )
    for split in ("train", "test"):
        images, labels = getattr(data, f"{split}_images"), getattr(data, f"{split}_labels")
        if images.shape[1:] != (28, 28):
            raise DataError(f"images are {images.shape[1]}x{images.shape[2]}, expected 28x28",
                            paths[f"{split}_images"])
        if len(images) != len(labels):
            raise DataError(f"{len(images)} images but {len(labels)} labels in "
                            f"{paths[f'{split}_labels'].name}", paths[f"{split}_images"])
    return data


def load_test_split(data_dir: Path | None = None, *, verify: bool = True, download: bool = False,
                    base_url: str = OFFICIAL_URL) -> tuple[np.ndarray, np.ndarray]:
    """The test images (N, 28, 28) and labels (N,) of the copy in ``resolve_data_dir(data_dir)``,
    read alone: scoring or drawing a trained run needs no training file, so a missing or corrupt one
    must not stop it (nor be the file an error names). Missing test files are fetched when
    ``download``; DataError as :func:`load_fashion_mnist` raises, naming the test file."""
    folder = check_data_folder(resolve_data_dir(data_dir), "the Fashion-MNIST test files")
    images_path, labels_path = (_ensure_file(folder, *FILES[role], verify=verify, download=download,
                                             base_url=base_url, named=data_dir is not None, test_only=True)
                                for role in ("test_images", "test_labels"))
    images, labels = read_idx_images(images_path), read_idx_labels(labels_path)
    if images.shape[1:] != (28, 28):
        raise DataError(f"images are {images.shape[1]}x{images.shape[2]}, expected 28x28", images_path)
    if len(images) != len(labels):
        raise DataError(f"{len(images)} images but {len(labels)} labels in {labels_path.name}", images_path)
    return images, labels


def to_tensor(images: np.ndarray) -> torch.Tensor:
    """uint8 images (N, 28, 28) -> float32 tensor (N, 1, 28, 28) scaled to 0..1."""
    return torch.from_numpy(np.ascontiguousarray(images)).to(torch.float32).div_(255.0).unsqueeze(1)


def train_val_split(n: int, val_fraction: float = 1 / 12, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Shuffle ``range(n)`` with ``seed`` and split it into sorted (train, val) index arrays.

    The default 1/12 holds out 5,000 of the 60,000 training images. At least one image stays in
    each part when ``n >= 2``, so tiny test sets still validate.
    """
    if not 0.0 <= val_fraction < 1.0:
        raise ValueError(f"val_fraction must be in [0, 1), got {val_fraction}")
    order = np.random.default_rng(seed).permutation(n)
    n_val = round(n * val_fraction)
    if n >= 2 and val_fraction > 0:
        n_val = min(max(n_val, 1), n - 1)
    return np.sort(order[n_val:]), np.sort(order[:n_val])
