"""Tests for gui.notices: the error banner, the ink-loss line, the command row and the tile bar."""

from __future__ import annotations

from gui.notices import SHOWN, Banner, CommandRow, InkLine, TileBar


def test_banner_keeps_opening_problems_until_the_next_open(qtbot) -> None:
    banner = Banner()
    qtbot.addWidget(banner)
    banner.show_messages(["a.png: not an image"], opening=True)
    banner.show_messages(["model: cannot read it"])
    assert not banner.isHidden() and banner.text() == "a.png: not an image\nmodel: cannot read it"
    banner.show_messages([])  # a new preview clears its own messages only
    assert banner.text() == "a.png: not an image" and not banner.isHidden()
    banner.show_messages([], opening=True)
    assert banner.isHidden()
    assert banner.history == ["a.png: not an image", "model: cannot read it"]


def test_banner_says_how_many_more_there_are(qtbot) -> None:
    banner = Banner()
    qtbot.addWidget(banner)
    banner.show_messages([f"f{i}.png: broken" for i in range(SHOWN + 3)], opening=True)
    assert banner.text().count("broken") == SHOWN and banner.text().endswith("… and 3 more")


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
