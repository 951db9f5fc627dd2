"""Embedded ICC colour profiles: every page is read as sRGB.

docclean takes pixels as sRGB everywhere: the grey the model cleans, the colours ``--keep-color``
puts back, and the outputs, which carry no profile. A page whose file embeds another profile (a
ProPhoto or Adobe RGB scan, a linear or gamma-1.8 grey scan, CMYK with its press profile) is
converted to sRGB on reading by LittleCMS (``PIL.ImageCms``); without it a ProPhoto red stamp came
out brown. Relative colorimetric with black point compensation: paper stays white and the
source's darkest ink becomes black (a CMYK profile's black is a dark grey otherwise).

Whether a profile needs converting is measured, not read from its name: sRGB comes under many
names and builds (HP's, lcms's, a camera's), and "sRGB"-named profiles exist that are not sRGB
(scRGB, e-sRGB, linear sRGB). Each profile is tried once on a probe of colours (every grey level,
a 16-step cube) and one that moves none by more than :data:`TOLERANCE` levels is left alone, at
no cost per page. The outcome is cached per profile, so a batch of pages from one camera or
scanner pays the look-up (a few ms) once. A conversion costs about 0.13 s on a 300-dpi colour page
and a few ms on a grey one (a look-up table; ``bench/input_checks.py``)."""

from __future__ import annotations

import functools
import io
import struct
import warnings
from collections.abc import Callable

import numpy as np
from PIL import Image, ImageCms

#: Largest change, in 8-bit levels, of a conversion that is taken as none (rounding and the way
#: each build of sRGB stores its curve differ by a level or two).
TOLERANCE = 2
_INTENT = ImageCms.Intent.RELATIVE_COLORIMETRIC
_FLAGS = ImageCms.Flags.BLACKPOINTCOMPENSATION
_D50 = (0.9642, 1.0, 0.8249)

Converter = Callable[[Image.Image], Image.Image]


def profile_of(im: Image.Image) -> bytes | None:
    """The ICC profile embedded in the current frame of ``im``, or None. A TIFF frame's own tag is
    read (Pillow keeps an earlier frame's profile in ``info`` for a frame without one)."""
    if im.format == "TIFF":
        data = getattr(im, "tag_v2", {}).get(34675)
    else:
        data = im.info.get("icc_profile")
    return bytes(data) if isinstance(data, (bytes, bytearray)) and data else None


def to_srgb(im: Image.Image, profile: bytes | None) -> Image.Image:
    """``im`` converted from ``profile`` to sRGB (sRGB grey for a grey page), or ``im`` itself when
    there is nothing to do: no profile, an sRGB one, a mode the profile does not describe (an RGB
    profile on a grey page) or one docclean does not convert (1-bit, 32-bit, float). A profile
    LittleCMS cannot use is reported as a warning, and the page read as sRGB, as before."""
    if not profile:
        return im
    if im.mode in ("P", "PA"):
        im = im.convert("RGBA" if im.mode == "PA" or "transparency" in im.info else "RGB")
    elif im.mode in ("La", "RGBa"):
        im = im.convert(im.mode[:-1] + "A")
    try:
        convert = _converter(profile, im.mode)
    except (ImageCms.PyCMSError, OSError, ValueError, TypeError) as exc:
        warnings.warn(f"the embedded colour profile cannot be used ({exc}); the page is read as sRGB",
                      stacklevel=2)
        return im
    return im if convert is None else convert(im)


@functools.lru_cache(maxsize=32)
def _converter(profile: bytes, mode: str) -> Converter | None:
    """How to bring a ``mode`` page tagged with ``profile`` to sRGB; None for no change."""
    source = ImageCms.ImageCmsProfile(io.BytesIO(profile))
    space = source.profile.xcolor_space.strip()
    if space == "GRAY" and (mode in ("L", "LA") or mode.startswith("I;16")):
        # A grey page's conversion is a tone curve: 8-bit pages go through it as a look-up table.
        ramp = Image.frombytes("L", (256, 1), bytes(range(256)))
        lut = np.asarray(_transform(source, _srgb_gray(), "L", "L").apply(ramp))[0].tolist()
        if _same(np.array(lut), np.arange(256)):
            return None
        if mode == "L":
            return lambda im: im.point(lut)
        if mode == "LA":
            return lambda im: Image.merge("LA", (im.getchannel(0).point(lut), im.getchannel(1)))
        return _transform(source, _srgb_gray(), mode, mode).apply
    if space == "RGB" and mode in ("RGB", "RGBA"):
        transform = _transform(source, ImageCms.createProfile("sRGB"), mode, mode)
        probe = _rgb_probe()
        if _same(np.asarray(transform.apply(Image.fromarray(probe, "RGB").convert(mode)))[..., :3], probe):
            return None
        return transform.apply
    if space == "CMYK" and mode == "CMYK":
        return _transform(source, ImageCms.createProfile("sRGB"), "CMYK", "RGB").apply
    return None


def _transform(source: ImageCms.ImageCmsProfile, target: ImageCms.ImageCmsProfile | object, in_mode: str,
               out_mode: str) -> ImageCms.ImageCmsTransform:
    return ImageCms.buildTransform(source, target, in_mode, out_mode, renderingIntent=_INTENT, flags=_FLAGS)


def _same(converted: np.ndarray, original: np.ndarray) -> bool:
    return int(np.abs(converted.astype(np.int32) - original.astype(np.int32)).max()) <= TOLERANCE


@functools.cache
def _rgb_probe() -> np.ndarray:
    """uint8 (1, N, 3): a 16-step colour cube and every grey level."""
    steps = np.arange(0, 256, 17, dtype=np.uint8)
    cube = np.stack(np.meshgrid(steps, steps, steps, indexing="ij"), -1).reshape(-1, 3)
    grey = np.repeat(np.arange(256, dtype=np.uint8)[:, None], 3, axis=1)
    return np.concatenate([cube, grey])[None]


@functools.cache
def _srgb_gray() -> ImageCms.ImageCmsProfile:
    """A grey profile with sRGB's tone curve (what a grey page without a profile is taken as):
    LittleCMS builds no grey profile that Pillow can ask for, so it is written here (ICC v2)."""
    levels = np.linspace(0.0, 1.0, 1024)
    linear = np.where(levels <= 0.04045, levels / 12.92, ((levels + 0.055) / 1.055) ** 2.4)
    curve = b"curv" + bytes(4) + struct.pack(">I", len(linear)) + np.round(linear * 65535).astype(">u2").tobytes()
    white = b"XYZ " + bytes(4) + b"".join(struct.pack(">i", round(v * 65536)) for v in _D50)
    name = b"sRGB grey (docclean)"
    desc = b"desc" + bytes(4) + struct.pack(">I", len(name) + 1) + name + bytes(1 + 8 + 3 + 67)
    return ImageCms.ImageCmsProfile(io.BytesIO(_icc(b"GRAY", [(b"desc", desc), (b"wtpt", white),
                                                               (b"kTRC", curve)])))


def _icc(space: bytes, tags: list[tuple[bytes, bytes]]) -> bytes:
    """An ICC v2 display profile of colour space ``space`` holding ``tags`` (signature, data)."""
    offset = 128 + 4 + 12 * len(tags)
    table, data = b"", b""
    for signature, body in tags:
        table += signature + struct.pack(">II", offset + len(data), len(body))
        data += body + bytes(-len(body) % 4)
    size = offset + len(data)
    illuminant = b"".join(struct.pack(">i", round(v * 65536)) for v in _D50)
    header = (struct.pack(">I", size) + bytes(4) + struct.pack(">I", 0x02100000) + b"mntr" + space + b"XYZ "
              + bytes(12) + b"acsp" + bytes(24) + struct.pack(">I", 0) + illuminant + bytes(48))
    assert len(header) == 128
    return header + struct.pack(">I", len(tags)) + table + data
