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
