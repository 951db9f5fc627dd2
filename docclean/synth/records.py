"""The record a synthetic set folder keeps of how its pairs were made (``set.json``), and the check
that stops a rerun from mixing pages of other sizes or kinds into the set.

Split from :mod:`docclean.synth.pairs`, which writes the pairs.
"""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING

from docclean.atomic import atomic_path
from docclean.errors import DataError

if TYPE_CHECKING:
    from docclean.synth.pairs import PairKind

SET_NAME = "set.json"
"""What a set folder's pairs were made with (page size, resolutions, kind), beside noisy/ and clean/."""


def check_set(out: Path, options: dict) -> None:
    """DataError when ``out`` holds pairs made with other options (extending it would mix page
    sizes or kinds in one set) or a ``set.json`` that is not a record; records the options when it
    has none yet (also for a set made before the record existed)."""
    stamp = out / SET_NAME
    try:
        saved = json.loads(stamp.read_text())
    except FileNotFoundError:
        out.mkdir(parents=True, exist_ok=True)
        with atomic_path(stamp, suffix=".json") as tmp:
            tmp.write_text(json.dumps(options, indent=1) + "\n")
        return
    except (OSError, ValueError) as exc:  # rewriting it would drop the guard against mixing sets
        raise DataError(f"cannot be read as a set record ({exc}); move it away or choose another folder",
                        stamp) from None
    if not isinstance(saved, dict):
        raise DataError(f"is not a set record: a JSON object was expected, not {type(saved).__name__}; "
                        "move it away or choose another folder", stamp)
    differs = "; ".join(_differences(saved, options))
    if differs:
        raise DataError(f"this set folder holds pairs made with other options ({differs}); extending it would mix "
                        "them: choose another folder", out)


#: The ``docclean synth`` option of each field a set record holds (the others have none: the library's own).
_FLAGS = {"size": "--size", "dpis": "--dpi", "uneven": "--uneven", "markers": "--markers",
          "lines": "--lines", "boxes": "--boxes"}


def _differences(saved: dict, options: dict) -> list[str]:
    """One "OPTION: A there, B now" for each field of a set record that differs from ``options``,
    the kind's fields one by one, named by the option that sets them."""
    found = []
    for key in list(options) + [k for k in saved if k in _LATER_FIELDS and k not in options]:
        now, was = options.get(key, _LATER_FIELDS.get(key)), saved.get(key, _LATER_FIELDS.get(key))
        if isinstance(now, dict) and isinstance(was, dict):
            found += _differences(was, now)
        elif was != now:
            found.append(f"{_FLAGS.get(key, key)}: {_shown(was)} there, {_shown(now)} now")
    return found


def _shown(value: object) -> str:
    """A record's value as a user typed it: 0.3, not 0.30000000000000004; 0 for 0.0; dpis as 150 300."""
    if value is None:
        return "not recorded"
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, list):
        return " ".join(_shown(v) for v in value)
    if isinstance(value, dict):
        return ", ".join(f"{k} {_shown(v)}" for k, v in value.items())
    return str(value)

#: Kind fields added after sets were first recorded, with the value every earlier set had: recorded
#: only when set otherwise, so that an earlier set's record still matches and the set can be extended.
_LATER_FIELDS = {"markers": 0.0, "lines": 0.0, "boxes": 0.0}


def recorded(kind: PairKind) -> dict:
    """A kind as its set record holds it (fields added later left out at their old value)."""
    return {k: v for k, v in asdict(kind).items() if not (k in _LATER_FIELDS and v == _LATER_FIELDS[k])}
