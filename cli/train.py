"""`docclean train`: train or fine-tune the page denoiser on your own noisy/clean scan pairs.

Declarations only: options are parsed here and handed to ``training.denoiser``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from cli.errors import reported_errors
from cli.progress import RichProgressCallback

app = typer.Typer(help="Train the page denoiser on noisy/clean scan pairs.", no_args_is_help=True)


@app.command("denoiser")
def denoiser(
    data: Annotated[Path, typer.Option(help="Folder holding NOISY_DIR and CLEAN_DIR with the same file names.")],
    out: Annotated[Path, typer.Option(help="Run folder: config.json, metrics.csv, best/last checkpoints. "
                                           "Rerunning with the same folder resumes.")],
    noisy_dir: Annotated[str, typer.Option(help="Sub-folder of noisy scans.")] = "train",
    clean_dir: Annotated[str, typer.Option(help="Sub-folder of clean targets.")] = "train_cleaned",
    epochs: Annotated[int, typer.Option(min=1, help="Maximum number of epochs.")] = 120,
    batches_per_epoch: Annotated[int, typer.Option(min=1, help="Random-crop batches per epoch.")] = 100,
    lr: Annotated[float, typer.Option(help="Peak learning rate (cosine schedule).")] = 1e-3,
    patience: Annotated[int, typer.Option(help="Stop after this many epochs without a better validation RMSE.")] = 40,
    val_texts: Annotated[int, typer.Option(help="Distinct texts (pages with identical clean images) held out.")] = 6,
    init_from: Annotated[Optional[Path], typer.Option(help="Fine-tune from this checkpoint instead of from scratch.")] = None,
    seed: Annotated[int, typer.Option(help="Random seed (reruns reproduce).")] = 0,
    threads: Annotated[int, typer.Option(help="CPU threads for torch (0: all cores).")] = 0,
    fp32: Annotated[bool, typer.Option("--fp32", help="Train in float32 instead of bfloat16 autocast.")] = False,
) -> None:
    """Train the DocUNet denoiser; the best checkpoint by held-out-text RMSE is OUT/best.safetensors,
    usable at once with `docclean clean --model OUT/best.safetensors`.

    Example: docclean train denoiser --data ../shared/data/dirty-documents --out runs/mine
    """
    import torch

    from docclean.model import DocUNetConfig
    from training.denoiser import DenoiserTaskConfig, train
    from training.loop import FitConfig

    if threads:
        torch.set_num_threads(threads)
    task = DenoiserTaskConfig(data=data, noisy_dir=noisy_dir, clean_dir=clean_dir, val_texts=val_texts,
                              batches_per_epoch=batches_per_epoch)
    fit_config = FitConfig(out_dir=out, epochs=epochs, lr=lr, optimizer="adamw", weight_decay=1e-4,
                           patience=patience, seed=seed, bf16=not fp32, grad_clip=1.0)
    with reported_errors(), RichProgressCallback(show=("train_loss", "val_rmse", "val_rmse_x2"),
                                                 description="denoiser") as progress:
        train(task, fit_config, DocUNetConfig(), callbacks=[progress], init_from=init_from)
