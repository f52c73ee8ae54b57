"""The README's two commands stay true: CI runs the README's test command."""

from __future__ import annotations

import re

from tests.conftest import ROOT


def _commands(markdown: str) -> list[str]:
    return [c.strip() for c in re.findall(r"```sh\n(.*?)```", markdown, flags=re.S)]


def test_ci_runs_the_readme_test_command() -> None:
    readme = (ROOT / "README.md").read_text()
    run_cmd, test_cmd = _commands(readme)[:2]
    assert run_cmd.endswith("frontdesk run")
    assert "pytest" in test_cmd
    ci = (ROOT / ".ci" / "run").read_text()
    assert test_cmd in ci.splitlines(), "`.ci/run` must call the README's test command word for word"
