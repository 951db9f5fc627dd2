"""File names as the CLI shows them (cli.errors.shown): one line, and two names never alike."""

from cli.errors import shown


def test_a_backslash_is_doubled_once_a_name_needs_escapes() -> None:
    # A backslash and an n, then a real line break: read apart, not as two line breaks.
    assert shown("new\\nline\nbreak.png") == "new\\\\nline\\nbreak.png"
    assert shown("new\\nline\nbreak.png") != shown("new\nline\nbreak.png")
    assert shown("C:\\scans\\a\x1b.png") == "C:\\\\scans\\\\a\\x1b.png"


def test_a_name_with_nothing_to_escape_keeps_its_backslashes_and_escaping_twice_changes_nothing() -> None:
    assert shown("C:\\scans\\new.png") == "C:\\scans\\new.png"
    for name in ("new\\nline\nbreak.png", "a\x1b[2J\\b.png", "bad\udcff\\.png", "plain.png"):
        assert shown(shown(name)) == shown(name)
