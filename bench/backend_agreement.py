"""Does every backend clean like torch fp32? Max absolute difference and held-out RMSE, per backend.

Each installed backend (and torch in its default precision, when that is not fp32) cleans, through
the same engine (tiling and blending included), the held-out Dirty Documents pages (the 6 texts of
``training.denoiser.split_by_text(pairs, 6, 0)``: 24 pages) and a few real scans of
``shared/data/real-scans`` (validation only). Against torch fp32 it reports the largest absolute
difference of any pixel (pass: at most 2/255) and the change of held-out RMSE (pass: at most
0.0005). Exit status 1 when any backend fails.

    python bench/backend_agreement.py [--model default] [--real 3] [--backends onnx openvino]
    python bench/backend_agreement.py --int8 [onnx] [openvino]   # also int8 models (not shipped)
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from docclean.backends import installed_backends, open_backend  # noqa: E402
from docclean.engine import Denoiser  # noqa: E402
from docclean.io import read_gray  # noqa: E402
from docclean.metrics import pooled_rmse  # noqa: E402
from docclean.models import resolve_model_path  # noqa: E402
from docclean.settings import CleanSettings  # noqa: E402

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data"
MAX_ABS = 2 / 255
MAX_RMSE_SHIFT = 0.0005


def held_out_pages(data: Path) -> list[tuple[str, np.ndarray, np.ndarray]]:
    from training.denoiser import find_pairs, split_by_text

    _, val = split_by_text(find_pairs(data), 6, 0)
    return [(n.name, read_gray(n), read_gray(c)) for n, c in val]


def real_scans(root: Path, per_set: int) -> list[tuple[str, np.ndarray]]:
    """The first ``per_set`` scans (by name) of each real-scan set."""
    pages = []
    for folder in sorted(p for p in root.glob("*/*") if p.name in ("noisy", "images")):
        files = sorted(f for f in folder.iterdir() if f.suffix.lower() in (".png", ".jpg", ".jpeg", ".tif"))
        pages += [(f"{folder.parent.name}/{f.name}", read_gray(f)) for f in files[:per_set]]
    return pages


def calibration_pages(data: Path, held_out: set[str], multiple: int) -> list[np.ndarray]:
    """The int8 candidates' calibration inputs: 8 Dirty Documents training pages that are not held
    out, padded for the network, as (1, 1, H, W) float32."""
    from docclean.backends.convert import pad_to_multiple

    files = [f for f in sorted((data / "train").glob("*.png")) if f.name not in held_out][:8]
    return [pad_to_multiple(read_gray(f)[None], multiple)[:, None] for f in files]


def cleaner(model: Path, backend: str, precision: str) -> Denoiser:
    settings = CleanSettings(backend=backend, precision=precision)
    return Denoiser(open_backend(model, settings), tile_size=settings.tile_size, overlap=settings.overlap,
                    batch_size=settings.batch_size, model_path=model)


class Int8Onnx:
    """ONNX Runtime on a statically quantised copy of the export (QDQ, per-channel int8 weights,
    uint8 activations, calibrated on 8 training pages that are not held out): the int8 candidate."""

    name, device, precision = "onnx", "cpu", "int8"

    def __init__(self, model: Path, data: Path, held_out: set[str]) -> None:
        import tempfile

        import onnxruntime as ort
        from onnxruntime.quantization import CalibrationDataReader, QuantFormat, QuantType, quantize_static

        from docclean.backends.convert import onnx_model, pad_to_multiple

        src, info = onnx_model(model)
        self.multiple, self.metadata, self._pad = int(info["multiple"]), {}, pad_to_multiple
        pages = calibration_pages(data, held_out, self.multiple)

        class Reader(CalibrationDataReader):
            def __init__(self) -> None:
                self.items = iter([{"tiles": x} for x in pages])

            def get_next(self) -> dict | None:
                return next(self.items, None)

        out = Path(tempfile.mkdtemp()) / "int8.onnx"
        quantize_static(str(src), str(out), Reader(), quant_format=QuantFormat.QDQ, per_channel=True,
                        activation_type=QuantType.QUInt8, weight_type=QuantType.QInt8)
        self.session = ort.InferenceSession(str(out), providers=["CPUExecutionProvider"])

    def run(self, tiles: np.ndarray) -> np.ndarray:
        n, h, w = tiles.shape
        y = self.session.run(None, {"tiles": self._pad(np.asarray(tiles, np.float32), self.multiple)[:, None]})[0]
        return np.clip(y[:, 0, :h, :w], 0.0, 1.0)


class Int8OpenVino:
    """OpenVINO on an NNCF post-training int8 quantisation of the export (symmetric "performance"
    preset; the rest of the network in bf16 where the CPU has it), calibrated on the same 8 training
    pages as :class:`Int8Onnx`: the other int8 candidate. Needs ``pip install nncf``."""

    name, device, precision = "openvino", "cpu", "int8"

    def __init__(self, model: Path, data: Path, held_out: set[str]) -> None:
        import nncf

        from docclean.backends.convert import onnx_model, pad_to_multiple
        from docclean.backends.openvino_backend import cpu_has_native_bf16, import_openvino

        ov = import_openvino()
        src, info = onnx_model(model)
        self.multiple, self.metadata, self._pad = int(info["multiple"]), {}, pad_to_multiple
        calib = calibration_pages(data, held_out, self.multiple)
        core = ov.Core()
        quantized = nncf.quantize(core.read_model(str(src)), nncf.Dataset(calib), subset_size=len(calib),
                                  preset=nncf.QuantizationPreset.PERFORMANCE)
        hint = "bf16" if cpu_has_native_bf16(core) else "f32"
        self.request = core.compile_model(quantized, "CPU", {"INFERENCE_PRECISION_HINT": hint,
                                                             "PERFORMANCE_HINT": "LATENCY"}).create_infer_request()

    def run(self, tiles: np.ndarray) -> np.ndarray:
        n, h, w = tiles.shape
        y = self.request.infer({0: self._pad(np.asarray(tiles, np.float32), self.multiple)[:, None]})[0]
        return np.clip(y[:, 0, :h, :w], 0.0, 1.0)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--model", default="default")
    p.add_argument("--data", type=Path, default=SHARED / "dirty-documents")
    p.add_argument("--scans", type=Path, default=SHARED / "real-scans")
    p.add_argument("--real", type=int, default=3, help="real scans per set")
    p.add_argument("--backends", nargs="+", default=None, help="default: every installed one but torch")
    p.add_argument("--int8", nargs="*", choices=["onnx", "openvino"], default=None,
                   help="also try int8: ONNX Runtime static quantisation and/or OpenVINO with NNCF "
                        "(no name: both)")
    a = p.parse_args()
    model = resolve_model_path(a.model)
    dirty = held_out_pages(a.data)
    real = real_scans(a.scans, a.real) if a.real > 0 else []
    mp = (sum(n.size for _, n, _ in dirty) + sum(r.size for _, r in real)) / 1e6
    print(f"model {model.name}; {len(dirty)} held-out Dirty Documents pages, {len(real)} real scans, {mp:.1f} MP")

    def outputs(den: Denoiser) -> tuple[list[np.ndarray], list[np.ndarray], float]:
        t = time.perf_counter()
        d = [den.clean(noisy) for _, noisy, _ in dirty]
        r = [den.clean(scan) for _, scan in real]
        return d, r, time.perf_counter() - t

    ref_d, ref_r, ref_s = outputs(cleaner(model, "torch", "fp32"))
    ref_rmse = pooled_rmse([(o, c) for o, (_, _, c) in zip(ref_d, dirty)])
    print(f"torch fp32: held-out RMSE {ref_rmse:.5f} ({ref_s:.1f} s)")
    candidates = [(b, "auto") for b in (a.backends or [b for b in installed_backends() if b != "torch"])]
    torch_auto = cleaner(model, "torch", "auto")
    if torch_auto.precision != "fp32":
        candidates.append(("torch", "auto"))
    print("| backend | precision | max abs diff, held-out (x255) | max abs diff, real scans (x255) | "
          "held-out RMSE | RMSE shift | seconds | pass |")
    print("|---|---|---|---|---|---|---|---|")
    failed = False
    if a.int8 is not None:
        candidates += [(b, "int8") for b in (a.int8 or ["onnx", "openvino"])]
    for backend, precision in candidates:
        if precision == "int8":
            kind = Int8Onnx if backend == "onnx" else Int8OpenVino
            den = Denoiser(kind(model, a.data, {n for n, _, _ in dirty}), model_path=model)
        else:
            den = cleaner(model, backend, precision)
        got_d, got_r, secs = outputs(den)
        diff_d = max(float(np.abs(g - r).max()) for g, r in zip(got_d, ref_d))
        diff_r = max((float(np.abs(g - r).max()) for g, r in zip(got_r, ref_r)), default=0.0)
        rmse = pooled_rmse([(o, c) for o, (_, _, c) in zip(got_d, dirty)])
        ok = max(diff_d, diff_r) <= MAX_ABS and abs(rmse - ref_rmse) <= MAX_RMSE_SHIFT
        failed |= not ok
        print(f"| {den.backend.name} | {den.precision} | {diff_d * 255:.2g} | {diff_r * 255:.2g} | {rmse:.5f} | "
              f"{rmse - ref_rmse:+.6f} | {secs:.1f} | {'yes' if ok else 'NO'} |")
    print(f"pass: max abs diff <= {MAX_ABS * 255:.0f}/255 and |RMSE shift| <= {MAX_RMSE_SHIFT}")
    raise SystemExit(1 if failed else 0)


if __name__ == "__main__":
    main()
