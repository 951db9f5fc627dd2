"""How every ``docclean`` command reports failure: one line on stderr and the documented exit code.

The exit code comes from ``docclean.errors.exit_code`` (the one mapping); this module only turns
setting names into the flags that set them, so the engine can speak of settings and the user
reads flags, and shows file names so that a line printed for one stays one line (:func:`shown`).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import fields

import typer

from docclean.errors import DocCleanError, UsageError, exit_code
from docclean.settings import CleanSettings

#: Settings whose flag is not simply ``--`` plus the name with dashes.
FLAG_NAMES = {"fmt": "--format", "color": "--keep-color", "output": "--output",
              "overlap": "--tile-size"}  # no flag sets the overlap; the tile size bounds it
#: Settings no flag sets: the flag named for them is another's, so their own name stays a word.
BORROWED = frozenset({"overlap"})
#: Setting names a message may use: the fields, and ``keep_color`` (how ``color`` reads as a switch).
SETTING_NAMES = frozenset({f.name for f in fields(CleanSettings)} | {"keep_color"})
#: Characters that would break a line or hide what is there: controls (a newline in a file name,
#: an escape sequence), format characters (a right-to-left override), line and paragraph
#: separators, and the surrogates that stand for bytes a file name holds that are no UTF-8.
_UNSAFE = frozenset({"Cc", "Cf", "Cs", "Zl", "Zp"})
_ESCAPES = {"\n": "\\n", "\r": "\\r", "\t": "\\t", "\\": "\\\\"}


def flag(setting: str) -> str:
    """The command-line flag that sets ``setting``."""
    return FLAG_NAMES.get(setting, "--" + setting.replace("_", "-"))


def _escape(char: str) -> str:
    """One unsafe character as an escape: ``\\n``, ``\\x1b``, ``\\u202e``; a surrogate that
    stands for an undecodable byte (os.fsdecode's surrogateescape) as that byte, ``\\xff``."""
    code = ord(char)
    if char in _ESCAPES:
        return _ESCAPES[char]
    if 0xDC80 <= code <= 0xDCFF:
        return f"\\x{code - 0xDC00:02x}"
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def shown(text: object) -> str:
    """``text`` (a file name, or a whole line) with every character that would break the line or
    hide what is there written as an escape (``a\\nb.png``), so one file gets one line and a
    terminal shows the name as it is. In a text that needs escapes its own backslashes are doubled
    (``a\\\\nb``: a backslash and an n), so two names never read the same there; a text that needs
    none is left as it is (Windows paths read as typed), where ``\\n`` is the two characters.
    Idempotent: what it returns needs no escape (the CLI shows a line made of shown names)."""
    text = str(text)
    if text.isprintable():  # the common case, at C speed
        return text
    # Once escapes are written, a backslash of the name's own is doubled: "a\\nb" is a backslash
    # and an n, "a\nb" a line break, in one name. A name with nothing to escape keeps its backslashes.
    return "".join(_escape(c) if c == "\\" or unicodedata.category(c) in _UNSAFE else c for c in text)


def _one_line(text: str) -> str:
    """A message's runs of white space (line breaks in a library's message) as one space, shown."""
    return shown(" ".join(text.split()))


def _in_flags(text: str, settings: Iterable[str]) -> str:
    """``text`` with setting names written as flags: the names of ``settings`` (those a flag sets)
    and any setting name with an underscore (``keep_faint``: no English word), and ``--flag
    'value'`` as typed (``--device cpu``)."""
    words = {s for s in settings if s in SETTING_NAMES and s not in BORROWED}
    words |= {s for s in SETTING_NAMES if "_" in s}
    for word in sorted(words, key=len, reverse=True):
        # Not inside a longer name, a flag or a file name (report.json): a sentence's full stop is fine.
        text = re.sub(rf"(?<![\w.-]){word}(?![\w-]|\.\w)", flag(word), text)
    return re.sub(r"(?<![\w-])(--[a-z][a-z-]*) '([^'\s]+)'", r"\1 \2", text)


def error_line(exc: BaseException, *, flags_in_text: bool = False) -> str:
    """The one line printed for ``exc`` (``error: --flag: ...``), naming flags instead of settings
    and showing its file's name as it is (:func:`shown`). ``flags_in_text``: also write the
    settings the message speaks of as flags (``--keep-faint needs --binarize``), for a command whose
    flags are the settings' names (``clean``, ``watch``); a flag the message names then needs no
    prefix."""
    path = exc.path if isinstance(exc, DocCleanError) else None
    text = _one_line(exc.reason if isinstance(exc, DocCleanError) else str(exc)) or type(exc).__name__
    settings = exc.settings if isinstance(exc, UsageError) else ()
    if flags_in_text:
        text = _in_flags(text, settings)
    if path is not None:
        text = f"{shown(path)}: {text}"
    flags = list(dict.fromkeys(flag(s) for s in settings))
    if flags_in_text and path is None and all(re.search(rf"{f}(?![\w-])", text) for f in flags):
        flags = []  # "error: --max-stroke must be ...", not "error: --max-stroke: --max-stroke must be ..."
    if flags:
        text = f"{', '.join(flags)}: {text}"
    return f"error: {text}"


@contextmanager
def reported_errors() -> Iterator[None]:
    """Run a command body, turning expected exceptions into one printed line and an exit code."""
    try:
        yield
    except (DocCleanError, FloatingPointError, OSError, ValueError, IndexError) as exc:
        typer.echo(error_line(exc), err=True)
        raise typer.Exit(exit_code(exc)) from None
