"""What the window remembers between sessions, in QSettings: geometry, view, last folder, settings.

Settings are stored as the JSON of :meth:`CleanSettings.to_dict`; a stored value that no longer
fits (an older version, a hand edit) is dropped in favour of the defaults, never an error.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from docclean.errors import DocCleanError
from docclean.settings import CleanSettings
from gui import menus
from gui.views import VIEWS

if TYPE_CHECKING:
    from gui.window import MainWindow


def restore(window: MainWindow) -> None:
    """Apply the stored geometry, settings and view to ``window``."""
    store = window.store
    geometry = store.value("geometry")
    if geometry is not None:
        window.restoreGeometry(geometry)
    raw = store.value("settings")
    if raw:
        try:
            window.panel.set_settings(CleanSettings.from_dict(json.loads(str(raw))))
        except (DocCleanError, ValueError, TypeError):
            pass  # settings from another version: keep the defaults
    view = str(store.value("view", VIEWS[0]))
    menus.set_view(window, view if view in VIEWS else VIEWS[0])


def save(window: MainWindow) -> None:
    """Store ``window``'s geometry, view and settings (the last folder is stored when opened)."""
    store = window.store
    store.setValue("geometry", window.saveGeometry())
    store.setValue("view", window.preview.view)
    try:
        store.setValue("settings", json.dumps(window.panel.settings().to_dict()))
    except DocCleanError:
        pass  # settings that cannot work together are not worth keeping
    store.sync()
