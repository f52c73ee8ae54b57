"""The layers of bot/ hold (import-linter contracts in pyproject.toml), counting imports
made inside functions; a breach fails."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

from tests.conftest import ROOT

LINT = [sys.executable, "-c", "import sys; from importlinter.cli import lint_imports_command; sys.exit(lint_imports_command())"]


def _lint(cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*LINT, "--config", str(cwd / "pyproject.toml"), "--no-cache"], cwd=cwd,
                          capture_output=True, text=True, timeout=300, env={"PYTHONPATH": str(cwd), "PATH": ""})


def test_the_layer_contracts_hold() -> None:
    result = _lint(ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


def test_an_import_inside_a_function_breaks_a_contract(tmp_path: Path) -> None:
    """A use case reaching for the engine inside a function is still a breach, and the
    domain importing anything else of bot is one too; an import under TYPE_CHECKING is not."""
    shutil.copytree(ROOT / "bot", tmp_path / "bot", ignore=shutil.ignore_patterns("__pycache__", "static", "templates"))
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    gazetteer = tmp_path / "bot" / "services" / "gazetteer.py"
    gazetteer.write_text(gazetteer.read_text(encoding="utf-8") + (
        "\n\nfrom typing import TYPE_CHECKING\n\nif TYPE_CHECKING:\n    from bot.channels import telegram  # noqa: F401\n"
    ), encoding="utf-8")
    assert _lint(tmp_path).returncode == 0, "an import for the type checker only is no breach"
    gazetteer.write_text(gazetteer.read_text(encoding="utf-8") + (
        "\n\ndef _late() -> None:\n    from bot.engine import engine  # noqa: F401\n"
    ), encoding="utf-8")
    result = _lint(tmp_path)
    assert result.returncode != 0
    assert "bot.services.gazetteer -> bot.engine.engine" in result.stdout
