"""docclean.models: where a model comes from, and what a user who gives the wrong thing is told."""

import shutil
from pathlib import Path

import pytest

from docclean.errors import ModelError
from docclean.models import resolve_model_path


def test_a_run_folder_given_as_the_model_names_its_best_checkpoint(tmp_path: Path, tiny_model_path: Path) -> None:
    run = tmp_path / "run"
    run.mkdir()
    with pytest.raises(ModelError, match="a folder, not a model file; give a .safetensors file") as info:
        resolve_model_path(run)
    assert info.value.path == run
    shutil.copy(tiny_model_path, run / "best.safetensors")
    with pytest.raises(ModelError, match=f"a folder, not a model file; use {run / 'best.safetensors'}"):
        resolve_model_path(str(run))
    assert resolve_model_path(run / "best.safetensors") == run / "best.safetensors"


def test_a_run_s_optimizer_state_is_described_as_no_model(tmp_path: Path) -> None:
    import json

    import torch

    from docclean.checkpoint import atomic_save_tensors
    from docclean.models import describe_model

    state = tmp_path / "state.safetensors"
    atomic_save_tensors({"exp_avg": torch.zeros(3)}, state, {"docclean": json.dumps({"arch": "trainer-state"})})
    with pytest.raises(ModelError, match="a training run's saved optimizer state, not a model: use best"):
        describe_model(state)  # it listed Adam's moments as the model's parameters


def _suite_run(kind: str, out: Path, fashion: Path, faces: Path) -> Path:
    """Train one epoch of a teaching-suite task on tiny data; the best checkpoint it wrote."""
    from training.loop import FitConfig

    fit_config = FitConfig(out_dir=out, epochs=1, device="cpu")
    if kind == "vae":
        from training.suite.vae import VAETaskConfig, train_vae

        train_vae(VAETaskConfig(arch="mlp", data_dir=fashion, verify=False, batch_size=32), fit_config)
    elif kind == "fashion":
        from training.suite.fashion import FashionTaskConfig, train_fashion

        train_fashion(FashionTaskConfig(data_dir=str(fashion), verify=False, batch_size=32), fit_config)
    else:
        from training.suite.faces import FacesTaskConfig, train_faces

        train_faces(FacesTaskConfig(code=8, widths=[4, 8, 8], test_people=2, val_people=1, data_dir=str(faces),
                                    verify=False), fit_config)
    return out / "best.safetensors"


@pytest.mark.parametrize(("kind", "expected"), [
    ("vae", r"Fashion-MNIST \(teaching suite\): train \d+, val \d+ images from {fashion}"),
    ("fashion", r"Fashion-MNIST \(teaching suite\): train \d+, val \d+ images from {fashion}"),
    ("faces", r"Olivetti faces \(teaching suite\): train \d+, val \d+, test \d+ images from {faces}")],
    ids=["vae", "fashion", "faces"])
def test_a_teaching_suite_model_says_what_it_was_trained_on(tmp_path: Path, tiny_fashion_dir: Path, kind: str,
                                                            expected: str) -> None:
    # A VAE's checkpoint read "data not recorded", and the others only "train N, val N": its counts and
    # folder are in its metadata, and the network says which data set it is for.
    import re

    import numpy as np
    import torch

    from docclean.models import describe_lines, describe_model
    from training.suite.faces_data import FILE_NAME, write_faces_mat

    faces = tmp_path / "olivetti"
    faces.mkdir()
    rng = np.random.default_rng(0)
    write_faces_mat(faces / FILE_NAME, rng.integers(0, 255, (50, 64, 64), dtype=np.uint8))
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # a tiny network: a second thread only waits
    try:
        best = _suite_run(kind, tmp_path / "run", tiny_fashion_dir, faces)
    finally:
        torch.set_num_threads(threads)
    data_line = next(line for line in describe_lines(describe_model(best)) if line.startswith("  data "))
    folders = {"fashion": re.escape(str(tiny_fashion_dir.resolve())), "faces": re.escape(str(faces.resolve()))}
    assert re.fullmatch(r"  data +" + expected.format(**folders), data_line), data_line
    assert describe_model(best)["data"]["train"] > 0  # type: ignore[index]


def test_the_description_the_cli_and_the_desktop_app_show_names_each_resume() -> None:
    """The desktop app's About box shows describe_lines too: it left out the resumes `docclean
    models` had come to show."""
    from docclean.models import describe_lines

    info = {"name": "best", "builtin": False, "path": "run/best.safetensors", "arch": "docunet", "config": {},
            "parameters": 10, "bytes": 1000, "val_metrics": {}, "epoch": None, "data": None,
            "command": "docclean train --out run", "resumed": ["docclean train --resume run --lr 0.0001"],
            "init_from": None}
    lines = describe_lines(info)
    at = lines.index("  command       docclean train --out run")
    assert lines[at + 1] == "  resumed       docclean train --resume run --lr 0.0001"


def test_every_built_in_model_says_what_it_is_for():
    from docclean.models import BUILTIN_USES, builtin_models, describe_lines, describe_model

    assert set(BUILTIN_USES) == set(builtin_models())  # a model shipped without a line would say nothing
    lines = describe_lines(describe_model("marks"))
    assert lines[0] == "marks (built-in)" and lines[1] == f"  for           {BUILTIN_USES['marks']}"
