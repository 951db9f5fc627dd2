"""Imports point one way and stay light: ``import docclean`` and the CLI's help load no torch,
and docclean imports nothing from cli/, gui/ or training/."""

import ast
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def _modules_after(code: str) -> set[str]:
    out = subprocess.run([sys.executable, "-c", code + "\nimport sys; print('MODULES:', ' '.join(sys.modules))"],
                         capture_output=True, text=True, encoding="utf-8", errors="replace", cwd=REPO, check=True)
    return set(out.stdout.rsplit("MODULES:", 1)[1].split())


def test_import_docclean_loads_no_torch() -> None:
    mods = _modules_after("import docclean; from docclean import CleanSettings; CleanSettings()")
    assert "torch" not in mods and "docclean.settings" in mods


def test_cli_help_loads_no_torch() -> None:
    for args in ([ "--help"], ["clean", "--help"]):
        code = ("import sys\nfrom cli.main import app\n"
                f"try:\n    app({args!r})\nexcept SystemExit:\n    pass")
        mods = _modules_after(code)
        assert "torch" not in mods, args


def test_docclean_imports_no_front_end() -> None:
    for path in (REPO / "docclean").rglob("*.py"):
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else \
                [node.module or ""] if isinstance(node, ast.ImportFrom) else []
            for name in names:
                assert name.split(".")[0] not in ("cli", "gui", "training"), f"{path}: imports {name}"
