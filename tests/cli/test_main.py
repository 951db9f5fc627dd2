"""The ``docclean`` app as a whole: how it prints what is not an error."""

from __future__ import annotations

import warnings


def test_a_warning_is_one_line_without_python_s_file_and_source() -> None:
    import cli.main  # noqa: F401 - sets the format

    text = warnings.formatwarning(RuntimeWarning("backend 'openvino' could not load\n x"), RuntimeWarning,
                                  "/a/b.py", 3, "backend = open_backend(path, settings)")
    assert text == "warning: backend 'openvino' could not load x\n"
