"""VAE task: the KL formula, the reparameterization, model shapes, learning, reproducibility and
checkpoint round trips. Everything runs on tiny tensors on the CPU in a few seconds."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from docclean.errors import DataError, ModelError, UsageError
from training.loop import FitConfig, fit
from training.suite.fashion_data import write_idx_images, write_idx_labels
from training.suite.plots import project_2d
from training.suite.vae import (
    ImageBatches,
    VAELoss,
    kl_to_standard_normal,
    load_test_set,
    load_vae,
    negative_elbo,
    reconstruction_nll,
    vae_loss,
)
from training.suite.vae_models import MLPVAE, ConvVAE, build_vae
from training.suite.vae_pictures import default_output, manifold_codes, plot_manifold, plot_samples

ARCHS = ["mlp", "conv"]


def blob_images(n: int, seed: int = 0) -> torch.Tensor:
    """(n, 1, 28, 28) images of a bright rectangle at a random place: structure a VAE can learn."""
    g = torch.Generator().manual_seed(seed)
    images = torch.zeros(n, 1, 28, 28)
    for i in range(n):
        y, x = torch.randint(0, 16, (2,), generator=g).tolist()
        images[i, 0, y:y + 12, x:x + 10] = 0.9
    return images


def test_kl_matches_torch_closed_form() -> None:
    torch.manual_seed(0)
    mean, logvar = torch.randn(5, 3), torch.randn(5, 3)
    q = torch.distributions.Normal(mean, torch.exp(0.5 * logvar))
    p = torch.distributions.Normal(torch.zeros(3), torch.ones(3))
    expected = torch.distributions.kl_divergence(q, p).sum(dim=1)
    torch.testing.assert_close(kl_to_standard_normal(mean, logvar), expected)


@pytest.mark.parametrize("mu,logvar", [(0.0, 0.0), (1.5, -1.0), (-0.7, 0.8)])
def test_kl_matches_numerical_integration(mu: float, logvar: float) -> None:
    """KL = integral of q(z) (log q(z) - log p(z)) dz, done with the trapezoid rule on a fine grid."""
    sigma = math.exp(0.5 * logvar)
    z = np.linspace(mu - 12 * sigma, mu + 12 * sigma, 200_001)
    log_q = -0.5 * ((z - mu) / sigma) ** 2 - math.log(sigma) - 0.5 * math.log(2 * math.pi)
    log_p = -0.5 * z**2 - 0.5 * math.log(2 * math.pi)
    numeric = np.trapezoid(np.exp(log_q) * (log_q - log_p), z)
    closed = kl_to_standard_normal(torch.tensor([[mu]]), torch.tensor([[logvar]])).item()
    assert closed == pytest.approx(numeric, rel=1e-5, abs=1e-7)
    if mu == 0.0 and logvar == 0.0:
        assert closed == 0.0  # q equal to the prior: no divergence at all


def test_kl_matches_monte_carlo_in_several_dimensions() -> None:
    mean, logvar = torch.tensor([[0.5, -1.0, 2.0]]), torch.tensor([[-0.5, 0.3, -2.0]])
    q = torch.distributions.Normal(mean, torch.exp(0.5 * logvar))
    torch.manual_seed(0)
    z = q.sample(torch.Size([400_000]))  # (400000, 1, 3)
    log_ratio = q.log_prob(z).sum(-1) - torch.distributions.Normal(0.0, 1.0).log_prob(z).sum(-1)
    assert kl_to_standard_normal(mean, logvar).item() == pytest.approx(log_ratio.mean().item(), rel=0.01)


def test_reparameterization_is_differentiable_and_random() -> None:
    mean = torch.tensor([[0.3, -0.2]], requires_grad=True)
    logvar = torch.tensor([[0.1, -0.4]], requires_grad=True)
    torch.manual_seed(1)
    z = MLPVAE.reparameterize(mean, logvar)
    z.sum().backward()
    torch.manual_seed(1)
    eps = torch.randn(1, 2)
    # z = mean + exp(logvar / 2) * eps, so dz/dmean = 1 and dz/dlogvar = exp(logvar / 2) * eps / 2.
    torch.testing.assert_close(mean.grad, torch.ones(1, 2))
    torch.testing.assert_close(logvar.grad, 0.5 * torch.exp(0.5 * logvar.detach()) * eps)
    assert not torch.equal(MLPVAE.reparameterize(mean, logvar), MLPVAE.reparameterize(mean, logvar))


def test_reparameterization_draws_from_a_given_generator_only() -> None:
    mean, logvar = torch.tensor([[0.3, -0.2, 1.0]]), torch.tensor([[0.1, -0.4, 0.0]])
    torch.manual_seed(3)
    before = torch.get_rng_state()
    z = MLPVAE.reparameterize(mean, logvar, torch.Generator().manual_seed(4))
    assert torch.equal(torch.get_rng_state(), before)  # the global random state is left alone
    eps = torch.randn(1, 3, generator=torch.Generator().manual_seed(4))
    assert torch.equal(z, mean + torch.exp(0.5 * logvar) * eps)
    assert torch.equal(z, MLPVAE.reparameterize(mean, logvar, torch.Generator().manual_seed(4)))


@pytest.mark.parametrize("arch", ARCHS)
def test_gradients_reach_the_encoder(arch: str) -> None:
    torch.manual_seed(0)
    model = build_vae(arch, {"latent_dim": 3})
    loss, parts = vae_loss(model, blob_images(4))
    loss.backward()
    encoder_grads = [p.grad for p in model.encoder.parameters()] + [p.grad for p in model.to_stats.parameters()]
    assert all(g is not None and torch.isfinite(g).all() for g in encoder_grads)
    assert any(g.abs().sum() > 0 for g in encoder_grads)
    assert set(parts) == {"recon", "kl"} and loss.item() == pytest.approx(parts["recon"] + parts["kl"], rel=1e-5)


@pytest.mark.parametrize("arch,cls", [("mlp", MLPVAE), ("conv", ConvVAE)])
@pytest.mark.parametrize("latent_dim", [2, 5])
def test_shapes(arch: str, cls: type, latent_dim: int) -> None:
    model = build_vae(arch, {"latent_dim": latent_dim})
    assert isinstance(model, cls) and model.latent_dim == latent_dim
    logits, mean, logvar = model(torch.rand(3, 1, 28, 28))
    assert logits.shape == (3, 1, 28, 28)
    assert mean.shape == logvar.shape == (3, latent_dim)
    assert model.decode(torch.zeros(7, latent_dim)).shape == (7, 1, 28, 28)


def test_build_vae_rejects_unknown_names() -> None:
    with pytest.raises(ValueError, match="unknown VAE"):
        build_vae("transformer")
    with pytest.raises(TypeError):
        build_vae("mlp", {"latent_dims": 2})


def test_reconstruction_is_binary_cross_entropy_summed_over_pixels() -> None:
    images = torch.full((2, 1, 28, 28), 0.25)
    logits = torch.zeros(2, 1, 28, 28)  # p = 0.5 everywhere: BCE is log 2 per pixel
    torch.testing.assert_close(reconstruction_nll(logits, images), torch.full((2,), 784 * math.log(2)))


@pytest.mark.parametrize("arch", ARCHS)
def test_loss_falls_on_a_fixed_batch(arch: str) -> None:
    torch.manual_seed(0)
    model = build_vae(arch, {"latent_dim": 2})
    batch = blob_images(16)
    opt = torch.optim.Adam(model.parameters(), lr=2e-3)
    losses = []
    for _ in range(40):
        loss, _ = vae_loss(model, batch)
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(loss.item())
    assert losses[-1] < 0.7 * losses[0]


def _train_tiny(out: Path, seed: int, beta: float = 1.0) -> tuple[list[dict[str, float]], dict[str, torch.Tensor]]:
    torch.manual_seed(seed)  # initial weights
    model = build_vae("mlp", {"latent_dim": 2, "hidden": 16})
    config = FitConfig(out_dir=out, epochs=2, seed=seed, patience=None, resume=False)
    result = fit(model, VAELoss(beta), ImageBatches(blob_images(40), 8, shuffle=True), config, arch="vae-mlp",
                 model_config=model.config.to_dict(), val_data=ImageBatches(blob_images(10, seed=1), 10))
    return result.history, model.state_dict()


def test_same_seed_reproduces_a_run(tmp_path: Path) -> None:
    history_a, weights_a = _train_tiny(tmp_path / "a", seed=3)
    history_b, weights_b = _train_tiny(tmp_path / "b", seed=3)
    history_c, _ = _train_tiny(tmp_path / "c", seed=4)
    def drop(rows: list[dict[str, float]]) -> list[dict[str, float]]:
        """The rows without their timing, the one figure that may differ between equal runs."""
        return [{k: v for k, v in r.items() if k != "epoch_seconds"} for r in rows]

    assert drop(history_a) == drop(history_b)
    assert all(torch.equal(weights_a[k], weights_b[k]) for k in weights_a)
    assert drop(history_a) != drop(history_c)
    assert {"train_loss", "train_recon", "train_kl", "val_loss", "val_recon", "val_kl"} <= set(history_a[0])


def test_beta_weights_the_kl_term(tmp_path: Path) -> None:
    history, _ = _train_tiny(tmp_path / "beta", seed=0, beta=4.0)
    last = history[-1]
    assert last["val_loss"] == pytest.approx(last["val_recon"] + 4.0 * last["val_kl"], rel=1e-5)


def test_checkpoint_round_trip_and_negative_elbo(tmp_path: Path) -> None:
    _train_tiny(tmp_path / "run", seed=0)
    model, meta = load_vae(tmp_path / "run")
    assert meta["arch"] == "vae-mlp" and model.config.hidden == 16
    images = blob_images(12, seed=2)
    first, again = negative_elbo(model, images, batch_size=5), negative_elbo(model, images, batch_size=5)
    assert first == again  # the latent sample is seeded
    assert first["nelbo"] == pytest.approx(first["recon"] + first["kl"], rel=1e-6)
    assert first["kl"] > 0


def test_load_vae_refuses_missing_and_foreign_files(tmp_path: Path) -> None:
    with pytest.raises(ModelError, match="not found"):
        load_vae(tmp_path / "nothing.safetensors")
    from docclean.checkpoint import save_model

    save_model(torch.nn.Linear(2, 2), tmp_path / "other.safetensors", "docunet", {})
    with pytest.raises(ModelError, match="not a VAE"):
        load_vae(tmp_path / "other.safetensors")


def test_manifold_codes_follow_the_prior_quantiles() -> None:
    codes = manifold_codes(15)
    assert codes.shape == (225, 2)
    z1 = codes[:15, 0]
    assert torch.all(z1[1:] > z1[:-1]) and z1[7].abs() < 1e-6  # symmetric, the middle at the mean
    assert z1[-1].item() == pytest.approx(1.6449, abs=1e-3)  # the 95 % quantile of N(0, 1)
    gaps = z1[1:] - z1[:-1]
    assert gaps[0] > gaps[7]  # wider steps in the tails, where the prior has less mass


def test_manifold_needs_a_two_dimensional_latent(tmp_path: Path) -> None:
    with pytest.raises(ModelError, match="2-D latent"):
        plot_manifold(build_vae("mlp", {"latent_dim": 3}), tmp_path / "m.png")


def test_project_2d_uses_principal_components() -> None:
    rng = np.random.default_rng(0)
    points = rng.normal(size=(500, 5)) * np.array([5.0, 0.1, 0.1, 2.0, 0.1])
    xy, labels = project_2d(points)
    assert xy.shape == (500, 2) and labels[0].startswith("PC1")
    assert xy[:, 0].var() > xy[:, 1].var() > 1.0  # the two widest directions, widest first


@pytest.mark.parametrize("name,fmt", [("s.png", "PNG"), ("s.jpg", "JPEG"), ("s.JPEG", "JPEG")])
def test_pictures_have_the_format_their_name_says(tmp_path: Path, name: str, fmt: str) -> None:
    torch.manual_seed(0)
    path = plot_samples(build_vae("mlp", {"latent_dim": 2}), tmp_path / name, n=4)
    with Image.open(path) as img:
        assert img.format == fmt and img.mode == "L"  # grayscale kept in every raster format
    assert [p.name for p in tmp_path.iterdir()] == [name]


def test_vector_pictures_are_vector_files(tmp_path: Path) -> None:
    model = build_vae("mlp", {"latent_dim": 2})
    assert plot_samples(model, tmp_path / "s.svg", n=4).read_bytes().lstrip().startswith(b"<?xml")
    assert plot_manifold(model, tmp_path / "m.pdf", n=3).read_bytes().startswith(b"%PDF")


def test_picture_names_are_checked_before_any_work(tmp_path: Path) -> None:
    model = build_vae("mlp", {"latent_dim": 2})
    with pytest.raises(UsageError, match=r"ending '\.bmp'.*\.png, \.jpg") as caught:
        plot_samples(model, tmp_path / "s.bmp", n=4)
    assert caught.value.settings == ("out",) and caught.value.path == tmp_path / "s.bmp"
    assert list(tmp_path.iterdir()) == []
    assert default_output(tmp_path / "run", "samples.png", tmp_path) == tmp_path / "samples.png"  # a folder
    assert default_output(tmp_path / "run", "samples.png", None) == tmp_path / "samples.png"  # beside a file
    with pytest.raises(UsageError, match="no ending"):
        default_output(tmp_path / "run", "samples.png", tmp_path / "nowhere")


def _write_split(folder: Path, prefix: str, n: int) -> None:
    """``n`` flat images and their labels as the two files of one split (``train`` or ``t10k``)."""
    folder.mkdir(parents=True, exist_ok=True)
    write_idx_images(folder / f"{prefix}-images-idx3-ubyte.gz", np.full((n, 28, 28), 7, dtype=np.uint8))
    write_idx_labels(folder / f"{prefix}-labels-idx1-ubyte.gz", np.arange(n, dtype=np.uint8) % 10)


def test_load_test_set_reads_only_the_test_files(tmp_path: Path) -> None:
    meta = {"task_config": {"data_dir": str(tmp_path / "saved"), "verify": False}}
    _write_split(tmp_path / "test-only", "t10k", 6)
    images, labels = load_test_set(meta, tmp_path / "test-only", limit=4)
    assert images.shape == (4, 1, 28, 28) and labels.tolist() == [0, 1, 2, 3]
    _write_split(tmp_path / "train-only", "train", 6)
    with pytest.raises(DataError, match="test file is missing") as caught:
        load_test_set(meta, tmp_path / "train-only")
    assert caught.value.path == tmp_path / "train-only" / "t10k-images-idx3-ubyte.gz"
    assert "train-images" not in str(caught.value)
    with pytest.raises(DataError, match="MD5"):  # a run trained with the MD5 check keeps it
        load_test_set({"task_config": {"verify": True}}, tmp_path / "test-only")


def test_load_test_set_verify_overrides_the_run_s_setting(tmp_path: Path) -> None:
    """``verify`` given wins over the run's own: False reads a copy of one's own for a run trained with
    the MD5 check, True checks for a run trained without it; None keeps the run's."""
    _write_split(tmp_path, "t10k", 3)
    checked, unchecked = {"task_config": {"verify": True}}, {"task_config": {"verify": False}}
    assert len(load_test_set(checked, tmp_path, verify=False)[0]) == 3
    assert len(load_test_set(unchecked, tmp_path)[0]) == 3
    with pytest.raises(DataError, match="MD5"):
        load_test_set(unchecked, tmp_path, verify=True)


REAL_DATA = Path(__file__).resolve().parents[3].parent / "shared" / "data" / "fashion-mnist"


@pytest.mark.skipif(not (REAL_DATA / "t10k-images-idx3-ubyte.gz").exists(), reason="Fashion-MNIST not present")
def test_train_vae_on_real_fashion_mnist_beats_a_coin_flip(tmp_path: Path) -> None:
    """One short epoch on 600 real images already beats the 784 * ln 2 nats of a p = 0.5 decoder."""
    from training.suite.vae import VAETaskConfig, load_test_set, train_vae

    task = VAETaskConfig(arch="mlp", latent_dim=2, batch_size=32, data_dir=REAL_DATA, limit=600)
    result = train_vae(task, FitConfig(out_dir=tmp_path / "real", epochs=1, patience=None))
    assert (tmp_path / "real" / "loss.png").exists()
    with Image.open(tmp_path / "real" / "reconstructions.png") as picture:  # originals over reconstructions
        assert picture.height > 100 and picture.width > 5 * picture.height // 2
    model, meta = load_vae(tmp_path / "real")
    images, labels = load_test_set(meta, limit=200)
    assert images.shape == (200, 1, 28, 28) and labels.shape == (200,)
    scores = negative_elbo(model, images)
    assert result.history[0]["val_loss"] < 784 * math.log(2)
    assert scores["nelbo"] < 784 * math.log(2) and scores["kl"] > 0.1


@pytest.mark.parametrize("value", [0.0, 1.0])
def test_grids_draw_pixels_as_every_other_picture_does(tmp_path: Path, value: float) -> None:
    """One convention for the suite's pictures: 0 black, 1 white (Fashion-MNIST's light garments on
    black, as stored). The VAE's grids (samples, manifold, interpolation) drew them inverted, dark on
    white, beside its own reconstructions.png drawn light on black."""
    from training.suite.plots import grid_figure, plot_image_rows, save_figure

    image = np.full((60, 60), value, dtype=np.float32)
    fig, _ = grid_figure(image, "grid")
    pictures = [save_figure(fig, tmp_path / "grid.png", grayscale=True),
                plot_image_rows([("row", image[None])], tmp_path / "rows.png")]
    for path in pictures:
        with Image.open(path) as img:
            gray = np.asarray(img.convert("L"))
        centre = int(gray[gray.shape[0] // 2, gray.shape[1] // 2])
        assert abs(centre - 255 * value) < 30, (path.name, centre)
