"""Embedded ICC profiles (docclean.icc): a page is read as sRGB, whatever profile its file carries.

The profiles are written here (ICC v2 matrix/curve profiles: ProPhoto RGB, linear grey); the images
are small and made in tmp_path."""

from __future__ import annotations

import struct
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageCms, TiffImagePlugin

from docclean import icc
from docclean.io import read_pages
from docclean.pixels import LUMA

H, W = 24, 32
D50 = (0.9642, 1.0, 0.8249)
# ProPhoto (ROMM) RGB: its primaries as D50 XYZ, and its gamma.
PROPHOTO = ((0.7977, 0.2880, 0.0), (0.1352, 0.7119, 0.0), (0.0313, 0.0001, 0.8249))


def xyz(values: tuple[float, float, float]) -> bytes:
    return b"XYZ " + bytes(4) + b"".join(struct.pack(">i", round(v * 65536)) for v in values)


def gamma(value: float) -> bytes:
    return b"curv" + bytes(4) + struct.pack(">IH", 1, round(value * 256)) + bytes(2)


def profile(space: bytes, tags: dict[bytes, bytes]) -> bytes:
    """An ICC v2 display profile (header, tag table, tags), as the specification lays it out."""
    name = b"test profile"
    tags = {b"desc": b"desc" + bytes(4) + struct.pack(">I", len(name) + 1) + name + bytes(79), b"wtpt": xyz(D50),
            **tags}
    offset, table, data = 128 + 4 + 12 * len(tags), b"", b""
    for signature, body in tags.items():
        table += signature + struct.pack(">II", offset + len(data), len(body))
        data += body + bytes(-len(body) % 4)
    header = (struct.pack(">I", offset + len(data)) + bytes(4) + struct.pack(">I", 0x02100000) + b"mntr" + space
              + b"XYZ " + bytes(12) + b"acsp" + bytes(28) + xyz(D50)[8:] + bytes(48))
    return header + struct.pack(">I", len(tags)) + table + data


def prophoto() -> bytes:
    red, green, blue = PROPHOTO
    return profile(b"RGB ", {b"rXYZ": xyz(red), b"gXYZ": xyz(green), b"bXYZ": xyz(blue),
                             b"rTRC": gamma(1.8), b"gTRC": gamma(1.8), b"bTRC": gamma(1.8)})


def linear_grey() -> bytes:
    return profile(b"GRAY", {b"kTRC": gamma(1.0)})


def stamp_page() -> np.ndarray:
    """sRGB: white paper, a red stamp (255, 80, 80), black writing."""
    page = np.full((H, W, 3), 255, np.uint8)
    page[4:12, 4:20] = (255, 80, 80)
    page[16:20, 2:30] = 0
    return page


def in_prophoto(srgb: np.ndarray) -> Image.Image:
    """The page's pixels as a ProPhoto file holds them."""
    to_pro = ImageCms.buildTransform(ImageCms.createProfile("sRGB"), ImageCms.ImageCmsProfile(_bytes_io(prophoto())),
                                     "RGB", "RGB", renderingIntent=ImageCms.Intent.RELATIVE_COLORIMETRIC)
    return ImageCms.applyTransform(Image.fromarray(srgb), to_pro)


def _bytes_io(data: bytes):
    import io

    return io.BytesIO(data)


@pytest.mark.parametrize("suffix", [".png", ".tif", ".webp"])
def test_a_prophoto_red_comes_out_the_srgb_red(tmp_path: Path, suffix: str) -> None:
    srgb = stamp_page()
    stored = in_prophoto(srgb)
    assert np.abs(np.asarray(stored).astype(int)[6, 6] - (255, 80, 80)).max() > 40  # the file's own numbers differ
    path = tmp_path / f"stamp{suffix}"
    stored.save(path, icc_profile=prophoto(), **({"lossless": True} if suffix == ".webp" else {}))
    (page,) = read_pages(path)
    assert page.color is not None
    assert np.abs(page.color.astype(int) - srgb).max() <= 3  # was brown: the ProPhoto numbers as sRGB
    np.testing.assert_allclose(page.gray, (srgb @ LUMA) / 255, atol=0.015)


def test_an_srgb_profile_costs_nothing(tmp_path: Path) -> None:
    """An sRGB profile (here lcms's own; another build's differs by a level at most) changes no
    pixel and is no conversion at all, only a look-up per profile."""
    srgb = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    path = tmp_path / "srgb.png"
    Image.fromarray(stamp_page()).save(path, icc_profile=srgb)
    (page,) = read_pages(path)
    np.testing.assert_array_equal(page.color, stamp_page())
    with Image.open(path) as im:
        assert icc.to_srgb(im, icc.profile_of(im)) is im


def test_a_linear_grey_page_is_read_as_srgb_grey(tmp_path: Path) -> None:
    """A grey page with a gamma-1.0 profile: its 128 is half the light, which sRGB writes as 188."""
    path = tmp_path / "linear.png"
    Image.fromarray(np.full((H, W), 128, np.uint8)).save(path, icc_profile=linear_grey())
    (page,) = read_pages(path)
    assert page.color is None
    assert abs(float(page.gray[0, 0]) * 255 - 188) <= 1  # was 128
    sixteen = tmp_path / "linear16.tif"
    Image.fromarray(np.full((H, W), 128 * 257, np.uint16)).save(sixteen, icc_profile=linear_grey())
    assert abs(float(next(read_pages(sixteen)).gray[0, 0]) * 255 - 188) <= 1


def test_each_tiff_page_has_its_own_profile(tmp_path: Path) -> None:
    """A page without a profile after one with a ProPhoto profile is sRGB, not ProPhoto (Pillow keeps
    the first page's profile in its info)."""
    srgb = stamp_page()
    path = tmp_path / "two.tif"
    with TiffImagePlugin.AppendingTiffWriter(path, new=True) as out:
        in_prophoto(srgb).save(out, "TIFF", icc_profile=prophoto())
        out.newFrame()
        Image.fromarray(srgb).save(out, "TIFF")
        out.newFrame()
    first, second = read_pages(path)
    assert np.abs(first.color.astype(int) - srgb).max() <= 3
    np.testing.assert_array_equal(second.color, srgb)


CMYK_PROFILE = Path("/usr/share/color/icc/ghostscript/default_cmyk.icc")


@pytest.mark.skipif(not CMYK_PROFILE.is_file(), reason="needs Ghostscript's CMYK (SWOP) profile")
def test_cmyk_goes_through_its_profile(tmp_path: Path) -> None:
    cmyk = np.zeros((H, W, 4), np.uint8)  # paper
    cmyk[4:12, 4:20] = (255, 0, 0, 0)  # cyan ink
    cmyk[16:20] = (255, 255, 255, 255)  # the darkest ink
    path = tmp_path / "cmyk.tif"
    Image.fromarray(cmyk, "CMYK").save(path, icc_profile=CMYK_PROFILE.read_bytes())
    (page,) = read_pages(path)
    assert tuple(page.color[0, 0]) == (255, 255, 255)
    assert tuple(page.color[18, 0]) == (0, 0, 0)
    red, green, blue = page.color[6, 6].astype(int)
    assert red < 30 and 140 < green < 200 and blue > 220  # press cyan; was (0, 255, 255)


def test_a_profile_that_cannot_be_read_is_said_and_the_page_read_as_srgb(tmp_path: Path) -> None:
    path = tmp_path / "odd.png"
    Image.fromarray(stamp_page()).save(path, icc_profile=b"not a profile at all")
    with pytest.warns(UserWarning, match="colour profile cannot be used"):
        (page,) = read_pages(path)
    np.testing.assert_array_equal(page.color, stamp_page())
