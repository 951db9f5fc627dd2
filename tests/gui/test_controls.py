"""The settings panel: every value its spin boxes reach is one the settings accept; Reset."""

from __future__ import annotations

import pytest
from PySide6.QtWidgets import QAbstractSpinBox

from docclean.settings import CleanSettings
from gui.controls import SettingsPanel


@pytest.fixture
def panel(qtbot):  # noqa: ANN001 - pytest-qt fixture
    widget = SettingsPanel()
    qtbot.addWidget(widget)
    # A fixed threshold, so that its box counts in settings() too.
    widget.set_settings(CleanSettings(binarize=True, threshold=0.5))
    return widget


def test_every_value_the_spin_boxes_reach_is_valid(panel) -> None:
    spins = panel.findChildren(QAbstractSpinBox)
    assert len(spins) == 7
    for spin in spins:
        low, high, step = spin.minimum(), spin.maximum(), spin.singleStep()
        for value in (low, low + step, low + 2 * step, high - step, high):
            for direction in (1, -1):
                spin.setValue(value)
                spin.stepBy(direction)
                panel.settings()  # raises UsageError for a value the settings refuse
        spin.setValue(low)
    panel.dpi.setValue(panel.dpi.minimum())
    assert panel.dpi.text() == "native" and panel.settings().dpi is None
    panel.dpi.stepBy(1)  # one click up from "native"
    assert panel.settings().dpi == 10
    panel.max_stroke.setValue(2)
    panel.max_stroke.stepBy(-1)  # one click down from 2
    assert panel.max_stroke.text() == "never" and panel.settings().max_stroke == 0


@pytest.mark.parametrize("settings", [CleanSettings(dpi=None, max_stroke=0, threads=None),
                                      CleanSettings(dpi=300.0, max_stroke=2, threads=1),
                                      CleanSettings(dpi=10.0, max_stroke=1000, threads=1024)])
def test_special_values_round_trip(panel, settings) -> None:  # noqa: ANN001
    panel.set_settings(settings)
    assert panel.settings() == settings


def test_reset_to_defaults_resets_the_threshold_box(panel) -> None:
    panel.set_settings(CleanSettings(binarize=True, threshold=0.3))
    panel.reset.click()
    assert panel.settings() == CleanSettings()
    assert panel.threshold.value() == pytest.approx(0.5) and not panel.threshold.isEnabled()


def test_options_that_do_not_apply_show_what_is_used_and_come_back(panel) -> None:
    """A greyed-out option shows what the engine does (unticked; the threshold method, not a stale
    number) and gets the user's choice back once it applies again."""
    emitted = []
    panel.settingsChanged.connect(lambda: emitted.append(1))
    panel.threshold.setValue(0.3)
    panel.binarize.setChecked(False)  # grey pages: no threshold, no adaptive options
    assert not panel.fixed_threshold.isChecked() and not panel.fixed_threshold.isEnabled()
    assert panel.threshold.text() == "—" and not panel.threshold.isEnabled()
    assert panel.settings() == CleanSettings()
    panel.binarize.setChecked(True)  # back: the fixed threshold the user set, with its number
    assert panel.fixed_threshold.isChecked() and panel.threshold.text() == "0.30"
    assert panel.settings().threshold == pytest.approx(0.3)
    panel.fixed_threshold.setChecked(False)
    assert panel.threshold.text() == "adaptive" and not panel.threshold.isEnabled()
    panel.keep_faint.setChecked(True)
    panel.fixed_threshold.setChecked(True)  # a fixed cut: "keep faint marks" does not apply
    assert not panel.keep_faint.isChecked() and not panel.keep_faint.isEnabled()
    assert not panel.settings().keep_faint
    panel.fixed_threshold.setChecked(False)
    assert panel.keep_faint.isChecked() and panel.settings().keep_faint
    assert len(emitted) == 7  # one per edit above: showing or hiding a tick is no edit of its own
    panel.binarize.setChecked(False)
    panel.reset.click()  # nothing kept from before the reset comes back
    panel.binarize.setChecked(True)
    assert not panel.keep_faint.isChecked() and not panel.fixed_threshold.isChecked()
    assert panel.threshold.text() == "adaptive"


@pytest.mark.parametrize("ticked", ["fixed_threshold", "keep_faint"])
def test_reset_while_an_option_applies_does_not_bring_it_back_later(panel, ticked) -> None:  # noqa: ANN001
    panel.binarize.setChecked(True)
    getattr(panel, ticked).setChecked(True)
    panel.reset.click()  # 1-bit off: while the panel filled in, the old tick was kept as if greyed out
    panel.binarize.setChecked(True)
    assert not getattr(panel, ticked).isChecked()
    assert panel.settings() == CleanSettings(binarize=True)


def test_the_fixed_threshold_takes_two_decimals_typed(qtbot, panel) -> None:
    """Typing "0.45" over the selected number gives 0.45: the box was rewritten after each
    keystroke ("0.4" became "0.40", the cursor at its end) and ended at 0.40."""
    panel.set_settings(CleanSettings())
    panel.show()
    panel.binarize.setChecked(True)
    panel.fixed_threshold.setChecked(True)
    panel.threshold.setFocus()
    panel.threshold.selectAll()
    qtbot.keyClicks(panel.threshold, "0.45")
    assert panel.threshold.text() == "0.45"
    assert panel.settings().threshold == pytest.approx(0.45)


def _one_bit_notes(panel: SettingsPanel) -> list[str]:
    from PySide6.QtWidgets import QLabel

    return [label.text() for label in panel.findChildren(QLabel) if label.isVisible() and "1-bit" in label.text()]


def test_black_and_white_into_jpeg_says_before_the_export_that_it_will_be_grey(qtbot, window, tmp_path,
                                                                               open_listed) -> None:
    """The preview of a JPEG scan showed crisp 1-bit pages; "same as input" exported 8-bit grey JPEG,
    and only the export's summary said so."""
    from docclean.io import write_page
    from tests.gui.conftest import make_page

    write_page(tmp_path / "scan.jpg", make_page(60, 80, 1), (150.0, 150.0))
    write_page(tmp_path / "other.png", make_page(60, 80, 2), (150.0, 150.0))
    panel = window.panel
    open_listed(window, [tmp_path / "other.png"])
    panel.binarize.setChecked(True)
    assert _one_bit_notes(panel) == []  # PNG keeps 1-bit pages
    open_listed(window, [tmp_path / "scan.jpg", tmp_path / "other.png"])
    assert len(_one_bit_notes(panel)) == 1 and "JPEG" in _one_bit_notes(panel)[0]
    assert "same as input" in _one_bit_notes(panel)[0]
    panel.fmt.setCurrentIndex(panel.fmt.findData("png"))
    assert _one_bit_notes(panel) == []
    panel.fmt.setCurrentIndex(panel.fmt.findData("webp"))
    assert "WebP has no 1-bit pages" in _one_bit_notes(panel)[0]
    panel.binarize.setChecked(False)
    assert _one_bit_notes(panel) == []


def test_two_retrained_models_read_apart_in_the_model_list(panel, tmp_path) -> None:  # noqa: ANN001
    """Every `docclean train` run writes best.safetensors: two of them were both listed so."""
    first, second = str(tmp_path / "office" / "best.safetensors"), str(tmp_path / "receipts" / "best.safetensors")
    for model in (first, second):
        panel.set_settings(CleanSettings(model=model))
    names = [panel.model.itemText(i) for i in range(panel.model.count())]
    assert "office/best.safetensors" in names and "receipts/best.safetensors" in names


def test_each_built_in_model_in_the_list_says_what_it_is_for(panel) -> None:  # noqa: ANN001
    from PySide6.QtCore import Qt

    from docclean.models import BUILTIN_USES

    tips = {panel.model.itemData(i): panel.model.itemData(i, Qt.ItemDataRole.ToolTipRole)
            for i in range(panel.model.count())}
    assert tips["marks"] == f"marks: {BUILTIN_USES['marks']}" and tips["default"].startswith("default: every kind")
