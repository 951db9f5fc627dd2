"""Stored values that no longer fit are dropped, each on its own; the app still starts."""

from __future__ import annotations

import json

import pytest
from PySide6.QtCore import QSettings

from docclean.settings import CleanSettings
from gui.views import SPLIT


@pytest.mark.parametrize("key, value", [("geometry", "not a byte array"), ("geometry", 5),
                                        ("settings", json.dumps({"fmt": 5})),
                                        ("settings", json.dumps({"model": 5})),
                                        ("settings", json.dumps({"tile_size": "big"})),
                                        ("settings", "{not json")])
def test_a_bad_stored_value_is_dropped_and_the_others_kept(qtbot, store, key, value) -> None:  # noqa: ANN001
    from gui.window import MainWindow

    good = {"geometry": None, "settings": json.dumps(CleanSettings(binarize=True).to_dict()), "view": SPLIT}
    for name, stored in {**good, key: value}.items():
        if stored is not None:
            store.setValue(name, stored)
    store.sync()
    window = MainWindow(QSettings(store.fileName(), QSettings.Format.IniFormat))
    qtbot.addWidget(window)
    assert window.preview.view == SPLIT
    expected = CleanSettings() if key == "settings" else CleanSettings(binarize=True)
    assert window.panel.settings() == expected
    window.shutdown()


def test_overwrite_is_not_kept_between_sessions(qtbot, store) -> None:  # noqa: ANN001
    from gui.window import MainWindow

    first = MainWindow(store)
    qtbot.addWidget(first)
    first.panel.set_settings(CleanSettings(binarize=True, overwrite=True))
    first.close()
    second = MainWindow(QSettings(store.fileName(), QSettings.Format.IniFormat))
    qtbot.addWidget(second)
    assert second.panel.settings() == CleanSettings(binarize=True)
    second.shutdown()


def test_only_changed_settings_are_kept_and_an_old_default_batch_size_is_not_a_choice(qtbot, store) -> None:  # noqa: ANN001
    from gui.window import MainWindow

    first = MainWindow(store)
    qtbot.addWidget(first)
    first.panel.set_settings(CleanSettings(binarize=True, batch_size=1))  # chosen: one tile a call
    first.close()
    assert json.loads(str(store.value("settings"))) == {"binarize": True, "batch_size": 1}
    older = {**CleanSettings(binarize=True).to_dict(), "batch_size": 1}  # an older version kept every field
    store.setValue("settings", json.dumps(older))
    store.sync()
    second = MainWindow(QSettings(store.fileName(), QSettings.Format.IniFormat))
    qtbot.addWidget(second)
    assert second.panel.settings() == CleanSettings(binarize=True)  # batch size: the backend's choice again
    second.shutdown()


@pytest.mark.parametrize("stored", [
    {"binarize": True, "threshold": 0.7, "tile_size": 100, "keep_pictures": False},
    {"threshold": 0.7, "nosuch": 1, "keep_pictures": False, "binarize": True},  # a threshold before its binarize
    {"fmt": "xyz", "binarize": True, "keep_pictures": False, "threshold": 0.7, "batch_size": "many"},
])
def test_one_bad_stored_setting_drops_only_itself(qtbot, store, stored) -> None:  # noqa: ANN001
    from gui.window import MainWindow

    store.setValue("settings", json.dumps(stored))
    store.sync()
    window = MainWindow(QSettings(store.fileName(), QSettings.Format.IniFormat))
    qtbot.addWidget(window)
    assert window.panel.settings() == CleanSettings(binarize=True, threshold=0.7, keep_pictures=False)
    window.shutdown()
