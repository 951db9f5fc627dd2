"""Fashion-MNIST autoencoders: shapes, a loss that falls on a fixed batch, seeds, noise, checkpoints."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from docclean.checkpoint import load_model, save_model
from docclean.errors import ModelError
from training.loop import FitConfig
from training.suite.fashion import (
    Batches,
    FashionTaskConfig,
    add_noise,
    make_loss_fn,
    prepare_model,
    train_fashion,
)
from training.suite.fashion_models import (
    FASHION_ARCHS,
    build_fashion_model,
    default_config,
)

CODE_SHAPES = {"dense": (32,), "sparse": (32,), "deep": (32,), "contractive": (32,), "conv": (16, 4, 4)}


def _batch(n: int = 16) -> torch.Tensor:
    """Fixed images with structure (a bright block whose height varies) so there is something to learn."""
    x = torch.zeros(n, 1, 28, 28)
    for i in range(n):
        x[i, 0, 14 - 3 - i % 8:14 + 3 + i % 8, 8:20] = 0.5 + 0.03 * i
    return x


@pytest.mark.parametrize("arch", sorted(FASHION_ARCHS))
def test_shapes_and_range(arch: str) -> None:
    model = build_fashion_model(arch).eval()
    x = _batch(4)
    with torch.no_grad():
        out = model(x)
    assert out.shape == x.shape and float(out.min()) >= 0.0 and float(out.max()) <= 1.0
    assert tuple(model.encode(x).shape[1:]) == CODE_SHAPES[arch]


@pytest.mark.parametrize("arch", sorted(FASHION_ARCHS))
def test_loss_falls_on_a_fixed_batch(arch: str) -> None:
    torch.manual_seed(0)
    task = FashionTaskConfig(arch=arch).resolved()
    model = prepare_model(build_fashion_model(arch, task.model_config))
    loss_fn = make_loss_fn(task)
    opt = torch.optim.Adam(model.parameters(), lr=3e-3)
    x = _batch()
    losses = []
    for _ in range(8):
        loss, parts = loss_fn(model, (x, x))
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(float(loss.detach()))
    assert losses[-1] < losses[0] * 0.95
    assert ("l1" in parts) == (arch == "sparse")  # only the sparse network pays for its code


def test_sparse_loss_adds_the_code_penalty() -> None:
    torch.manual_seed(0)
    model = build_fashion_model("sparse")
    x = _batch(8)
    loss, parts = make_loss_fn(FashionTaskConfig(arch="sparse", activity_l1=0.01).resolved())(model, (x, x))
    assert parts["l1"] > 0 and float(loss.detach()) == pytest.approx(parts["bce"] + 0.01 * parts["l1"], rel=1e-5)


def test_same_seed_same_weights_other_seed_differs() -> None:
    def weights(seed: int) -> torch.Tensor:
        torch.manual_seed(seed)
        return torch.cat([p.flatten() for p in build_fashion_model("conv").parameters()])

    assert torch.equal(weights(3), weights(3)) and not torch.equal(weights(3), weights(4))


def test_training_run_reproduces_and_checkpoint_rebuilds(tiny_fashion_dir: Path, tmp_path: Path) -> None:
    task = FashionTaskConfig(arch="deep", noise="gaussian", batch_size=16, data_dir=str(tiny_fashion_dir), verify=False)
    runs = [train_fashion(task, FitConfig(out_dir=tmp_path / name, epochs=2, seed=5)) for name in ("a", "b")]
    assert [r["train_loss"] for r in runs[0].history] == [r["train_loss"] for r in runs[1].history]
    _, meta = load_model(runs[0].best_path)
    assert meta["arch"] == "fashion-deep" and meta["config"] == default_config("deep")
    assert meta["task"]["noise_level"] == 0.5  # the resolved default is what gets stored
    assert (tmp_path / "a" / "loss.png").stat().st_size > 0 and (tmp_path / "a" / "reconstructions.png").exists()


def test_checkpoint_of_an_unknown_or_mismatched_network_is_a_model_error(tmp_path: Path) -> None:
    model = build_fashion_model("dense")
    save_model(model, tmp_path / "a.safetensors", "fashion-resnet", {})
    with pytest.raises(ModelError, match="cannot build"):
        load_model(tmp_path / "a.safetensors")
    save_model(model, tmp_path / "b.safetensors", "fashion-deep", default_config("deep"))
    with pytest.raises(ModelError, match="do not fit"):
        load_model(tmp_path / "b.safetensors")


def test_unknown_arch_and_bad_options_raise() -> None:
    with pytest.raises(ValueError, match="unknown Fashion-MNIST architecture"):
        build_fashion_model("resnet")
    with pytest.raises(TypeError):
        build_fashion_model("conv", {"widths": [1, 2, 3]})
    with pytest.raises(ValueError, match="out of range"):
        FashionTaskConfig(noise="salt-pepper", noise_level=1.5).resolved()
    with pytest.raises(ValueError, match="unknown loss"):
        FashionTaskConfig(loss="l2").resolved()


def test_gaussian_noise_is_clipped_and_salt_pepper_hits_the_fraction() -> None:
    x = torch.full((4, 1, 28, 28), 0.5)
    g = torch.Generator().manual_seed(0)
    noisy = add_noise(x, "gaussian", 0.5, g)
    assert float(noisy.min()) == 0.0 and float(noisy.max()) == 1.0 and float((noisy - x).abs().mean()) > 0.2
    sp = add_noise(x, "salt-pepper", 0.1, g)
    hit = (sp != 0.5).float().mean()
    assert 0.08 < float(hit) < 0.12 and set(sp[sp != 0.5].unique().tolist()) == {0.0, 1.0}
    assert add_noise(x, None, None) is x


def test_evaluation_batches_keep_their_noise_and_training_batches_redraw_it() -> None:
    x = _batch(10)
    fixed = [b[0] for b in Batches(x, 4, "gaussian", 0.5, fixed=True)]
    again = [b[0] for b in Batches(x, 4, "gaussian", 0.5, fixed=True)]
    assert len(fixed) == 3 and all(torch.equal(a, b) for a, b in zip(fixed, again))
    train = Batches(x, 4, "gaussian", 0.5)
    first, second = next(iter(train)), next(iter(train))
    assert not torch.equal(first[0], second[0])
    assert torch.equal(first[1], first[1].clamp(0, 1)) and first[1].shape == (4, 1, 28, 28)
