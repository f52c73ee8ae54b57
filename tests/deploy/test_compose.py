"""docker-compose.yml, the Dockerfile and .env.example, checked without Docker: their
structure, that every command they run is a real `frontdesk` command with valid options,
that every variable they set is one the settings read, and that health checks are there."""

from __future__ import annotations

import json
import re
import shlex
from typing import Any

import pytest
import typer.main
import yaml

from bot.cli import app as cli_app
from bot.config import Settings, load_settings
from tests.conftest import ROOT

COMPOSE = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
SERVICES: dict[str, dict[str, Any]] = COMPOSE["services"]
OURS = {name: s for name, s in SERVICES.items() if s.get("image", "").startswith("plut-frontdesk")}
COMPOSE_ONLY = {"POSTGRES_USER", "POSTGRES_PASSWORD", "POSTGRES_DB", "WEB_PORTS"}
"""Variables that only docker-compose.yml reads (interpolation), not the program."""


def accepted_variables() -> set[str]:
    return {f.alias for f in Settings.model_fields.values() if f.alias}  # one settings object


def check_command(argv: list[str]) -> None:
    """Fail unless `argv` is `frontdesk …` that the Typer app accepts (sub-commands, options, arguments)."""
    assert argv[0] == "frontdesk", argv
    command = typer.main.get_command(cli_app)
    args = list(argv[1:])
    while hasattr(command, "commands"):  # a group: the next word names a sub-command
        assert args, f"{argv}: a sub-command is missing"
        name = args.pop(0)
        sub = command.commands.get(name)
        assert sub is not None, f"{argv}: `{name}` is not a frontdesk command"
        command = sub
    try:
        command.make_context(command.name or "frontdesk", args)
    except Exception as exc:
        if not hasattr(exc, "format_message"):  # not a usage error of the command line
            raise
        raise AssertionError(f"{argv}: {exc.format_message()}") from None


def test_check_command_refuses_what_frontdesk_refuses() -> None:
    check_command(["frontdesk", "run", "--no-worker", "--workers", "2"])
    for wrong in (["frontdesk", "serve"], ["frontdesk", "run", "--no-such-flag"], ["frontdesk", "db", "downgrade"],
                  ["frontdesk", "run", "--workers", "0"], ["frontdesk", "nlu", "export-rasa"]):
        with pytest.raises(AssertionError):
            check_command(wrong)


def test_compose_has_the_services_and_their_order() -> None:
    assert {"postgres", "migrate", "web", "worker", "rasa", "rasa-export"} <= set(SERVICES)
    pg = SERVICES["postgres"]
    assert pg["image"].startswith("postgres:") and any(v.startswith("pgdata:") for v in pg["volumes"])
    assert "pgdata" in COMPOSE["volumes"]
    for name in ("web", "worker"):
        deps = SERVICES[name]["depends_on"]
        assert deps["migrate"]["condition"] == "service_completed_successfully"
        assert deps["postgres"]["condition"] == "service_healthy"
        assert "container_name" not in SERVICES[name]  # `--scale` needs unnamed containers
    assert SERVICES["migrate"]["depends_on"]["postgres"]["condition"] == "service_healthy"
    assert SERVICES["migrate"]["restart"] == "no"
    assert SERVICES["rasa"]["profiles"] == ["rasa"] and SERVICES["rasa-export"]["profiles"] == ["rasa"]
    assert SERVICES["rasa"]["depends_on"]["rasa-export"]["condition"] == "service_completed_successfully"
    assert "web" not in [p for s in ("web", "worker", "migrate") for p in SERVICES[s].get("profiles", [])]


def test_every_command_is_a_real_frontdesk_command() -> None:
    commands = {name: s["command"] for name, s in OURS.items()}
    assert commands["migrate"] == ["frontdesk", "db", "upgrade"]
    assert commands["web"][:2] == ["frontdesk", "run"] and "--no-worker" in commands["web"]
    assert commands["worker"][:2] == ["frontdesk", "worker"]
    assert commands["rasa-export"][:3] == ["frontdesk", "nlu", "export-rasa"]
    for argv in commands.values():
        check_command(argv)
    for s in OURS.values():
        test = s.get("healthcheck", {}).get("test")
        if test and test[1] == "frontdesk":
            check_command(test[1:])


def test_every_variable_is_one_the_settings_accept() -> None:
    accepted = accepted_variables()
    for name, s in OURS.items():
        unknown = set(s.get("environment", {})) - accepted
        assert not unknown, f"{name} sets {unknown}, which no setting reads"
    used = set(re.findall(r"\$\{([A-Z_]+)", (ROOT / "docker-compose.yml").read_text()))
    assert used <= accepted | COMPOSE_ONLY, used - accepted - COMPOSE_ONLY


def test_env_example_documents_every_variable_with_valid_values() -> None:
    lines = (ROOT / ".env.example").read_text().splitlines()
    shown = {m.group(1) for line in lines if (m := re.match(r"^(?:# )?([A-Z][A-Z0-9_]+)=", line))}
    accepted = accepted_variables()
    assert accepted <= shown, f"not in .env.example: {sorted(accepted - shown)}"
    assert shown <= accepted | COMPOSE_ONLY, f"read by nothing: {sorted(shown - accepted - COMPOSE_ONLY)}"
    values = dict(line.split("=", 1) for line in lines if re.match(r"^[A-Z][A-Z0-9_]+=", line))
    mine = {k: v for k, v in values.items() if k in accepted}
    load_settings(**{k: v for k, v in mine.items() if k in accepted})


def test_every_long_running_service_has_a_healthcheck() -> None:
    for name in ("postgres", "web", "worker", "rasa"):
        check = SERVICES[name]["healthcheck"]
        assert check["test"][0] in ("CMD", "CMD-SHELL") and check["interval"] and check["retries"], name
    assert "/readyz" in " ".join(SERVICES["web"]["healthcheck"]["test"])
    assert "pg_isready" in SERVICES["postgres"]["healthcheck"]["test"][1]


def _instructions() -> list[tuple[str, str]]:
    text = (ROOT / "Dockerfile").read_text().replace("\\\n", " ")
    out = []
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            word, _, rest = line.partition(" ")
            out.append((word.upper(), rest.strip()))
    return out


def test_dockerfile_is_slim_unprivileged_prepared_and_health_checked() -> None:
    steps = _instructions()
    base = next(rest for word, rest in steps if word == "FROM")
    assert re.fullmatch(r"python:3\.1[1-9]-slim(-\w+)?", base), base
    users = [rest for word, rest in steps if word == "USER"]
    assert users and users[-1] not in ("root", "0")
    runs = " ".join(rest for word, rest in steps if word == "RUN")
    assert "compile_catalogs" in runs and "frontdesk nlu train" in runs
    check_command(shlex.split("frontdesk nlu train"))
    cmd = json.loads(next(rest for word, rest in steps if word == "CMD"))
    check_command(cmd)
    health = next(rest for word, rest in steps if word == "HEALTHCHECK")
    assert "--interval=" in health and "--start-period=" in health
    probe = json.loads(health.split(" CMD ", 1)[1])
    assert "/healthz" in probe[-1]
    assert ".venv" in (ROOT / ".dockerignore").read_text()
