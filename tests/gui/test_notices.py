"""Tests for gui.notices: the ink-loss line, the command row and the tile bar."""

from __future__ import annotations

from gui.notices import CommandRow, InkLine, TileBar


def test_ink_line_warns_above_the_limit_only(qtbot) -> None:
    line = InkLine()
    qtbot.addWidget(line)
    assert line.set_loss(0.23, 0.10) is True and "removed 23.0%" in line.text()
    assert line.set_loss(0.02, 0.10) is False and line.text().startswith("Ink loss 2.0%")
    assert line.set_loss(0.02, 0.10, 0.0) is False  # the option was on and found one layer
    assert line.set_loss(0.02, 0.10, 0.004) is False  # a few specks dropped: no warning
    assert line.set_loss(0.02, 0.10, 0.31) is True and "lighter ink layer (31.0% of the ink)" in line.text()


def test_command_row_and_tile_bar(qtbot) -> None:
    row, bar = CommandRow(), TileBar()
    qtbot.addWidget(row)
    qtbot.addWidget(bar)
    row.set_command("docclean clean SCANS -o OUT")
    assert row.line.text() == "docclean clean SCANS -o OUT" and row.line.isReadOnly()
    bar.set_tiles(2, 6)
    assert not bar.isHidden() and bar.value() == 2 and bar.maximum() == 6
    bar.set_tiles(6, 6)
    assert bar.isHidden()


def test_ink_line_shows_the_limit_as_set_and_a_figure_that_agrees_with_the_rule(qtbot) -> None:
    line = InkLine()
    qtbot.addWidget(line)
    assert line.set_loss(0.023, 0.025) is False
    assert line.text() == "Ink loss 2.3% of the dark strokes (warning above 2.5%)."
    assert line.set_loss(0.0004, 0.0) is True and "removed 0.04% " in line.text() and "above 0%)" in line.text()
    assert line.set_loss(0.00004, 0.0) is False  # 0.0000 as the batch rounds it: nothing lost
    assert line.set_loss(0.1451, 0.145) is True and "removed 14.51% " in line.text() and "above 14.5%" in line.text()
    assert line.set_loss(0.149, 0.145) is True and "removed 14.9% " in line.text()
    assert line.set_loss(0.10004, 0.10) is False  # the batch's rule: 0.1000 is not above 10%
    assert line.set_loss(0.004, 0.005) is False and "0.4% " in line.text() and "above 0.5%" in line.text()
    assert line.set_loss(0.2, 0.1) is True and "above 10%" in line.text()
