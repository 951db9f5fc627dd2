"""The way out of a close that waits too long: "Quit now" or "Keep waiting" (``gui.closing``).

Closing waits for its threads (a QThread destroyed while it runs aborts the process), and a step
that cannot be stopped (Save writing the page, loading a model, decoding one huge page, one read
on a network share that hangs) may never end. :class:`QuitNowPrompt` says what closing waits for
and for how long, and what quitting without it means, worded here from what the writers do:
Save and exports write into a hidden temporary file beside the target and rename it only once it
is whole (``docclean.writer``), so a quit leaves no part of a page under the target's name, but
may leave that temporary file. The prompt is not modal and is parented to the window, which is
disabled meanwhile: a window's ``setEnabled(False)`` reaches its dialogs too, so closing enables
it again (:meth:`QuitNowPrompt.offer`) each time it disables the window.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox, QWidget

from docclean.writer import temp_name

#: The prompt's title; tests find it by it.
TITLE = "Quit without waiting?"


def waited(seconds: float) -> str:
    """``seconds`` in words: "12 s", "2 min 05 s"."""
    whole = max(1, int(seconds))
    return f"{whole} s" if whole < 60 else f"{whole // 60} min {whole % 60:02d} s"


def temp_of(target: Path) -> str:
    """The name of the temporary file the writer makes beside ``target``, its random part as "…"."""
    return temp_name(target, token="…").name


def costs(saving: Path | None, exporting: bool) -> str:
    """What quitting now loses: the page Save writes to ``saving`` (None: no Save runs), the page an
    export writes (``exporting``); else nothing: the other threads write none of the user's files
    (converting a model writes docclean's own cache, and a conversion cut short is done again)."""
    said = []
    if saving is not None:
        said.append(f"The page may then not be saved. {saving} is never left half-written (docclean writes "
                    f"into a hidden temporary file and renames it only once whole), but that temporary file, "
                    f"{temp_of(saving)}, may be left in the same folder, to delete.")
    if exporting:
        said.append("The export, already told to stop, ends where it is: the pages written are kept, and "
                    "a page it was writing stays a hidden temporary file, which the next export into that "
                    "folder removes.")
    if not said:
        said.append("Nothing of yours is lost: what still runs writes none of your files.")
    return " ".join(said)


class QuitNowPrompt(QMessageBox):
    """Non-modal "Quit now" / "Keep waiting" (the default, and Esc) over ``window``, which closing
    keeps disabled; "Quit now" calls ``quit_now``. The buttons hide it; :meth:`offer` shows it
    again and rewrites it."""

    def __init__(self, window: QWidget, quit_now: Callable[[], None]) -> None:
        super().__init__(QMessageBox.Icon.Warning, TITLE, "", QMessageBox.StandardButton.NoButton, window)
        self.setWindowModality(Qt.WindowModality.NonModal)  # a QMessageBox is modal by default
        self.quit_button = self.addButton("Quit now", QMessageBox.ButtonRole.DestructiveRole)
        self.wait_button = self.addButton("Keep waiting", QMessageBox.ButtonRole.RejectRole)
        self.setDefaultButton(self.wait_button)
        self.setEscapeButton(self.wait_button)  # and the prompt's own close button
        self.buttonClicked.connect(lambda button: quit_now() if button is self.quit_button else None)

    def offer(self, running: str, seconds: float, saving: Path | None, exporting: bool, front: bool) -> None:
        """Show (or refresh) the prompt: closing has waited ``seconds`` for ``running`` (in
        ``ClosingMixin._running``'s words); ``saving`` and ``exporting`` as :func:`costs` takes them;
        ``front``: raised above the window even if it was already shown (asked for again)."""
        text = (f"Closing has waited {waited(seconds)} for {running} to finish. It cannot be stopped, and "
                "may never end if a network share or disk does not answer.")
        more = (f"Quit now ends docclean at once, without waiting; the window's size, view and settings are "
                f"saved first. {costs(saving, exporting)}\n\nKeep waiting: the window closes by itself once "
                "it has ended; close the window again to see this again.")
        if self.text() != text:
            self.setText(text)
        if self.informativeText() != more:
            self.setInformativeText(more)
        self.setEnabled(True)  # the window's setEnabled(False) disabled it too
        if not self.isVisible():
            self.show()
        if front:
            self.raise_()
            self.activateWindow()

