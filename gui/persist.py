"""What the window remembers between sessions, in QSettings: geometry, view, last folder, settings.

Settings are stored as the JSON of those that differ from the defaults
(:meth:`CleanSettings.changed`), so a control the user never touched follows a later version's
default. Each stored setting is restored on its own: one that no longer fits (an older version, a
hand edit, a setting this version does not know) is dropped and its default kept, and the others
stay; never an error.
"Overwrite existing files" is not kept: like the CLI's ``--overwrite``, replacing files already
exported is asked for each session, never inherited from an earlier one.
"""

from __future__ import annotations

import contextlib
import json
from typing import TYPE_CHECKING

from docclean.errors import DocCleanError
from docclean.settings import CleanSettings
from gui import menus
from gui.views import VIEWS

if TYPE_CHECKING:
    from gui.window import MainWindow


def restore(window: MainWindow) -> None:
    """Apply the stored geometry, settings and view to ``window``. Each value is restored on its
    own: one that fails in any way (wrong type, an older version, a hand edit) is dropped and its
    default kept, so a bad value never stops the app from starting."""
    store = window.store
    # Any exception, e.g. the TypeError of a string where Qt wants bytes: the default geometry stays.
    with contextlib.suppress(Exception):
        geometry = store.value("geometry")
        if geometry is not None:
            window.restoreGeometry(geometry)
    raw = store.value("settings")
    if raw:
        try:
            stored = _upgraded(json.loads(str(raw)))
        except Exception:  # noqa: BLE001 - not JSON, or not even text: nothing of it can be kept
            stored = {}
        settings = usable_settings(stored if isinstance(stored, dict) else {})
        try:
            window.panel.set_settings(settings)
        except Exception:  # noqa: BLE001 - a value the controls cannot show: back to the defaults
            # set_settings may have shown part of the value before failing.
            window.panel.set_settings(CleanSettings())
    try:
        view = str(store.value("view", VIEWS[0]))
    except Exception:  # noqa: BLE001 - a value QSettings cannot even read back as text
        view = VIEWS[0]
    menus.set_view(window, view if view in VIEWS else VIEWS[0])


def save(window: MainWindow) -> None:
    """Store ``window``'s geometry, view and settings (the last folder is stored when opened)."""
    store = window.store
    store.setValue("geometry", window.saveGeometry())
    store.setValue("view", window.preview.view)
    try:
        store.setValue("settings", json.dumps(window.panel.settings().replace(overwrite=False).changed()))
    except DocCleanError:
        pass  # settings that cannot work together are not worth keeping
    store.sync()


def usable_settings(stored: dict) -> CleanSettings:
    """The defaults with every stored setting that fits kept: one that is unknown, of the wrong
    type or out of range is left out, and one that needs another (a threshold needs 1-bit) is
    kept once that one is in, whatever their order."""
    kept: dict = {}
    waiting = {str(name): value for name, value in stored.items()}
    while waiting:
        taken = [name for name, value in waiting.items() if _fits({**kept, name: value})]
        if not taken:
            break  # what is left fails on its own or with the others kept: dropped
        for name in taken:
            if _fits({**kept, name: waiting[name]}):  # fits beside those taken before it in this pass
                kept[name] = waiting[name]
            del waiting[name]
    return CleanSettings.from_dict(kept)


def _fits(values: dict) -> bool:
    try:
        CleanSettings.from_dict(values)
    except Exception:  # noqa: BLE001 - DocCleanError, and a TypeError for an unhashable value
        return False
    return True


def _upgraded(stored: dict) -> dict:
    """Settings stored by an older version, which kept every field: its batch size of 1 was the
    default then, and "the backend's choice" (0) is now, so a GPU is not held to one tile a call."""
    if isinstance(stored, dict) and len(stored) >= len(CleanSettings().to_dict()) - 1 and stored.get("batch_size") == 1:
        return {k: v for k, v in stored.items() if k != "batch_size"}
    return stored
