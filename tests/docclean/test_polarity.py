"""Tests for docclean.polarity: a negative the first test misses is caught by the second look,
and a positive page is never turned."""

import numpy as np

from docclean.levels import is_negative
from docclean.onepage import clean_page
from docclean.pixels import Page
from docclean.polarity import clean_positive, dark_share, mostly_dark
from docclean.settings import CleanSettings
from docclean.synth import render_page


class Threshold:
    """A stand-in network: keeps what is darker than mid-grey, as ink; counts its calls."""

    def __init__(self, blank_light_pages: bool = False) -> None:
        self.calls, self.blank_light_pages = 0, blank_light_pages

    def clean(self, gray: np.ndarray, progress: object = None) -> np.ndarray:
        self.calls += 1
        if self.blank_light_pages and gray.mean() > 0.5:
            return np.ones_like(gray, dtype=np.float32)
        return np.where(gray < 0.5, 0.0, 1.0).astype(np.float32)


def text() -> np.ndarray:
    return render_page(400, 300, dpi=100, font_pt=12)


def missed_negative(writing: np.ndarray) -> np.ndarray:
    """Light writing on dark paper whose left part a light blotch covers, joining its letters into
    one light region: too few thin light marks, and one region, so the first test misses it."""
    page = np.full(writing.shape, 0.2, np.float32)
    page[writing < 0.5] = 0.85
    page[:, :90] = np.maximum(page[:, :90], 0.75)
    return page


def test_a_negative_the_first_test_misses_is_cleaned_inverted():
    writing = text()
    page = missed_negative(writing)
    assert not is_negative(page) and mostly_dark(page)
    net = Threshold()
    positive, cleaned = clean_positive(page, net)
    assert net.calls == 2
    np.testing.assert_allclose(positive, 1 - page)
    right = writing[:, 90:] < 0.5  # away from the blotch: dark writing on white paper
    assert cleaned[:, 90:][right].mean() < 0.1 and cleaned[:, 90:][~right].mean() > 0.9
    assert dark_share(cleaned) < 0.5 * dark_share(np.where(page < 0.5, 0.0, 1.0))


def test_the_batch_writes_it_dark_on_white_and_the_guard_judges_the_inverted_page():
    writing = text()
    out = clean_page(Page(missed_negative(writing), None, None, 0), CleanSettings(), Threshold())
    assert out.pixels[:, 90:][writing[:, 90:] < 0.5].mean() < 0.1
    assert out.ink_loss < 0.05 and out.inverted
    assert not clean_page(Page(writing, None, None, 0), CleanSettings(), Threshold()).inverted


def test_a_positive_page_is_cleaned_once():
    writing = text()
    net = Threshold()
    positive, cleaned = clean_positive(writing, net)
    assert net.calls == 1 and positive is writing
    # On a dark scanner lid: mostly dark, but the cleaned page is not (the lid is cleared).
    lid = np.full((300, 1200), 0.15, np.float32)
    lid[:, 400:800] = writing

    class ClearsTheLid(Threshold):
        def clean(self, gray: np.ndarray, progress: object = None) -> np.ndarray:
            out = super().clean(gray, progress)
            out[:, :400] = out[:, 800:] = 1.0
            return out

    net = ClearsTheLid()
    assert mostly_dark(lid)
    positive, _ = clean_positive(lid, net)
    assert net.calls == 1 and positive is lid


def test_a_blank_inverted_result_is_not_taken():
    page = missed_negative(text())
    net = Threshold(blank_light_pages=True)  # the network erases the turned page
    positive, cleaned = clean_positive(page, net)
    assert net.calls == 2 and positive is page and dark_share(cleaned) > 0.1


def test_a_found_negative_is_cleaned_inverted_once():
    writing = render_page(600, 400, dpi=150, font_pt=12)
    negative = (1 - writing * 0.8 - 0.1).astype(np.float32)
    assert is_negative(negative)
    net = Threshold()
    positive, _ = clean_positive(negative, net)
    assert net.calls == 1
    np.testing.assert_allclose(positive, 1 - negative)


class ThresholdBackend:
    """The stand-in network as a backend, so the real engine and batch run around it."""

    name, device, precision, multiple, metadata = "threshold", "cpu", "fp32", 4, {}

    def run(self, tiles: np.ndarray) -> np.ndarray:
        return np.where(tiles < 0.5, 0.0, 1.0).astype(np.float32)


def test_the_report_says_which_pages_were_cleaned_as_negatives(tmp_path):
    from docclean.batch import clean_batch
    from docclean.engine import Denoiser
    from docclean.io import write_page

    writing = text()
    (tmp_path / "in").mkdir()
    write_page(tmp_path / "in" / "negative.png", missed_negative(writing))
    write_page(tmp_path / "in" / "positive.png", writing)
    report = clean_batch([str(tmp_path / "in")], tmp_path / "out", CleanSettings(),
                         cleaner=Denoiser(ThresholdBackend(), tile_size=512, overlap=16))
    pages = {f.source.name: f.to_json()["pages"][0] for f in report.files}
    assert pages["negative.png"]["inverted"] is True and pages["positive.png"]["inverted"] is False


def test_an_inverted_result_that_lost_strokes_is_not_taken():
    from docclean.inkloss import ink_loss
    from docclean.polarity import LOST, inverted_wins

    page = missed_negative(text())

    class DropsStrokesWhenTurned(Threshold):
        """Erases the writing in the right part of a light (turned) page: dark enough, not blank,
        far less dark than the page cleaned as it is; only the stroke guard can tell."""

        def clean(self, gray: np.ndarray, progress: object = None) -> np.ndarray:
            out = super().clean(gray, progress)
            if gray.mean() > 0.5:
                out[:, 250:] = 1.0
            return out

    net = DropsStrokesWhenTurned()
    positive, cleaned = clean_positive(page, net)
    assert net.calls == 2 and positive is page
    np.testing.assert_array_equal(cleaned, np.where(page < 0.5, 0.0, 1.0))
    # Every other test of the second look passes: the stroke guard alone refuses it.
    inverted = np.subtract(1, page, dtype=np.float32)
    turned = net.clean(inverted)
    assert dark_share(cleaned) >= 2 * dark_share(turned) >= 2 * 0.02
    assert ink_loss(inverted, turned) > LOST and not inverted_wins(cleaned, inverted, turned)
    out = clean_page(Page(page, None, None, 0), CleanSettings(), DropsStrokesWhenTurned())
    assert not out.inverted
