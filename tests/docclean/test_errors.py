"""Every error class maps to its documented exit code, in one place (docclean.errors.exit_code)."""

import pytest

from docclean.batch import NothingToClean
from docclean.errors import (EXIT_FAILED, EXIT_INTERRUPTED, EXIT_TERMINATED, EXIT_USAGE, Cancelled, DataError,
                             DiskFullError, InputError, ModelError, OutputError, Terminated, UsageError, exit_code)


@pytest.mark.parametrize("exc, code", [
    (InputError("truncated", "a.png"), EXIT_FAILED),
    (OutputError("read-only", "out/a.png"), EXIT_FAILED),
    (DiskFullError("no space left", "out/a.png"), EXIT_FAILED),
    (DataError("no pairs", "data/"), EXIT_FAILED),
    (ModelError("not a safetensors file", "m.safetensors"), EXIT_USAGE),
    (UsageError("bad", settings=("tile_size",)), EXIT_USAGE),
    (NothingToClean(["x: no such file or folder"]), EXIT_USAGE),
    (ValueError("bad value"), EXIT_USAGE),
    (Cancelled("stop"), EXIT_INTERRUPTED),
    (KeyboardInterrupt(), EXIT_INTERRUPTED),
    (Terminated("SIGTERM"), EXIT_TERMINATED),
    (RuntimeError("boom"), EXIT_FAILED),
])
def test_exit_codes(exc: BaseException, code: int) -> None:
    assert exit_code(exc) == code


def test_messages_name_the_file_and_settings_not_flags() -> None:
    assert str(InputError("truncated", "a.png")) == "a.png: truncated"
    err = UsageError("color 'keep' and binarize cannot be combined", settings=("color", "binarize"))
    assert err.settings == ("color", "binarize") and "--" not in str(err)
