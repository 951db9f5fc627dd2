"""Fashion-MNIST loading: MD5 checks, corrupt and missing files, download from file:// URLs, the real files."""

from __future__ import annotations

import gzip
import shutil
import struct
from pathlib import Path

import numpy as np
import pytest

from docclean.errors import DataError
from training.suite.fashion_data import (
    CLASS_NAMES,
    FILES,
    OFFICIAL_URL,
    load_fashion_mnist,
    resolve_data_dir,
    to_tensor,
    train_val_split,
    write_idx_images,
)

REAL_DATA = Path(__file__).resolve().parents[3].parent / "shared" / "data" / "fashion-mnist"
TRAIN_IMAGES = FILES["train_images"][0]


@pytest.fixture
def fashion_copy(tiny_fashion_dir: Path, tmp_path: Path) -> Path:
    """A private, writable copy of the tiny data set, for tests that damage it."""
    return Path(shutil.copytree(tiny_fashion_dir, tmp_path / "fashion"))


def test_tiny_files_load_with_verify_off(tiny_fashion_dir: Path) -> None:
    data = load_fashion_mnist(tiny_fashion_dir, verify=False)
    assert data.train_images.shape == (64, 28, 28) and data.train_images.dtype == np.uint8
    assert data.test_images.shape == (32, 28, 28) and data.test_labels.shape == (32,)
    assert data.train_images.max() > 100 and data.train_labels.max() < len(CLASS_NAMES)


def test_md5_mismatch_names_the_file(tiny_fashion_dir: Path) -> None:
    with pytest.raises(DataError, match="MD5") as info:
        load_fashion_mnist(tiny_fashion_dir, verify=True)
    assert info.value.path is not None and info.value.path.name in {name for name, _ in FILES.values()}


def test_missing_file_says_how_to_get_it(fashion_copy: Path) -> None:
    (fashion_copy / TRAIN_IMAGES).unlink()
    with pytest.raises(DataError) as info:
        load_fashion_mnist(fashion_copy, verify=False)
    message = str(info.value)
    assert TRAIN_IMAGES in message and "--download" in message and OFFICIAL_URL in message


def test_not_gzip_is_a_data_error(fashion_copy: Path) -> None:
    (fashion_copy / TRAIN_IMAGES).write_bytes(b"this is not a gzip file at all")
    with pytest.raises(DataError, match="gzip") as info:
        load_fashion_mnist(fashion_copy, verify=False)
    assert info.value.path == fashion_copy / TRAIN_IMAGES


def test_truncated_gzip_is_a_data_error(fashion_copy: Path) -> None:
    path = fashion_copy / TRAIN_IMAGES
    path.write_bytes(path.read_bytes()[:200])
    with pytest.raises(DataError, match="gzip"):
        load_fashion_mnist(fashion_copy, verify=False)


def test_bad_magic_is_a_data_error(fashion_copy: Path) -> None:
    with gzip.open(fashion_copy / TRAIN_IMAGES, "wb") as f:
        f.write(struct.pack(">IIII", 2049, 1, 28, 28) + bytes(784))
    with pytest.raises(DataError, match="magic number 2049"):
        load_fashion_mnist(fashion_copy, verify=False)


def test_header_that_overstates_the_pixels_is_a_data_error(fashion_copy: Path) -> None:
    with gzip.open(fashion_copy / TRAIN_IMAGES, "wb") as f:
        f.write(struct.pack(">IIII", 2051, 5, 28, 28) + bytes(784 * 4))
    with pytest.raises(DataError, match="5x28x28"):
        load_fashion_mnist(fashion_copy, verify=False)


def test_image_and_label_counts_must_agree(fashion_copy: Path) -> None:
    write_idx_images(fashion_copy / TRAIN_IMAGES, np.zeros((63, 28, 28), np.uint8))
    with pytest.raises(DataError, match="63 images but 64 labels"):
        load_fashion_mnist(fashion_copy, verify=False)


def test_download_from_a_file_url(tiny_fashion_dir: Path, tmp_path: Path) -> None:
    target = tmp_path / "fresh"
    data = load_fashion_mnist(target, verify=False, download=True, base_url=tiny_fashion_dir.as_uri())
    assert sorted(p.name for p in target.iterdir()) == sorted(name for name, _ in FILES.values())
    expected = load_fashion_mnist(tiny_fashion_dir, verify=False)
    np.testing.assert_array_equal(data.train_images, expected.train_images)
    np.testing.assert_array_equal(data.test_labels, expected.test_labels)


def test_download_with_wrong_md5_leaves_nothing_behind(tiny_fashion_dir: Path, tmp_path: Path) -> None:
    target = tmp_path / "fresh"
    with pytest.raises(DataError, match="wrong MD5"):
        load_fashion_mnist(target, verify=True, download=True, base_url=tiny_fashion_dir.as_uri() + "/")
    assert list(target.iterdir()) == []  # neither the bad file nor a partial download


def test_download_from_a_missing_source_names_the_file(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="download from .* failed") as info:
        load_fashion_mnist(tmp_path / "fresh", download=True, base_url=(tmp_path / "nowhere").as_uri())
    assert info.value.path is not None and info.value.path.name == TRAIN_IMAGES


def test_resolve_data_dir_order(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.delenv("DOCCLEAN_DATA", raising=False)
    assert resolve_data_dir(None) == tmp_path / "cache" / "docclean" / "fashion-mnist"
    monkeypatch.setenv("DOCCLEAN_DATA", str(tmp_path / "data"))
    assert resolve_data_dir(None) == tmp_path / "data" / "fashion-mnist"
    assert resolve_data_dir(tmp_path / "mine") == tmp_path / "mine"


def test_data_folders_expand_a_home_and_keep_a_name_that_begins_with_a_tilde(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.chdir(tmp_path)
    assert resolve_data_dir(Path("~/fashion")) == tmp_path / "home" / "fashion"
    monkeypatch.setenv("DOCCLEAN_DATA", "~/data")
    assert resolve_data_dir(None) == tmp_path / "home" / "data" / "fashion-mnist"
    (tmp_path / "~copy").mkdir()  # a folder really named so: no home is meant (docclean.places.user_path)
    assert resolve_data_dir(Path("~copy")) == Path("~copy")


def test_to_tensor_scales_and_adds_a_channel() -> None:
    images = np.array([[[0, 255], [51, 102]]], dtype=np.uint8)
    tensor = to_tensor(images)
    assert tensor.shape == (1, 1, 2, 2) and str(tensor.dtype) == "torch.float32"
    assert tensor.flatten().tolist() == pytest.approx([0.0, 1.0, 0.2, 0.4])


def test_train_val_split_is_a_seeded_partition() -> None:
    train, val = train_val_split(60000)
    assert len(train) == 55000 and len(val) == 5000
    assert np.intersect1d(train, val).size == 0 and np.union1d(train, val).size == 60000
    np.testing.assert_array_equal(val, train_val_split(60000)[1])
    assert not np.array_equal(val, train_val_split(60000, seed=1)[1])
    assert [len(part) for part in train_val_split(3)] == [2, 1]  # tiny sets keep one of each


@pytest.mark.skipif(not (REAL_DATA / TRAIN_IMAGES).exists(), reason="the shared Fashion-MNIST files are absent")
def test_the_official_files() -> None:
    data = load_fashion_mnist(REAL_DATA, verify=True)
    assert data.train_images.shape == (60000, 28, 28) and data.test_images.shape == (10000, 28, 28)
    assert np.bincount(data.train_labels).tolist() == [6000] * 10
    assert data.test_labels[:20].tolist() == [9, 2, 1, 1, 6, 1, 4, 6, 5, 7, 4, 5, 7, 3, 4, 1, 2, 4, 8, 0]
    assert data.train_images.mean() / 255 == pytest.approx(0.2860, abs=1e-4)
