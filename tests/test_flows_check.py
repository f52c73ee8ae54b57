"""`frontdesk flows check` and the flow loader: every error with its file and line."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from bot.engine.flows import FlowsInvalid, build_registry
from tests.conftest import ROOT, Cli

BROKEN = """flow: broken_demo
steps:
  - say: {id: "Halo", en: "Hello"}
  - ask:
      slot: name
      text: {id: "Nama?"}
  - goto: nowhere_flow
  - say: {id: "a", en: "b"}
    menu: {text: {id: "x", en: "y"}, options: [{title: {id: "1", en: "1"}, goto: main_menu}]}
"""


def test_shipped_flows_are_valid(sqlite_url: str) -> None:
    proc = Cli(sqlite_url).run("flows", "check")
    assert "flows OK" in proc.stdout


def test_broken_flow_fails_with_file_and_line(tmp_path: Path, sqlite_url: str) -> None:
    flows = tmp_path / "flows"
    shutil.copytree(ROOT / "flows", flows)
    (flows / "broken_demo.yml").write_text(BROKEN)
    proc = Cli(sqlite_url).run("flows", "check", str(flows), check=False)
    assert proc.returncode == 1
    err = proc.stderr
    assert f"{flows / 'broken_demo.yml'}:6: steps.1.ask.text.en: Field required" in err
    assert f"{flows / 'broken_demo.yml'}:" in err and "a step does exactly one thing" in err
    assert ":8:" in err


def test_unknown_goto_and_action_are_reported_with_lines() -> None:
    texts = {
        "main_menu.yml": "flow: main_menu\nsteps:\n  - say: {id: a, en: b}\n",
        "language.yml": "flow: language\nsteps:\n  - goto: main_menu\n",
        "x.yml": "flow: x\nsteps:\n  - say: {id: a, en: b}\n  - goto: nowhere\n  - action: no.such_action\n",
    }
    try:
        build_registry(texts, known_actions=[])
    except FlowsInvalid as exc:
        got = [str(e) for e in exc.errors]
    else:
        raise AssertionError("an unknown goto must be refused")
    assert "x.yml:4: goto `nowhere`: no such flow or step" in got
    assert "x.yml:5: unknown action `no.such_action`" in got


def test_yaml_syntax_error_has_a_line() -> None:
    texts = {"bad.yml": "flow: bad\nsteps:\n  - say: {id: a, en: b\n  - goto: main_menu\n"}
    try:
        build_registry(texts)
    except FlowsInvalid as exc:
        assert exc.errors[0].file == "bad.yml" and exc.errors[0].line in (3, 4) and "YAML" in exc.errors[0].message
    else:
        raise AssertionError("broken YAML must be refused")


def test_run_refuses_to_start_with_broken_flows(tmp_path: Path, sqlite_url: str) -> None:
    content = tmp_path / "content"
    shutil.copytree(ROOT / "flows", content / "flows")
    shutil.copytree(ROOT / "locales", content / "locales")
    (content / "flows" / "broken_demo.yml").write_text(BROKEN)
    proc = Cli(sqlite_url, {"FRONTDESK_CONTENT_DIR": str(content)}).run("chat", "--jsonl", input="", check=False)
    assert proc.returncode == 2 and "broken_demo.yml:6" in proc.stderr


def test_an_aside_flow_may_only_answer() -> None:
    """An `aside` flow is answered in the middle of another flow, which then asks its question
    again: a step that waits for the user would leave both half done."""
    texts = {
        "main_menu.yml": "flow: main_menu\nsteps:\n  - say: {id: a, en: b}\n",
        "language.yml": "flow: language\nsteps:\n  - goto: main_menu\n",
        "aside_demo.yml": "flow: aside_demo\naside: true\nsteps:\n  - say: {id: a, en: b}\n"
                          "  - ask:\n      slot: name\n      text: {id: \"Nama?\", en: \"Name?\"}\n",
    }
    with pytest.raises(FlowsInvalid) as caught:
        build_registry(texts, known_actions=[])
    assert any("aside flow has only say, action and end steps" in e.message for e in caught.value.errors), caught.value.errors
    build_registry({**texts, "aside_demo.yml": "flow: aside_demo\naside: true\nsteps:\n  - say: {id: a, en: b}\n  - end: true\n"},
                   known_actions=[])
