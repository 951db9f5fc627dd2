"""The Olivetti faces: loader (checksum, layout, person split), model shapes, corruption, training."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from docclean.checkpoint import load_model, save_model
from docclean.errors import DataError
from training.loop import FitConfig
from training.suite.faces import PATCH, FaceBatches, FacesTaskConfig, corrupt, mse_loss, train_faces
from training.suite.faces_data import (
    FILE_NAME,
    load_faces,
    read_mat_variables,
    resolve_data_dir,
    split_people,
    write_faces_mat,
)
from training.suite.faces_models import FacesAEConfig, FacesAutoencoder, build_faces_model

REAL = Path(__file__).resolve().parents[3].parent / "shared" / "data" / "olivetti"


def synthetic_faces(people: int = 6) -> np.ndarray:
    """``people`` x 10 64x64 uint8 'faces': a person's own blob pattern plus a little noise each."""
    rng = np.random.default_rng(0)
    yy, xx = np.mgrid[0:64, 0:64]
    faces = []
    for p in range(people):
        cy, cx = rng.integers(16, 48, size=2)
        base = 60 + 150 * np.exp(-((yy - cy) ** 2 + (xx - cx) ** 2) / (2 * (6 + 2 * p) ** 2))
        faces += [np.clip(base + rng.normal(0, 8, base.shape), 0, 255).astype(np.uint8) for _ in range(10)]
    return np.stack(faces)


@pytest.fixture(scope="module")
def faces_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("olivetti")
    write_faces_mat(folder / FILE_NAME, synthetic_faces())
    return folder


def test_written_file_reads_back_with_people(faces_dir: Path) -> None:
    faces = load_faces(faces_dir, verify=False)
    assert faces.images.shape == (60, 64, 64) and faces.images.dtype == np.uint8
    assert np.array_equal(faces.images, synthetic_faces())
    assert faces.people.tolist() == [i // 10 for i in range(60)]
    raw = read_mat_variables(faces_dir / FILE_NAME)["faces"]
    assert raw.shape == (4096, 60)  # the original's layout: one face per column


def test_checksum_is_checked(faces_dir: Path, tmp_path: Path) -> None:
    with pytest.raises(DataError, match="SHA-256"):
        load_faces(faces_dir, verify=True)  # our own file is not the published one
    with pytest.raises(DataError, match="missing"):
        load_faces(tmp_path, verify=False)
    (tmp_path / FILE_NAME).write_bytes(b"MATLAB 5.0 MAT-file" + b"\0" * 50)
    with pytest.raises(DataError, match="not a MATLAB"):
        load_faces(tmp_path, verify=False)


@pytest.mark.skipif(not (REAL / FILE_NAME).exists(), reason="the shared Olivetti file is not here")
def test_the_published_file_passes_and_is_upright() -> None:
    faces = load_faces(REAL)  # verify=True: the SHA-256 in SHA256SUMS
    assert faces.images.shape == (400, 64, 64) and faces.people.max() == 39
    # Upright, not transposed: the mean face is mirror-symmetric left to right, not top to bottom.
    mean = faces.images.astype(float).mean(axis=0)
    assert np.abs(mean - mean[:, ::-1]).mean() < 0.5 * np.abs(mean - mean[::-1]).mean()


def test_data_dir_from_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("DOCCLEAN_DATA", str(tmp_path))
    assert resolve_data_dir(None) == tmp_path / "olivetti"
    assert resolve_data_dir(Path("/x")) == Path("/x")


def test_split_is_by_person_and_seeded() -> None:
    people = np.arange(400) // 10
    train, val, test = split_people(people, test_people=8, val_people=4, seed=0)
    assert (len(train), len(val), len(test)) == (280, 40, 80)
    sets = [set(people[i]) for i in (train, val, test)]
    assert not (sets[0] & sets[1] or sets[0] & sets[2] or sets[1] & sets[2])
    assert np.array_equal(split_people(people, seed=0)[2], test)
    assert not np.array_equal(split_people(people, seed=1)[2], test)
    with pytest.raises(ValueError):
        split_people(people, test_people=30, val_people=10)


def test_shapes() -> None:
    model = FacesAutoencoder(FacesAEConfig(widths=[4, 8, 8], code=16))
    x = torch.rand(3, 1, 64, 64)
    assert model.encode(x).shape == (3, 16)
    with torch.no_grad():
        out = model(x)
    assert out.shape == (3, 1, 64, 64) and 0 <= float(out.min()) and float(out.max()) <= 1
    assert build_faces_model().encode(x).shape == (3, 64)  # the default: 4,096 pixels -> 64 numbers


def test_corruptions() -> None:
    faces = torch.full((4, 1, 64, 64), 0.5)
    g = torch.Generator().manual_seed(0)
    masked = corrupt(faces, "mask", 0.25, g)
    blocks = masked[:, 0].reshape(4, 64 // PATCH, PATCH, 64 // PATCH, PATCH)
    per_patch = blocks.amax(dim=(2, 4))  # a patch is blanked whole or not at all
    assert set(per_patch.unique().tolist()) == {0.0, 0.5}
    assert torch.equal(blocks.amin(dim=(2, 4)), per_patch)
    assert 0.1 < float((per_patch == 0).float().mean()) < 0.4
    noisy = corrupt(faces, "gaussian", 0.2, g)
    assert 0.15 < float((noisy - faces).std()) < 0.25 and float(noisy.min()) >= 0
    assert corrupt(faces, None, None) is faces
    fixed = [next(iter(FaceBatches(faces, 4, "mask", 0.5, fixed=True)))[0] for _ in range(2)]
    assert torch.equal(fixed[0], fixed[1])  # evaluation noise is the same every time


def test_loss_falls_on_a_fixed_batch() -> None:
    torch.manual_seed(0)
    model = FacesAutoencoder(FacesAEConfig(widths=[4, 8], code=8))
    clean = torch.from_numpy(synthetic_faces(2)[::10].astype(np.float32) / 255)[:, None]
    batch = (corrupt(clean, "mask", 0.25, torch.Generator().manual_seed(0)), clean)
    opt = torch.optim.Adam(model.parameters(), lr=3e-3)
    losses = []
    for _ in range(25):
        loss, parts = mse_loss(model, batch)
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(float(loss.detach()))
    assert losses[-1] < 0.3 * losses[0] and parts["mse"] == pytest.approx(losses[-1], rel=0.2)


def test_checkpoint_rebuilds_through_the_registry(tmp_path: Path) -> None:
    model = FacesAutoencoder(FacesAEConfig(widths=[4, 8], code=5))
    path = save_model(model, tmp_path / "f.safetensors", "faces-conv", model.config.to_dict())
    loaded, meta = load_model(path)
    assert isinstance(loaded, FacesAutoencoder) and loaded.config.code == 5


def test_train_writes_the_run_folder(faces_dir: Path, tmp_path: Path) -> None:
    task = FacesTaskConfig(noise="gaussian", widths=[4, 8, 8], code=8, test_people=2, val_people=1,
                           data_dir=str(faces_dir), verify=False)
    result = train_faces(task, FitConfig(out_dir=tmp_path / "run", epochs=1, device="cpu"))
    assert result.epochs_run == 1
    for name in ("config.json", "metrics.csv", "best.safetensors", "loss.png", "reconstructions.png"):
        assert (tmp_path / "run" / name).stat().st_size > 0


def test_pca_reference_beats_the_mean_face(faces_dir: Path) -> None:
    from training.suite.faces_eval import pca_baseline

    task = FacesTaskConfig(test_people=2, val_people=1, data_dir=str(faces_dir), verify=False)
    ref = pca_baseline(task, 8)
    assert 0 < ref["pca_mse"] < ref["mean_mse"] and ref["pca_psnr"] > ref["mean_psnr"]
