"""Does docclean improve OCRmyPDF's text layer? Word F1 and time of plain ``ocrmypdf``,
``ocrmypdf --clean`` (unpaper) and ``ocrmypdf --plugin docclean.ocrmypdf``, in one run, on real scans
with ground-truth text (FUNSD forms, SROIE receipts; validation only, see their PROVENANCE.txt).

    python bench/ocr_pipeline.py [--limit 30] [--jobs 2] [--methods plain unpaper docclean]

Each set's first ``--limit`` images (sorted by name) become one multi-page PDF (img2pdf, lossless;
FUNSD at its ~100 dpi, SROIE at the image's own dpi or 150). Every method OCRs that PDF with
``--jobs`` workers, ``--output-type pdf --optimize 0`` (no PDF/A or optimisation work, which would
be the same for all), and its wall time is measured. The text layer of each page is extracted with
``pdftotext`` (poppler) and scored against ``text/ID.txt``: words lower-cased, punctuation stripped
at both ends, F1 over the multiset of words. Writes a markdown table (``--out``) and per-page scores
as JSON beside it in the work folder.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import string
import subprocess
import sys
import time
from collections import Counter
from datetime import datetime, timezone
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
DATA = REPO.parent / "shared" / "data" / "real-scans"
SET_DPI = {"funsd-train": 100.0, "sroie-train": None}  # None: the image's own dpi, else 150
METHODS = {
    "plain": [],
    "unpaper": ["--clean"],
    "docclean": ["--plugin", "docclean.ocrmypdf"],
    "docclean-binarize": ["--plugin", "docclean.ocrmypdf", "--docclean-binarize"],
    "docclean-x2": ["--plugin", "docclean.ocrmypdf", "--docclean-scale", "2"],
}
LABELS = {"plain": "ocrmypdf", "unpaper": "ocrmypdf --clean (unpaper)",
          "docclean": "ocrmypdf --plugin docclean.ocrmypdf",
          "docclean-binarize": "ocrmypdf --plugin docclean.ocrmypdf --docclean-binarize",
          "docclean-x2": "ocrmypdf --plugin docclean.ocrmypdf --docclean-scale 2"}
_STRIP = string.punctuation + "\u2018\u2019\u201c\u201d\u2013\u2014\u2022\u00b7\u00ab\u00bb|"


def words(text: str) -> Counter[str]:
    """The multiset of words: whitespace-separated, lower-cased, punctuation stripped at both ends."""
    out: Counter[str] = Counter()
    for token in text.lower().split():
        token = token.strip(_STRIP)
        if token:
            out[token] += 1
    return out


def f1_counts(predicted: Counter[str], truth: Counter[str]) -> tuple[int, int, int]:
    """(matched words, predicted words, true words) of one page."""
    matched = sum((predicted & truth).values())
    return matched, sum(predicted.values()), sum(truth.values())


def prf(matched: int, predicted: int, truth: int) -> tuple[float, float, float]:
    p = matched / predicted if predicted else 0.0
    r = matched / truth if truth else 0.0
    return p, r, (2 * p * r / (p + r) if p + r else 0.0)


def make_pdf(images: list[Path], dpi: float | None, target: Path) -> None:
    """One lossless multi-page PDF of ``images`` (each at ``dpi``, or its own dpi, else 150)."""
    import img2pdf
    from PIL import Image

    pages = []
    for image in images:
        with Image.open(image) as im:
            own = im.info.get("dpi")
        d = dpi or (own[0] if own and own[0] > 1 else 150.0)
        pages.append(img2pdf.convert(str(image), layout_fun=img2pdf.get_fixed_dpi_layout_fun((d, d))))
    import pikepdf

    with pikepdf.new() as pdf:
        for blob in pages:
            with pikepdf.open(__import__("io").BytesIO(blob)) as one:
                pdf.pages.extend(one.pages)
        pdf.save(target)


def page_texts(pdf: Path, count: int) -> list[str]:
    """The text layer of each page, by pdftotext (poppler)."""
    return [subprocess.run(["pdftotext", "-f", str(i), "-l", str(i), str(pdf), "-"], capture_output=True,
                           text=True, check=True).stdout for i in range(1, count + 1)]


def run_method(method: str, source: Path, target: Path, jobs: int, model: str) -> float:
    """OCR ``source`` into ``target`` with one method; returns the wall time in seconds."""
    extra = list(METHODS[method])
    if "docclean" in method:
        extra += ["--docclean-model", model]
    cmd = [sys.executable, "-m", "ocrmypdf", "--jobs", str(jobs), "--output-type", "pdf", "--optimize", "0",
           "-q", *extra, str(source), str(target)]
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    start = time.perf_counter()
    result = subprocess.run(cmd, capture_output=True, text=True, env=env)
    seconds = time.perf_counter() - start
    if result.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed ({result.returncode}):\n{result.stderr[-3000:]}")
    return seconds


def tool_versions() -> dict[str, str]:
    import ocrmypdf

    def first_line(cmd: list[str]) -> str:
        try:
            out = subprocess.run(cmd, capture_output=True, text=True)
            return (out.stdout or out.stderr).strip().splitlines()[0]
        except (OSError, IndexError):
            return "missing"

    return {"ocrmypdf": ocrmypdf.__version__, "tesseract": first_line(["tesseract", "--version"]),
            "unpaper": first_line(["unpaper", "--version"]), "ghostscript": first_line(["gs", "--version"])}


def model_line(model: str) -> str:
    from docclean.checkpoint import read_metadata
    from docclean.models import resolve_model_path

    path = resolve_model_path(model)
    meta = read_metadata(path)
    metrics = meta.get("metrics", {})
    digest = __import__("hashlib").sha256(path.read_bytes()).hexdigest()[:12]
    stamp = datetime.fromtimestamp(path.stat().st_mtime, timezone.utc).isoformat(timespec="minutes")
    shown = {k: round(v, 4) if isinstance(v, float) else v for k, v in metrics.items()}
    return (f"`{path.relative_to(REPO) if path.is_relative_to(REPO) else path}` (sha256 {digest}, file time "
            f"{stamp}); made by `{meta.get('command', '?')}`; its metrics: {shown}")


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--sets", nargs="+", default=list(SET_DPI))
    p.add_argument("--limit", type=int, default=30, help="Pages per set (the first N by name).")
    p.add_argument("--jobs", type=int, default=2, help="OCRmyPDF --jobs (workers).")
    p.add_argument("--methods", nargs="+", default=["plain", "unpaper", "docclean"], choices=list(METHODS))
    p.add_argument("--model", default="default")
    p.add_argument("--work", type=Path, default=REPO / "runs" / "ocr_pipeline")
    p.add_argument("--out", type=Path, default=REPO / "bench" / "results" / "ocr_pipeline.md")
    a = p.parse_args()
    for tool in ("tesseract", "gs", "pdftotext") + (("unpaper",) if "unpaper" in a.methods else ()):
        if shutil.which(tool) is None:
            raise SystemExit(f"{tool} is missing: apt-get install -y tesseract-ocr ghostscript unpaper poppler-utils")
    a.work.mkdir(parents=True, exist_ok=True)
    from docclean.models import resolve_model_path

    # A copy of the model, so a model replaced while this runs cannot mix into the results.
    described = model_line(a.model)
    model_copy = a.work / "model.safetensors"
    shutil.copyfile(resolve_model_path(a.model), model_copy)
    rows, per_page = [], {}
    load_before = os.getloadavg()
    for name in a.sets:
        images = sorted((DATA / name / "images").iterdir())[: a.limit]
        ids = [img.stem for img in images]
        truth = [words((DATA / name / "text" / f"{i}.txt").read_text(errors="replace")) for i in ids]
        source = a.work / f"{name}-{len(ids)}.pdf"
        make_pdf(images, SET_DPI.get(name), source)
        for method in a.methods:
            target = a.work / f"{name}-{len(ids)}-{method}.pdf"
            seconds = run_method(method, source, target, a.jobs, str(model_copy))
            counts = [f1_counts(words(t), g) for t, g in zip(page_texts(target, len(ids)), truth)]
            total = tuple(sum(c[k] for c in counts) for k in range(3))
            page_f1 = [prf(*c)[2] for c in counts]
            per_page[f"{name}/{method}"] = dict(zip(ids, page_f1))
            precision, recall, f1 = prf(*total)
            rows.append((name, method, len(ids), precision, recall, f1, sum(page_f1) / len(page_f1), seconds))
            print(f"{name:12s} {method:18s} pages {len(ids):3d}  P {precision:.3f}  R {recall:.3f}  F1 {f1:.3f}  "
                  f"mean page F1 {rows[-1][6]:.3f}  {seconds:6.1f} s", flush=True)
    (a.work / "per_page_f1.json").write_text(json.dumps(per_page, indent=1))
    write_report(a, rows, per_page, described, load_before, os.getloadavg())


def write_report(a: argparse.Namespace, rows: list[tuple], per_page: dict, described: str, load_before: tuple,
                 load_after: tuple) -> None:
    versions = tool_versions()
    lines = [
        "# OCR pipeline: word F1 of OCRmyPDF's text layer, with and without cleaning",
        "",
        f"`python bench/ocr_pipeline.py --limit {a.limit} --jobs {a.jobs} --methods {' '.join(a.methods)}"
        f"{'' if a.model == 'default' else ' --model ' + a.model}`, "
        f"{datetime.now(timezone.utc).isoformat(timespec='minutes')}.",
        "",
        f"Model: {described}.",
        "",
        f"Tools: OCRmyPDF {versions['ocrmypdf']}, {versions['tesseract']}, unpaper {versions['unpaper']}, "
        f"Ghostscript {versions['ghostscript']}. All methods: `--jobs {a.jobs} --output-type pdf --optimize 0`, "
        f"language eng. Machine: {os.cpu_count()} cores, shared (load average "
        f"{load_before[0]:.1f} before, {load_after[0]:.1f} after), so times are indicative only.",
        "",
        "F1 over the multiset of words (lower-cased, punctuation stripped at both ends), pooled over the "
        "pages of a set; 'mean page F1' averages the pages. Time: wall seconds of the whole `ocrmypdf` run "
        "(start-up included: Python, and for docclean importing the inference runtime and loading the model in "
        "each worker).",
        "",
        "| set | method | pages | precision | recall | word F1 | mean page F1 | seconds | s/page |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for name, method, n, precision, recall, f1, mean_f1, seconds in rows:
        lines.append(f"| {name} | {LABELS[method]} | {n} | {precision:.3f} | {recall:.3f} | **{f1:.3f}** | "
                     f"{mean_f1:.3f} | {seconds:.0f} | {seconds / n:.1f} |")
    lines += ["", "Pages where a method's F1 is above / below plain `ocrmypdf` (by more than 0.01):", ""]
    for name in a.sets:
        base = per_page.get(f"{name}/plain")
        for method in a.methods:
            scores = per_page.get(f"{name}/{method}")
            if base is None or method == "plain" or scores is None:
                continue
            better = sum(scores[k] > base[k] + 0.01 for k in base)
            worse = sum(scores[k] < base[k] - 0.01 for k in base)
            lines.append(f"- {name}, {LABELS[method]}: {better} better, {worse} worse, "
                         f"{len(base) - better - worse} within 0.01")
    a.out.parent.mkdir(parents=True, exist_ok=True)
    a.out.write_text("\n".join(lines) + "\n")
    print(f"wrote {a.out}")


if __name__ == "__main__":
    main()
