"""The error banner (gui.banner): kinds of messages that last differently, every message reachable
in a box of bounded height, and its close button."""

from __future__ import annotations

from gui.banner import EXPORT, LINES, Banner


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


def test_banner_lists_every_message_in_a_bounded_box_and_can_be_dismissed(qtbot) -> None:
    banner = Banner()
    qtbot.addWidget(banner)
    banner.resize(600, 400)
    banner.show()
    one_line = banner.view.fontMetrics().lineSpacing()
    messages = [f"/scans/bad_file_with_a_rather_long_name_number_{i}.png: not an image" for i in range(30)]
    banner.show_messages(messages, opening=True)
    qtbot.wait(20)
    assert banner.text() == "\n".join(messages)  # every message reachable, none summed up as "… more"
    assert banner.view.toPlainText() == "\n".join(f"• {m}" for m in messages)
    assert banner.view.height() <= (LINES + 1) * one_line + 12  # a few lines high, not the whole preview
    assert banner.view.verticalScrollBar().maximum() > 0  # the rest scrolls into view
    assert banner.count.text() == "30 messages"
    banner.close_button.click()
    assert banner.isHidden()
    banner.show_messages([])  # the next preview: the opening problems stand, the banner stays closed
    assert banner.isHidden() and banner.text() == "\n".join(messages)
    banner.show_messages(["model: cannot read it"])  # a new message shows it again
    assert not banner.isHidden() and banner.text().endswith("model: cannot read it")
    banner.show_messages(["a.png: broken"], opening=True)
    qtbot.wait(20)
    assert banner.view.height() < 3 * one_line + 12  # few messages: a small box, no scrolling
    assert banner.count.text() == "2 messages"


def test_an_export_failure_lasts_until_the_next_export(qtbot) -> None:
    banner = Banner()
    qtbot.addWidget(banner)
    banner.show_messages(["out: cannot create the output folder"], kind=EXPORT)
    banner.show_messages([])  # the next preview
    assert banner.text() == "out: cannot create the output folder" and not banner.isHidden()
    banner.show_messages([], kind=EXPORT)  # the next export
    assert banner.isHidden() and banner.text() == ""
