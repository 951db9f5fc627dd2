"""`docclean vae`: train a variational autoencoder on Fashion-MNIST, evaluate it, and draw pictures
of a trained run (latent space, decoded manifold, prior samples, interpolations).

Declarations only: the work is in ``training.suite.vae`` and ``training.suite.vae_pictures``. Errors print one line
and exit 1; usage errors (bad options, a test index out of range, a picture name with an ending we
cannot write) exit 2. Counts that size a picture are bounded, so a typo cannot ask for a picture of
gigabytes; seeds take 0..4294967295 (32 bits, as every docclean command's: ``cli.options``).
"""

from __future__ import annotations

from enum import Enum
from pathlib import Path
from typing import Annotated

import typer

from cli.errors import reported_errors
from cli.options import OutOpt, seed_option

app = typer.Typer(help="Variational autoencoders on Fashion-MNIST: train, evaluate, draw.", no_args_is_help=True)

RunArg = Annotated[Path, typer.Argument(help="Run folder written by `docclean vae train` (or a checkpoint file).")]
DataDirOpt = Annotated[Path | None, typer.Option(
    help="Fashion-MNIST folder (default: the one the run was trained on, else $DOCCLEAN_DATA/fashion-mnist "
         "or ~/.cache/docclean/fashion-mnist).")]

VERIFY_HELP = "Check the data files' official MD5 (--no-verify for own copies)."
# The commands that read a trained run's test files check them as the run was trained unless told:
# --no-verify scores a run trained on the official files on a private copy, --verify checks anyway.
VerifyRunOpt = Annotated[bool | None, typer.Option(help=VERIFY_HELP, show_default="as the run was trained")]


class Arch(str, Enum):
    """Network families."""

    mlp = "mlp"
    conv = "conv"


@app.command()
def train(
    out: Annotated[Path, typer.Option(
        "--out", "-o", help="Run folder for config, metrics.csv, loss.png, checkpoints.")],
    arch: Annotated[Arch, typer.Option(
        help="mlp (784-256-latent) or conv (strided convolutions 32-64-128).")] = Arch.conv,
    latent_dim: Annotated[int, typer.Option(min=1, help="Size of the latent code.")] = 2,
    beta: Annotated[float, typer.Option(min=0.0, help="Weight of the KL term: 1 plain VAE, >1 beta-VAE.")] = 1.0,
    epochs: Annotated[int, typer.Option(min=1, help="Epochs to train (in all, counting resumed ones).")] = 15,
    lr: Annotated[float, typer.Option(min=0.0, help="Adam learning rate (cosine schedule).")] = 1e-3,
    batch_size: Annotated[int, typer.Option(min=1, help="Images per batch.")] = 128,
    seed: Annotated[int, seed_option("Random seed (weights, shuffling, latent samples)")] = 0,
    device: Annotated[str, typer.Option(help="auto (a GPU if there is one), cpu, cuda or mps.")] = "auto",
    data_dir: Annotated[Path | None, typer.Option(
        help="Fashion-MNIST folder (default: $DOCCLEAN_DATA/fashion-mnist or ~/.cache/docclean/fashion-mnist)."
    )] = None,
    download: Annotated[bool, typer.Option(help="Download missing Fashion-MNIST files.")] = False,
    verify: Annotated[bool, typer.Option(help=VERIFY_HELP)] = True,
    patience: Annotated[int, typer.Option(min=0, help="Stop after this many epochs without a better "
                                                      "validation loss (0: never stop early).")] = 10,
    limit: Annotated[int | None, typer.Option(min=2, help="Train on only the first N training images.")] = None,
    threads: Annotated[int, typer.Option(min=0, help="Torch CPU threads (0: torch's default).")] = 0,
    resume: Annotated[bool, typer.Option(help="Continue the run in --out if it was interrupted. --no-resume "
                                              "starts it over, removing it and the pictures made from it; a run of "
                                              "another network is kept (choose another --out).")] = True,
) -> None:
    """Train a VAE on Fashion-MNIST, with progress bars, early stopping and resume; --out is a new or empty
    folder, or one holding an earlier run of the suite."""
    import torch

    from cli.progress import RichProgressCallback
    from cli.stopping import continue_hint, exit_stopped, stoppable
    from training.loop import FitConfig
    from training.suite.vae import VAETaskConfig, train_vae

    if threads:
        torch.set_num_threads(threads)
    task = VAETaskConfig(arch=arch.value, latent_dim=latent_dim, beta=beta, batch_size=batch_size,
                         data_dir=data_dir, verify=verify, download=download, limit=limit)
    fit_config = FitConfig(out_dir=out, epochs=epochs, lr=lr, patience=patience or None, seed=seed, device=device,
                           resume=resume)
    with reported_errors(), stoppable() as stop, \
            RichProgressCallback(show=("train_loss", "val_loss", "val_recon", "val_kl")) as progress:
        train_vae(task, fit_config, callbacks=[progress], should_stop=stop)
    exit_stopped(stop, continue_hint(out, resume))  # Ctrl-C or SIGTERM: the state is saved
    typer.echo(out / "loss.png")


@app.command("eval")
def evaluate(
    run: RunArg,
    data_dir: DataDirOpt = None,
    limit: Annotated[int | None, typer.Option(min=1, help="Use only the first N test images.")] = None,
    seed: Annotated[int, seed_option("Seed of the one latent sample per image")] = 0,
    verify: VerifyRunOpt = None,
) -> None:
    """Print the test negative ELBO (beta = 1), reconstruction and KL, in nats per image."""
    from training.suite.vae import load_test_set, load_vae, negative_elbo

    with reported_errors():
        model, meta = load_vae(run)
        images, _ = load_test_set(meta, data_dir, limit, verify)
        result = negative_elbo(model, images, seed=seed)
    typer.echo(f"test negative ELBO {result['nelbo']:.2f} nats per image "
               f"(reconstruction {result['recon']:.2f}, KL {result['kl']:.2f}) on {len(images)} test images")


@app.command()
def latent(
    run: RunArg, out: OutOpt = None, data_dir: DataDirOpt = None,
    limit: Annotated[int | None, typer.Option(min=1, help="Plot only the first N test images.")] = None,
    verify: VerifyRunOpt = None,
) -> None:
    """Scatter the test images' latent means by class (a PCA projection when the latent has D > 2)."""
    from training.suite.vae_pictures import latent_picture

    with reported_errors():
        typer.echo(latent_picture(run, out, data_dir, limit, verify))


@app.command()
def manifold(
    run: RunArg, out: OutOpt = None,
    n: Annotated[int, typer.Option("-n", min=2, max=40, help="Images per side of the grid (2 to 40: the grid "
                                                              "is one picture).")] = 15,
) -> None:
    """Decode an n x n grid over a 2-D latent plane, spaced by prior quantiles (needs D = 2)."""
    from training.suite.vae_pictures import manifold_picture

    with reported_errors():
        typer.echo(manifold_picture(run, out, n))


@app.command()
def sample(
    run: RunArg, out: OutOpt = None,
    n: Annotated[int, typer.Option("-n", min=1, max=1024, help="Number of samples (1 to 1024: they are drawn "
                                                               "as one picture, 32 x 32 at most).")] = 64,
    seed: Annotated[int, seed_option("Seed of the prior draws")] = 0,
) -> None:
    """Decode N codes drawn from the prior N(0, I)."""
    from training.suite.vae_pictures import samples_picture

    with reported_errors():
        typer.echo(samples_picture(run, out, n, seed))


@app.command()
def interpolate(
    run: RunArg,
    first: Annotated[int, typer.Argument(min=0, help="Test-set index of the first image.")],
    second: Annotated[int, typer.Argument(min=0, help="Test-set index of the second image.")],
    out: OutOpt = None, data_dir: DataDirOpt = None,
    steps: Annotated[int, typer.Option(min=2, max=50, help="Decoded points along the line (2 to 50: they are "
                                                           "drawn as one row).")] = 10,
    verify: VerifyRunOpt = None,
) -> None:
    """Decode points on the line between the latent means of test images FIRST and SECOND."""
    from training.suite.vae_pictures import interpolation_picture

    with reported_errors():
        typer.echo(interpolation_picture(run, first, second, out, steps, data_dir, verify))
