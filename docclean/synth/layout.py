"""Clean page content as ink coverage maps (0 paper .. 1 full ink), laid out in physical units.

:func:`render_layout` draws a window of a page at a given dpi: headings, body text in one or two
columns (serif, sans, typewriter or handwriting-like type, 6-16 pt), tables and form lines, and on
a separate layer the things written with another pen: stamps, signature scribbles, handwritten
notes. Separate layers let :mod:`docclean.synth.ink` give them different inks.
:func:`render_page` is the older helper: black text on a white A4 page.
"""

from __future__ import annotations

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from docclean.synth.fonts import pick_font

LOREM = (
    "Scanned pages come out of offices and archives stained, creased, shadowed and grey. "
    "A denoiser must keep every stroke of every letter while it whitens the paper around it. "
    "The quick brown fox jumps over the lazy dog 0123456789. Invoice No. 4711, dated 21 May; "
    "total amount due within thirty days of receipt. Please quote the reference on all replies."
)

WORDS = (
    "the of and to in is for on that with as was by at from this be are or an which have not it "
    "page record letter office archive account received payment total amount date name address "
    "signature county clerk minutes meeting committee report annual statement balance invoice "
    "number receipt tax item quantity price description remarks approved witness deed parish "
    "register January February March April May June July August September October November December "
    "Mr. Mrs. Dr. Co. Ltd. No. Ref. St. & $ % 1 2 3 4 5 6 7 8 9 10 12 25 31 100 250 1887 1923 1964 "
    "2004 19.95 4,711.00 (see) \"quoted\" well-known e-mail: www. lorem ipsum dolor sit amet"
).split()


def _words(rng: np.random.Generator, n: int) -> str:
    return " ".join(WORDS[i] for i in rng.integers(0, len(WORDS), n))


def _paragraph(draw: ImageDraw.ImageDraw, x0: int, x1: int, y: int, y_max: int, font, line_h: int,
               rng: np.random.Generator) -> int:
    """Fill lines between x0 and x1 from y down with random words; returns the next free y."""
    x = x0 + int(rng.integers(0, 3)) * line_h
    while y + line_h <= y_max:
        word = WORDS[int(rng.integers(len(WORDS)))] + " "
        wlen = draw.textlength(word, font=font)
        if x + wlen > x1:
            x, y = x0, y + line_h
            if rng.random() < 0.08:  # paragraph break
                y += line_h // 2
                if rng.random() < 0.3:
                    return y + line_h
            continue
        draw.text((x, y), word, fill=255, font=font)
        x += int(wlen)
    return y + line_h


def _table(draw: ImageDraw.ImageDraw, x0: int, x1: int, y: int, y_max: int, font, line_h: int,
           rng: np.random.Generator, dpi: int) -> int:
    rows, cols = int(rng.integers(2, 7)), int(rng.integers(2, 6))
    row_h = int(line_h * rng.uniform(1.3, 2.0))
    lw = max(1, int(round(dpi / 150 * rng.uniform(0.5, 1.5))))
    xs = np.linspace(x0, x1, cols + 1).astype(int)
    for r in range(rows + 1):
        yy = y + r * row_h
        if yy > y_max:
            break
        draw.line([(x0, yy), (x1, yy)], fill=255, width=lw)
        if r < rows and yy + row_h <= y_max:
            for c in range(cols):
                text = _words(rng, int(rng.integers(1, 3)))
                draw.text((xs[c] + lw + 2, yy + (row_h - line_h) // 2), text, fill=255, font=font)
    y_end = min(y + rows * row_h, y_max)
    for xx in xs:
        draw.line([(xx, y), (xx, y_end)], fill=255, width=lw)
    return y_end + line_h


def _form(draw: ImageDraw.ImageDraw, x0: int, x1: int, y: int, y_max: int, font, line_h: int,
          rng: np.random.Generator, dpi: int) -> int:
    lw = max(1, int(round(dpi / 200)))
    while y + line_h * 2 <= y_max and rng.random() < 0.85:
        label = _words(rng, int(rng.integers(1, 3))).capitalize() + ":"
        draw.text((x0, y), label, fill=255, font=font)
        lx = x0 + int(draw.textlength(label + "  ", font=font))
        base = y + int(line_h * 0.9)
        if rng.random() < 0.5:
            draw.line([(lx, base), (x1, base)], fill=255, width=lw)
        else:  # dotted leader
            for dx in range(lx, x1, max(3, lw * 3)):
                draw.point((dx, base), fill=255)
        y += int(line_h * 1.8)
    return y + line_h


def _stamp(layer: Image.Image, dpi: int, rng: np.random.Generator) -> None:
    size = int(dpi * rng.uniform(0.8, 1.6))
    img = Image.new("L", (size, size), 0)
    d = ImageDraw.Draw(img)
    lw = max(1, dpi // 60)
    font = pick_font("sans", size // 7, rng)
    if rng.random() < 0.5:
        d.ellipse([lw, lw, size - lw, size - lw], outline=255, width=lw)
        d.ellipse([size // 8, size // 8, size - size // 8, size - size // 8], outline=255, width=max(1, lw // 2))
    else:
        d.rectangle([lw, size // 4, size - lw, 3 * size // 4], outline=255, width=lw)
    d.text((size // 5, size // 2 - size // 12), _words(rng, 1).upper(), fill=255, font=font)
    img = img.rotate(float(rng.uniform(-30, 30)), resample=Image.BILINEAR)
    x = int(rng.integers(0, max(1, layer.width - size // 2)))
    y = int(rng.integers(0, max(1, layer.height - size // 2)))
    layer.paste(img, (x - size // 4, y - size // 4), img)


def _signature(draw: ImageDraw.ImageDraw, w: int, h: int, dpi: int, rng: np.random.Generator) -> None:
    """A scribble: a smooth random curve, a few loops wide, drawn with a pen of random width."""
    length = dpi * rng.uniform(1.0, 2.5)
    x0, y0 = rng.uniform(0, max(1, w - length)), rng.uniform(0, h)
    t = np.linspace(0, 1, 400)
    loops = rng.uniform(3, 8)
    amp = dpi * rng.uniform(0.08, 0.25)
    ys = y0 + amp * np.sin(2 * np.pi * loops * t + rng.uniform(0, 6)) * (0.6 + 0.4 * np.sin(7 * t))
    xs = x0 + length * t + amp * 0.7 * np.cos(2 * np.pi * loops * t)
    pen = max(1, int(round(dpi / 100 * rng.uniform(0.5, 2.0))))
    draw.line(list(zip(xs.tolist(), ys.tolist())), fill=255, width=pen, joint="curve")


def marker_strokes(h: int, w: int, dpi: int, rng: np.random.Generator) -> np.ndarray:
    """One to four broad pen or marker strokes (a sixtieth to a twenty-fifth of an inch wide: 5-12 px at
    300 dpi, wider than a signature's pen) at random places, so mostly across the printed text: a wavy
    line, an underline or a strike-through, or a loop around a word. Returns their coverage (float32,
    0 paper .. 1 ink). A model trained without them erased such marks where they cross text
    (docs/quality.md, "What it still gets wrong")."""
    layer = Image.new("L", (w, h), 0)
    draw = ImageDraw.Draw(layer)
    for _ in range(int(rng.integers(1, 5))):
        pen = max(2, int(round(dpi * rng.uniform(1 / 60, 1 / 25))))
        length = min(w, dpi * rng.uniform(0.8, 4.0))
        x0, y0 = rng.uniform(-0.1 * w, max(1.0, w - 0.6 * length)), rng.uniform(0, h)
        t = np.linspace(0, 1, 300)
        shape = rng.random()
        if shape < 0.4:  # a wavy line, as handwriting or a scribbled-out passage
            waves, amp = rng.uniform(1, 8), dpi * rng.uniform(0.02, 0.15)
            xs, ys = x0 + length * t, y0 + amp * np.sin(2 * np.pi * waves * t + rng.uniform(0, 6))
        elif shape < 0.8:  # an underline or a strike-through, a little slanted and bowed
            slope, bow = rng.uniform(-0.08, 0.08), dpi * rng.uniform(-0.05, 0.05)
            xs, ys = x0 + length * t, y0 + slope * length * t + bow * np.sin(np.pi * t)
        else:  # a loop around a word or a figure
            rx, ry = length / 4, dpi * rng.uniform(0.1, 0.3)
            a = 2 * np.pi * 1.1 * t + rng.uniform(0, 6)
            xs, ys = x0 + rx + rx * np.cos(a), y0 + ry * np.sin(a)
        draw.line(list(zip(xs.tolist(), ys.tolist())), fill=255, width=pen, joint="curve")
    return np.asarray(layer, np.float32) / 255


def render_layout(h: int, w: int, dpi: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Render a window (h x w pixels) of a page at ``dpi``; returns ``(main, extra)`` coverage maps
    (float32, 0 paper .. 1 ink): printed or typed content, and pen additions (stamps, signatures,
    handwritten notes) that get an ink of their own."""
    main, extra = Image.new("L", (w, h), 0), Image.new("L", (w, h), 0)
    draw, draw_x = ImageDraw.Draw(main), ImageDraw.Draw(extra)
    family = str(rng.choice(["serif", "sans", "mono", "hand"], p=[0.35, 0.3, 0.2, 0.15]))
    pt = float(rng.uniform(6, 16))
    size = max(6, int(round(pt * dpi / 72)))
    font = pick_font(family, size, rng)
    line_h = int(size * rng.uniform(1.15, 1.6))
    margin = int(rng.uniform(0.0, 0.1) * min(h, w, 5 * dpi))
    columns = 2 if rng.random() < 0.3 and w > 3 * dpi else 1
    gap = int(0.3 * dpi)
    col_w = (w - 2 * margin - (columns - 1) * gap) // columns
    y_top = margin - int(rng.uniform(0, 1) * size)  # windows may start mid-line
    y = y_top
    if rng.random() < 0.4:
        head = pick_font(str(rng.choice(["serif", "sans"])), int(size * rng.uniform(1.4, 2.5)), rng)
        draw.text((margin, y), _words(rng, int(rng.integers(2, 6))).title(), fill=255, font=head)
        y += int(size * 3)
    for c in range(columns):
        x0 = margin + c * (col_w + gap)
        yy = y
        while yy < h - margin:
            kind = rng.random()
            if kind < 0.7:
                yy = _paragraph(draw, x0, x0 + col_w, yy, h - margin, font, line_h, rng)
            elif kind < 0.85:
                yy = _table(draw, x0, x0 + col_w, yy, h - margin, font, line_h, rng, dpi)
            else:
                yy = _form(draw, x0, x0 + col_w, yy, h - margin, font, line_h, rng, dpi)
    if rng.random() < 0.25:
        _stamp(extra, dpi, rng)
    if rng.random() < 0.3:
        _signature(draw_x, w, h, dpi, rng)
    if rng.random() < 0.25:  # a handwritten note in the margin or between lines
        note = pick_font("hand", int(size * rng.uniform(1.0, 1.8)), rng)
        draw_x.text((rng.uniform(0, w * 0.6), rng.uniform(0, h * 0.9)), _words(rng, int(rng.integers(2, 6))),
                    fill=255, font=note)
    return (np.asarray(main, np.float32) / 255, np.asarray(extra, np.float32) / 255)


def render_page(width: int = 2480, height: int = 3508, dpi: int = 300, text: str = LOREM,
                font_pt: float = 11.0) -> np.ndarray:
    """Render black text on a white page (float32 0..1), letters sized as ``font_pt`` at ``dpi``:
    a stand-in for a real 300-dpi scan of a printed page (Pillow's built-in font, as the 300-dpi
    bench has always used)."""
    img = Image.new("L", (width, height), 255)
    draw = ImageDraw.Draw(img)
    size = max(int(round(font_pt * dpi / 72)), 6)
    font = ImageFont.load_default(size=size)
    margin, line_h = int(dpi * 0.8), int(size * 1.45)
    words = (text + " ") * 200
    x, y = margin, margin
    for word in words.split(" "):
        wlen = draw.textlength(word + " ", font=font)
        if x + wlen > width - margin:
            x, y = margin, y + line_h
            if y + line_h > height - margin:
                break
        draw.text((x, y), word, fill=0, font=font)
        x += int(wlen)
    return np.asarray(img, dtype=np.float32) / 255
