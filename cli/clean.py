"""``docclean clean``: parse the flags, build the settings, and hand them to ``cli.clean_run``,
which calls the batch runner and renders.

No pixel, model or file-system decision is made here: that is ``docclean.batch.clean_batch``.
"""

from __future__ import annotations

from enum import Enum
from pathlib import Path
from typing import Annotated

import typer

from cli.clean_run import run_clean
from cli.errors import error_line
from docclean import formats
from docclean.backends import AUTO_CPU_ORDER
from docclean.errors import EXIT_USAGE, DocCleanError
from docclean.settings import BACKENDS, DEVICES, PRECISIONS, CleanSettings

DeviceChoice = Enum("DeviceChoice", {d: d for d in DEVICES}, type=str)
BackendChoice = Enum("BackendChoice", {b: b for b in BACKENDS}, type=str)
PrecisionChoice = Enum("PrecisionChoice", {p: p for p in PRECISIONS}, type=str)
EngineChoice = Enum("EngineChoice", {e: e for e in ("local", "ray")}, type=str)
FormatChoice = Enum("FormatChoice", {f: f for f in formats.OUTPUT_CHOICES}, type=str)
_DEFAULT = CleanSettings()


def clean(
    output: Annotated[str, typer.Option(
        "--output", "-o", show_default=False,
        help="Output folder (input folders' trees are mirrored inside it, names kept); with one input "
             "file, a file name such as clean.png works too. Inputs and output may be URLs such as "
             "s3://bucket/prefix (docs/cluster.md).")],
    inputs: Annotated[list[str] | None, typer.Argument(
        metavar="INPUT...", show_default=False,
        help="Files, folders (searched recursively) or glob patterns such as 'scans/**/*.tif'.")] = None,
    model: Annotated[str, typer.Option(
        help="Model: a built-in name (default; fast: a 5x cheaper network that cleans office paper less well; "
             "marks: keeps pen marks and stamps that cross printed text, for office pages, less good on historical "
             "ones; see `docclean models`) or a .safetensors file.")] = _DEFAULT.model,
    backend: Annotated[BackendChoice, typer.Option(
        help=f"Inference backend (auto: on a CPU, {AUTO_CPU_ORDER}, the first installed; "
             "on a GPU or with --precision bf16/fp16, torch).")]
    = _DEFAULT.backend,
    device: Annotated[DeviceChoice, typer.Option(help="Where the network runs (auto: CUDA, MPS, then CPU).")]
    = _DEFAULT.device,
    precision: Annotated[PrecisionChoice, typer.Option(
        help="Arithmetic (auto: bf16 on CPUs with AVX-512 BF16/AMX and on GPUs, else fp32).")] = _DEFAULT.precision,
    threads: Annotated[int | None, typer.Option(
        min=1, show_default="the cores this process may use",
        help="CPU threads for the network and the steps around it (OpenCV); give each of several parallel "
             "runs its share.")] = None,
    tile_size: Annotated[int, typer.Option(
        min=4 * _DEFAULT.overlap, help="Tile edge in pixels; smaller uses less memory.")]
    = _DEFAULT.tile_size,
    batch_size: Annotated[int, typer.Option(min=0, max=256, help="Tiles run through the network at once; 0: the "
                                            "backend's choice (1 on a CPU, 16 on a GPU).")]
    = _DEFAULT.batch_size,
    max_stroke: Annotated[int, typer.Option(
        min=0, metavar="PIXELS",
        help="A page whose strokes are wider than this (a broad pen, large writing scanned at 600 dpi) is also "
             "cleaned shrunk until they are this wide, keeping the darker result at every pixel: the model fades "
             "strokes far wider than those it learned. Where wide strokes in one part of a page (an initial, a "
             "heading) came out hollow, that part is cleaned again shrunk. Costs up to one more pass on such pages; 0: "
             "neither.")]
    = _DEFAULT.max_stroke,
    auto_levels: Annotated[bool, typer.Option(
        "--auto-levels/--no-auto-levels",
        help="Bring a dark or washed-out scan to ordinary paper and contrast before cleaning (pages already in "
             "range are untouched): the model erases more faint ink on such scans.")] = _DEFAULT.auto_levels,
    keep_solids: Annotated[bool, typer.Option(
        "--keep-solids/--no-keep-solids",
        help="Keep solid black areas (bars, boxes, logos, a band with white writing in it) as the scan has them: "
             "the model hollows dark areas wider than about 50 pixels as if they were stains. Also black label "
             "bars with white writing, a line of text high, where the model drew them grey (crisp pages). Dark "
             "areas that fade (stains, shadows), touch the page's edge or are grey shading are still cleaned.")
    ] = _DEFAULT.keep_solids,
    clear_surround: Annotated[bool, typer.Option(
        "--clear-surround/--keep-surround",
        help="Paint the scanner's dark surround white (a page scanned on a black lid or photographed on a dark "
             "table): the model leaves a dark rim around the page. Writing in a dark area at the edge (white "
             "letters on a black band printed to the sheet's edge), a stain reaching into it and a shadow that "
             "fades are left to the model.")
    ] = _DEFAULT.clear_surround,
    clear_shading: Annotated[bool, typer.Option(
        "--clear-shading/--keep-shading",
        help="Clean flat grey boxes and bands printed behind text (a form's shaded cells) to paper with their "
             "writing on it: the model whitens them but draws a dark frame around each. A grey band with white "
             "writing comes out as the scan has it. Stains and shadows, which fade, are left to the model.")
    ] = _DEFAULT.clear_shading,
    keep_pictures: Annotated[bool, typer.Option(
        "--keep-pictures/--no-keep-pictures",
        help="Keep pictures (photographs, banners: rectangles of continuous tone with sharp sides) as the scan "
             "has them: the model turns a photograph into a line drawing. A picture that touches the page's edge, "
             "is not a rectangle or that a stain runs into is still cleaned; a halftone tint behind text is cleaned.")
    ] = _DEFAULT.keep_pictures,
    keep_color_marks: Annotated[bool, typer.Option(
        "--keep-color-marks/--no-keep-color-marks",
        help="On a colour scan, keep marks in strongly coloured ink (a red stamp, a blue signature or pen) where "
             "they cross printed text, in the scan's grey: the model erases them there as if they were stains. "
             "Brown, orange and yellow (stains, aged paper) and light highlighter are left to the model.")
    ] = _DEFAULT.keep_color_marks,
    keep_box_writing: Annotated[bool, typer.Option(
        "--keep-box-writing/--no-keep-box-writing",
        help="Keep faint writing between two rules (pencil in a form's boxes), which the model clears there as if it "
             "were a shaded row: that part of the page is cleaned again with the rules painted out. Dark ink, and "
             "a fax's shaded cells, are left to the model.")
    ] = _DEFAULT.keep_box_writing,
    fmt: Annotated[FormatChoice | None, typer.Option(
        "--format", show_default="same as input",
        help="Output format. Multi-page inputs written as png/jpeg/webp/bmp become NAME-p001.png, NAME-p002.png, ...")]
    = None,
    dpi: Annotated[float | None, typer.Option(
        min=10, max=2400, show_default="native",
        help="Resolution at which PDF pages are rendered (native: that of the scanned images inside).")] = None,
    keep_color: Annotated[bool, typer.Option(
        "--keep-color", help="Put the original colours back (stamps, highlighter, coloured ink) on the cleaned "
                             "page; yellowed paper and weakly coloured stains still go, but a strongly coloured "
                             "stain (dark coffee, rust) comes back tinted, as highlighter does (default: clean "
                             "greyscale).")] = False,
    binarize: Annotated[bool, typer.Option(
        "--binarize", help="Write 1-bit black and white pages (for archives; Tesseract reads the grey page "
                            f"better); keeps faint strokes. {formats.named(formats.ONE_BIT)} hold 1-bit pages; "
                            f"{formats.named(formats.NO_ONE_BIT)} get 8-bit grey.")]
    = False,
    threshold: Annotated[float | None, typer.Option(
        min=0.01, max=0.99, show_default="adaptive",
        help="With --binarize: a fixed grey level under which a pixel turns black, instead of the adaptive "
             "method.")] = None,
    keep_faint: Annotated[bool, typer.Option(
        "--keep-faint", help="With --binarize (adaptive): keep black, at full width, every grey mark that touches "
                             "a stroke, so the faded part of a letter stays; more ink kept, and more specks.")] = False,
    remove_show_through: Annotated[bool, typer.Option(
        "--remove-show-through", help="With --binarize (adaptive): where a page holds two clearly separated layers "
                                      "of ink, turn the lighter one to paper (the other side of the sheet showing "
                                      "through). Genuine faint writing on such a page goes too: check the pages.")]
    = False,
    ink_warning: Annotated[float, typer.Option(
        min=0.0, max=1.0, help="Warn about pages where cleaning removed more than this share of the dark "
                               "strokes.")] = _DEFAULT.ink_warning,
    max_pixels: Annotated[int, typer.Option(
        min=1, help="Refuse pages larger than this many pixels (memory guard).")] = _DEFAULT.max_pixels,
    overwrite: Annotated[bool, typer.Option(
        "--overwrite", help="Redo outputs that already exist (default: skip them, so a rerun resumes).")] = False,
    dry_run: Annotated[bool, typer.Option(
        "--dry-run", help="List what would be cleaned and where it would go; write nothing.")] = False,
    report: Annotated[Path | None, typer.Option(
        show_default=False, help="Write a JSON report of every file, page, timing, ink loss and the model used.")]
    = None,
    quiet: Annotated[bool, typer.Option(
        "--quiet", "-q", help="Only print errors and warnings (pages that lost ink, --binarize into "
                             f"{formats.named(formats.NO_ONE_BIT, 'or')}).")] = False,
    verbose: Annotated[bool, typer.Option(
        "--verbose", "-v", help="Print a line for every file, and decoders' warnings.")] = False,
    engine: Annotated[EngineChoice, typer.Option(
        help="local: this process; ray: a Ray cluster, one actor per --workers (docs/cluster.md).")]
    = EngineChoice.local,
    address: Annotated[str | None, typer.Option(
        show_default="a Ray started on this machine",
        help="With --engine ray: 'auto' (the cluster this machine is in) or ray://HOST:10001.")] = None,
    inputs_from: Annotated[str | None, typer.Option(
        "--inputs-from", metavar="LIST", show_default=False,
        help="Also clean the INPUTs listed in the file LIST, one per line ('-': standard input): for "
             "more than a command line holds. Each line is taken as an INPUT argument: a file named "
             "alone is written straight into -o; list folders or quoted patterns to keep folders.")] = None,
    workers: Annotated[int | None, typer.Option(
        min=1, show_default="cluster CPUs / --threads, or one per GPU",
        help="With --engine ray: the number of actors; each loads the model once. More workers than "
             "GPUs share them (several processes feed one GPU).")] = None,
) -> None:
    """Clean scanned pages: dark text on white paper, written under OUTPUT.

    Bad files are reported one line each and the rest of the batch goes on. Outputs appear whole or
    not at all, existing outputs are skipped (a rerun resumes, also inside multi-page files) and
    inputs are never overwritten. Pages where cleaning removed dark strokes get a warning.

    Exit codes: 0 done, 1 some input failed, the disk is full or the output is busy, 2 usage error, 130 interrupted
    (Ctrl-C), 143 terminated (SIGTERM).

    Examples:

      docclean clean scan.jpg -o clean/

      docclean clean scans/ -o clean/ --format pdf --report clean/report.json

      docclean clean 'archive/**/*.tif' -o out/ --binarize --threads 1

      find archive -name '*.tif' -newer last-run | docclean clean --inputs-from - -o out/
    """
    if quiet and verbose:  # else -v won: a line per file, and no summary
        typer.echo("error: --quiet and --verbose cannot be combined; choose one", err=True)
        raise typer.Exit(EXIT_USAGE)
    try:
        settings = CleanSettings(
            model=model, backend=backend.value, device=device.value, precision=precision.value, threads=threads,
            tile_size=tile_size, batch_size=batch_size, max_stroke=max_stroke, auto_levels=auto_levels,
            keep_solids=keep_solids, clear_surround=clear_surround, clear_shading=clear_shading,
            keep_pictures=keep_pictures, keep_color_marks=keep_color_marks, keep_box_writing=keep_box_writing,
            fmt=fmt.value if fmt else None, dpi=dpi,
            color="keep" if keep_color else "gray", binarize=binarize, threshold=threshold,
            keep_faint=keep_faint, remove_show_through=remove_show_through, ink_warning=ink_warning,
            max_pixels=max_pixels, overwrite=overwrite, dry_run=dry_run)
    except DocCleanError as exc:
        typer.echo(error_line(exc, flags_in_text=True), err=True)
        raise typer.Exit(EXIT_USAGE) from None
    if engine.value != "ray" and (address is not None or workers is not None):  # else silently ignored
        flag = "--address" if address is not None else "--workers"
        typer.echo(f"error: {flag}: only with --engine ray (this run would clean in this process)", err=True)
        raise typer.Exit(EXIT_USAGE)
    inputs = list(inputs or [])
    if inputs_from is not None:  # after the flags' checks: standard input may wait on a person
        from docclean.discover import read_input_list

        try:
            inputs += read_input_list(inputs_from)
        except DocCleanError as exc:
            typer.echo(error_line(exc), err=True)
            raise typer.Exit(EXIT_USAGE) from None
    if not inputs:
        typer.echo("error: no INPUT: name files, folders or patterns, or give --inputs-from LIST", err=True)
        raise typer.Exit(EXIT_USAGE)
    raise typer.Exit(run_clean(inputs, output, settings, report, quiet=quiet, verbose=verbose,
                               engine=engine.value, address=address, workers=workers))
