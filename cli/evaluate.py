"""``docclean eval``: score a model on your own noisy/clean pairs, beside the raw pages."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from cli.errors import reported_errors


def _warn_trained_on(pairs, model: str) -> None:  # type: ignore[no-untyped-def]
    """Warn once when pages being scored are among those the model was trained on (its metadata's
    ``train_pages``): their figures are no held-out ones. Matched by path only (the metadata records
    no content digests), so a copy of the training pages escapes it; the help says so."""
    from docclean.backends.convert import read_checkpoint_metadata
    from docclean.errors import DocCleanError
    from docclean.evaluate import trained_on
    from docclean.models import resolve_model_path

    try:
        meta = read_checkpoint_metadata(resolve_model_path(model))
    except (DocCleanError, OSError):  # a model without docclean metadata (loaded already): nothing to say
        return
    seen = trained_on(pairs, meta)
    if seen:
        typer.echo(f"warning: {seen} of the {len(pairs)} pages scored are among the {len(meta['train_pages'])} "
                   "the model was trained on: their figures are no held-out scores", err=True)


def evaluate(
    noisy: Annotated[Path, typer.Option(help="Folder of noisy scans.", show_default=False)],
    clean: Annotated[Path, typer.Option(help="Folder of clean pages, paired with the scans by relative path and "
                                             "name (any format).", show_default=False)],
    model: Annotated[str, typer.Option(help="Model: a built-in name or a .safetensors file.")] = "default",
    device: Annotated[str, typer.Option(help="auto, cpu, cuda or mps.")] = "auto",
    as_json: Annotated[bool, typer.Option("--json", help="Print the per-page and overall figures as JSON.")] = False,
) -> None:
    """Per-page and overall RMSE, PSNR and SSIM of the cleaned pages against the clean ones, and
    of the raw noisy pages for comparison (lower RMSE, higher PSNR and SSIM are better). Pages are
    named by their path in the noisy folder; PSNR is capped at 100 dB (identical pages). A warning
    counts the pages scored that the model was trained on, found by the paths its metadata lists:
    a copy of those pages elsewhere, or the same folder moved, is not recognised: no warning is no
    proof that the pages are held out.

    Example: docclean eval --model runs/mine/best.safetensors --noisy held-out/noisy --clean held-out/clean
    """
    from docclean.batch import load_cleaner
    from docclean.evaluate import evaluate as run_eval
    from docclean.pairs import check_pairs, find_pairs, left_out, unusable
    from docclean.settings import CleanSettings

    with reported_errors():
        scan = find_pairs(noisy, clean)
        for path, reason in scan.unmatched:
            typer.echo(f"warning: {left_out(path, reason)}", err=True)
        problems = check_pairs(scan.pairs)
        if problems:
            raise unusable(problems)
        cleaner = load_cleaner(CleanSettings(model=model, device=device))
        _warn_trained_on(scan.pairs, model)
        result = run_eval(cleaner, scan.pairs, model)
        for note in result.notes:
            typer.echo(f"warning: {note}", err=True)
    if as_json:
        typer.echo(json.dumps(result.to_json(), indent=2, allow_nan=False))  # strict JSON for any parser
        return
    multi_page = {p.noisy for p in result.pages if p.page > 0}  # every page of these files is numbered
    # Relative paths, never cut: a/p.png and b/c/p.png must stay told apart.
    names = [(p.name or Path(p.noisy).name) + (f"[{p.page + 1}]" if p.noisy in multi_page else "")
             for p in result.pages]
    o = result.overall
    total = f"overall ({o['pages']} page{'s' * (o['pages'] != 1)})"
    width = max(40, len(total), *(len(n) for n in names))
    typer.echo(f"{'page':{width}s} {'RMSE':>7s} {'raw':>7s} {'PSNR':>6s} {'raw':>6s} {'SSIM':>6s} {'raw':>6s}")
    for name, p in zip(names, result.pages):
        typer.echo(f"{name:{width}s} {p.rmse:7.4f} {p.raw_rmse:7.4f} {p.psnr:6.2f} {p.raw_psnr:6.2f} "
                   f"{p.ssim:6.3f} {p.raw_ssim:6.3f}")
    typer.echo(f"{total:{width}s} {o['rmse']:7.4f} {o['raw_rmse']:7.4f} "
               f"{o['psnr']:6.2f} {o['raw_psnr']:6.2f} {o['ssim']:6.3f} {o['raw_ssim']:6.3f}")
