"""``docclean clean``: the declaration of the batch-cleaning command (the work is in
``cli/progress_clean.py`` and ``docclean/pipeline.py``)."""

from __future__ import annotations

from enum import Enum
from pathlib import Path
from typing import Annotated

import typer

from cli.progress_clean import CleanRequest, clean_files


class DeviceChoice(str, Enum):
    auto = "auto"
    cpu = "cpu"
    cuda = "cuda"
    mps = "mps"


class FormatChoice(str, Enum):
    png = "png"
    tiff = "tiff"
    jpeg = "jpeg"
    pdf = "pdf"


def clean(
    inputs: Annotated[list[str], typer.Argument(
        metavar="INPUT", show_default=False,
        help="Files, folders (searched recursively) or glob patterns such as 'scans/**/*.tif'.")],
    output: Annotated[Path, typer.Option(
        "--output", "-o", show_default=False,
        help="Output folder; input folders' trees are mirrored inside it and file names kept.")],
    model: Annotated[str, typer.Option(help="Model: a built-in name or a .safetensors file.")] = "default",
    device: Annotated[DeviceChoice, typer.Option(help="Where the network runs (auto: CUDA, MPS, then CPU).")]
    = DeviceChoice.auto,
    tile_size: Annotated[int, typer.Option(min=64, help="Tile edge in pixels; smaller uses less memory.")] = 1024,
    batch_size: Annotated[int, typer.Option(min=1, help="Tiles run through the network at once.")] = 2,
    fmt: Annotated[FormatChoice | None, typer.Option(
        "--format", show_default="same as input",
        help="Output format. Multi-page inputs written as png/jpeg become NAME-p001.png, NAME-p002.png, ...")]
    = None,
    dpi: Annotated[float | None, typer.Option(
        min=10, max=2400, show_default="native",
        help="Resolution at which PDF pages are rendered (native: that of the scanned images inside).")] = None,
    keep_color: Annotated[bool, typer.Option(
        "--keep-color", help="Put the original colours back on the cleaned page (default: clean greyscale).")]
    = False,
    binarize: Annotated[bool, typer.Option(
        "--binarize", help="Write 1-bit black and white pages (for OCR and archives).")] = False,
    threshold: Annotated[float, typer.Option(
        min=0.01, max=0.99, help="Grey level under which --binarize makes a pixel black.")] = 0.5,
    overwrite: Annotated[bool, typer.Option(
        "--overwrite", help="Redo outputs that already exist (default: skip them, so a rerun resumes).")] = False,
    dry_run: Annotated[bool, typer.Option(
        "--dry-run", help="List what would be cleaned and where it would go; write nothing.")] = False,
    report: Annotated[Path | None, typer.Option(
        show_default=False, help="Write a JSON report of every file, page, timing and the model used.")] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Only print errors.")] = False,
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Print a line for every file.")] = False,
) -> None:
    """Clean scanned pages: dark text on white paper, written under OUTPUT.

    Bad files are reported one line each and the rest of the batch goes on. Outputs appear whole or
    not at all, existing outputs are skipped (a rerun resumes) and inputs are never overwritten.
    Exit codes: 0 done, 1 some input failed, 2 usage error, 130 interrupted.

    Examples:

      docclean clean scan.jpg -o clean/

      docclean clean scans/ -o clean/ --format pdf --report clean/report.json

      docclean clean 'archive/**/*.tif' -o out/ --binarize --device cpu
    """
    options = dict(output=output, fmt=fmt.value if fmt else None, dpi=dpi, keep_color=keep_color, binarize=binarize,
                   threshold=threshold, overwrite=overwrite, dry_run=dry_run)
    raise typer.Exit(clean_files(CleanRequest(
        inputs, options, model=model, device=device.value, tile_size=tile_size, batch_size=batch_size,
        report_path=report, quiet=quiet, verbose=verbose)))
