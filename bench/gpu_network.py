"""The network alone on a GPU: tiles per second and the 300-dpi pages per second they would give,
per batch size and precision, and where a page's time goes when the whole engine cleans it.

Where ``bench/clean_speed.py --device cuda`` times pages end to end (decode, clean, encode), this
separates what the GPU can do from what the CPU around it does, so a pages/s figure can be read:

* network: the shipped model on random tiles of the engine's tile size (1024 px), bf16 or fp16
  autocast, channels-last, timed with CUDA events after a warm-up; pages/s assume the tiles of one
  300-dpi A4 page (2480 x 3508 px, the engine's tiling with its overlap);
* engine: ``Denoiser.clean`` of one 300-dpi page (tiling, host<->GPU copies, network, blending),
  then the rest of ``clean_page`` (ink-loss check), then PNG decode and encode of the page. The
  page is random grey noise: the same work for the network, the worst case for PNG (a cleaned
  page, mostly white, encodes faster).

    python bench/gpu_network.py [--model default] [--batches 4 8 16 32]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
PAGE_300 = (3508, 2480)


def _best(fn, repeats: int = 5) -> float:
    fn()
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return min(times)


def main() -> None:
    import io

    import torch
    from PIL import Image

    from docclean import io as pageio
    from docclean.batch import clean_page
    from docclean.checkpoint import load_model
    from docclean.engine import Denoiser
    from docclean.models import resolve_model_path
    from docclean.settings import CleanSettings
    from docclean.tiling import plan_tiles

    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--model", default="default")
    p.add_argument("--batches", type=int, nargs="+", default=[4, 8, 16, 32])
    a = p.parse_args()
    if not torch.cuda.is_available():
        sys.exit("no CUDA GPU: this benchmark needs one")
    print(f"GPU: {torch.cuda.get_device_name()}, torch {torch.__version__}")
    settings = CleanSettings(device="cuda")
    tiles = plan_tiles(*PAGE_300, settings.tile_size, settings.overlap, 4)
    print(f"one 300-dpi A4 page = {len(tiles)} tiles of {settings.tile_size} px (overlap {settings.overlap})")
    net, _ = load_model(resolve_model_path(a.model))
    net = net.eval().cuda().to(memory_format=torch.channels_last)
    torch.backends.cudnn.benchmark = True
    print("| precision | batch | ms per batch | tiles/s | 300-dpi pages/s (network alone) |")
    print("|---|---|---|---|---|")
    for dtype in (torch.bfloat16, torch.float16):
        for b in a.batches:
            x = torch.rand(b, 1, settings.tile_size, settings.tile_size, device="cuda")
            x = x.contiguous(memory_format=torch.channels_last)
            with torch.inference_mode(), torch.autocast("cuda", dtype=dtype):
                for _ in range(3):
                    net(x)
                torch.cuda.synchronize()
                start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
                start.record()
                reps = 10
                for _ in range(reps):
                    net(x)
                end.record()
                torch.cuda.synchronize()
            ms = start.elapsed_time(end) / reps
            tps = b / ms * 1e3
            print(f"| {str(dtype).split('.')[-1]} | {b} | {ms:.2f} | {tps:.0f} | {tps / len(tiles):.1f} |", flush=True)
            del x
    rng = np.random.default_rng(0)
    page = (rng.random(PAGE_300, dtype=np.float32) * 0.3 + 0.6).astype(np.float32)
    den = Denoiser.from_settings(CleanSettings(device="cuda", model=a.model))
    t_clean = _best(lambda: den.clean(page))
    t_page = _best(lambda: clean_page(pageio.Page(page, None, None, 0), settings, den))
    u8 = (page * 255).astype(np.uint8)
    buf = io.BytesIO()
    Image.fromarray(u8).save(buf, "PNG")
    data = buf.getvalue()
    t_dec = _best(lambda: np.asarray(Image.open(io.BytesIO(data)).convert("L")))
    t_enc = _best(lambda: Image.fromarray(u8).save(io.BytesIO(), "PNG"))
    print(f"one 300-dpi page of noise, best of 5 (s): Denoiser.clean {t_clean:.3f}; clean_page (with the ink check) "
          f"{t_page:.3f}; PNG decode {t_dec:.3f}; PNG encode {t_enc:.3f}")


if __name__ == "__main__":
    main()
