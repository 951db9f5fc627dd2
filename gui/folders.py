"""Where Export and Save propose to write: never into the scans, and a new folder is a choice too.

Export proposes the folder last chosen in this session, else the one the last export of the
inputs open now went to in an earlier session (so an export carries on where it stopped), else
``<folder>-cleaned`` beside the scans (:func:`proposed_export`): a first export used to open its
dialog in the scans folder, which the batch refuses ("output folder is an input folder"), and the
command row showed the export folder of whatever was open in an earlier session. Its dialog
(:class:`FolderDialog`) takes the name of a folder that does not exist yet, which the export
makes, as ``docclean clean -o`` does.

Save proposes the last folder it wrote into, unless that lies in an opened folder, else the
export folder proposed if it is there, else the folder beside the scans (:func:`save_folder`): a
page saved among the scans is listed as a scan on the next Reload, and Save then refuses its name.
"""

from __future__ import annotations

import json
from pathlib import Path

from PySide6.QtCore import QSettings
from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QFileDialog, QLineEdit, QWidget

#: The suffix of the folder proposed beside the scans.
CLEANED = "-cleaned"


def inputs_key(inputs: list[Path]) -> str:
    """How the store remembers which inputs an export folder was chosen for (absolute paths, no
    system call)."""
    return json.dumps([str(Path(p).absolute()) for p in inputs])


def remember_export(store: QSettings, output: Path | None, inputs: list[Path]) -> None:
    """Keep ``output`` as the export folder of ``inputs`` (None: forget the last one)."""
    if output is None:
        store.remove("lastExport")
        store.remove("lastExportFor")
    else:
        store.setValue("lastExport", str(output))
        store.setValue("lastExportFor", inputs_key(inputs))


def chosen_export(store: QSettings, inputs: list[Path]) -> Path | None:
    """The export folder last chosen for ``inputs`` (in any session), if any."""
    last = store.value("lastExport", "")
    if not last or not inputs or store.value("lastExportFor", "") != inputs_key(inputs):
        return None
    return Path(str(last))


def beside(inputs: list[Path]) -> Path | None:
    """The folder the scans ``inputs`` lie in or are (the first input if it is a folder, else the
    folder of that file), as given ("samples/scans", as the command row shows the inputs) unless it
    has no name of its own ("." or ".."); None with nothing open. One stat."""
    if not inputs:
        return None
    first = Path(inputs[0])
    anchor = first if first.is_dir() else first.parent
    return anchor.resolve() if anchor.name in ("", "..") else anchor


def proposed_export(store: QSettings, inputs: list[Path], session: Path | None = None) -> Path | None:
    """The export folder the command row shows and Export proposes for ``inputs``: ``session``
    (the one chosen in this session), else the one last chosen for them, else ``<folder>-cleaned``
    beside the scans; None with nothing open."""
    chosen = session or chosen_export(store, inputs)
    if chosen is not None and inputs:
        return chosen
    anchor = beside(inputs)
    return None if anchor is None else anchor.parent / f"{anchor.name}{CLEANED}"


def save_folder(store: QSettings, inputs: list[Path], folders: list[Path], proposal: Path | None) -> Path:
    """Where Save's dialog starts: the folder of the last Save unless it lies in one of the
    ``folders`` opened, else the export folder ``proposal`` if it is there, else beside the scans."""
    last = store.value("lastSave", "")
    if last and not any(_within(Path(str(last)), folder) for folder in folders):
        return Path(str(last))
    if proposal is not None and proposal.is_dir():
        return proposal
    anchor = beside(inputs)
    return anchor.parent if anchor is not None else Path(".").absolute()


def _within(path: Path, folder: Path) -> bool:
    path, folder = path.absolute(), folder.absolute()
    return path == folder or path.is_relative_to(folder)


class FolderDialog(QFileDialog):
    """The export folder's dialog: Qt's own, which has "Create New Folder", opened beside
    ``proposal`` with its name filled in. A name of a folder that does not exist yet is taken (its
    parent must), as the export makes it: Qt's folder dialog, and the platform's, refused it."""

    def __init__(self, parent: QWidget | None, title: str, proposal: Path | None) -> None:
        super().__init__(parent, title)
        self.setFileMode(QFileDialog.FileMode.Directory)
        self.setOption(QFileDialog.Option.ShowDirsOnly)
        self.setOption(QFileDialog.Option.DontUseNativeDialog)  # only Qt's own calls accept() below
        if proposal is not None:
            self.setDirectory(str(proposal.parent))
            self.selectFile(proposal.name)
        # Qt greys out Choose while the name typed is no folder there; after Qt's own update
        # (connected first), a new name in a folder that is there gets it back.
        self._name = self.findChild(QLineEdit, "fileNameEdit")
        buttons = self.findChild(QDialogButtonBox, "buttonBox")
        self._choose = buttons.button(QDialogButtonBox.StandardButton.Open) if buttons is not None else None
        if self._name is not None:
            self._name.textChanged.connect(self._allow_new_folder)

    def _new_folder(self) -> bool:
        """Whether the name typed is of a folder not there yet, in a folder that is."""
        chosen = self.selectedFiles()
        return bool(chosen) and not Path(chosen[0]).exists() and Path(chosen[0]).parent.is_dir()

    def _allow_new_folder(self) -> None:
        if self._choose is not None and self._new_folder():
            self._choose.setEnabled(True)

    def showEvent(self, event: QShowEvent) -> None:  # noqa: N802 - Qt override
        super().showEvent(event)
        self._allow_new_folder()  # the name proposed

    def accept(self) -> None:  # noqa: D102 - Qt override
        if self._new_folder():
            QDialog.accept(self)  # a new folder: the export makes it
            return
        super().accept()


def ask_export_folder(parent: QWidget, proposal: Path | None) -> Path | None:
    """Ask for the export folder, ``proposal`` filled in; None if cancelled."""
    dialog = FolderDialog(parent, "Export cleaned pages to", proposal)
    if dialog.exec() != QDialog.DialogCode.Accepted or not dialog.selectedFiles():
        return None
    return Path(dialog.selectedFiles()[0])
