"""Dialogue flows as data: the YAML schema, loading with line numbers, and validation.

A flow file holds one flow:

    flow: find_center
    description: Find the nearest PLUT center
    triggers: {intents: [find_center], commands: [center]}
    steps:
      - say: {id: "...", en: "..."}            # say something, go on
      - id: where
        ask:                                   # ask for a value; re-ask on a bad one
          slot: place
          type: text                           # text|phone|integer|choice|yes_no|location|contact|any
          text: {id: "...", en: "..."}
          error: {id: "...", en: "..."}
          buttons: [{title: {id: "Ya", en: "Yes"}, payload: "yes"}]
          digress: true                        # false: any text is the answer (a question for a person)
      - menu:                                  # offer choices, each jumps somewhere
          text: {id: "...", en: "..."}
          options:
            - {title: {id: "...", en: "..."}, goto: main_menu}
      - branch:                                # jump by a collected value
          - {if: {slot: answer, equals: "yes"}, goto: confirm}
          - {goto: main_menu}
      - action: centers.nearest                # a named Python action
      - goto: main_menu                        # another flow, or "flow.step", or a step id
      - end: true

Step ids are optional except where a `goto` names them.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from bot.payloads import MAX_PAYLOAD, PayloadInvalid, parse_payload
from bot.i18n import Text

LANGS = ("id", "en")
SLOT_TYPES = ("text", "phone", "integer", "choice", "yes_no", "location", "contact", "any")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)


def _payload(v: str | None) -> str | None:
    """A payload in content must be one the engine reads (`bot/payloads.py`)."""
    if v is not None:
        try:
            parse_payload(v)
        except PayloadInvalid as exc:
            raise ValueError(f"{exc}; use flow:, goto:, act:, lang: or intent:") from None
    return v


class ButtonSpec(_Strict):
    title: Text
    payload: str = Field(min_length=1, max_length=MAX_PAYLOAD)

    _known = field_validator("payload")(_payload)


class Option(_Strict):
    title: Text
    goto: str | None = None
    payload: str | None = Field(default=None, max_length=MAX_PAYLOAD)
    set: dict[str, Any] = Field(default_factory=dict)

    _known = field_validator("payload")(_payload)

    @model_validator(mode="after")
    def _target(self) -> Option:
        if not self.goto and not self.payload:
            raise ValueError("an option needs `goto` or `payload`")
        return self


class Ask(_Strict):
    slot: str = Field(pattern=r"^[a-z_][a-z0-9_]*$")
    text: Text
    type: Literal["text", "phone", "integer", "choice", "yes_no", "location", "contact", "any"] = "text"
    error: Text | None = None
    buttons: list[ButtonSpec] = Field(default_factory=list)
    choices: list[str] = Field(default_factory=list)
    min_length: int = 1
    max_length: int = 200
    min: int | None = None
    max: int | None = None
    pattern: str | None = None
    request_location: bool = False
    request_contact: bool = False
    digress: bool = True
    """False where any text is the answer, e.g. "write your question for the consultant":
    then a message that sounds like another request is still taken as the answer."""

    @model_validator(mode="after")
    def _consistent(self) -> Ask:
        if self.type == "choice" and not (self.choices or self.buttons):
            raise ValueError("a `choice` ask needs `choices` or `buttons`")
        if self.pattern is not None:
            try:
                re.compile(self.pattern)
            except re.error as exc:
                raise ValueError(f"pattern is not a valid regular expression: {exc}") from None
        return self


class Menu(_Strict):
    text: Text
    options: list[Option] = Field(min_length=1, max_length=10)


class Condition(_Strict):
    slot: str
    equals: Any = None
    present: bool | None = None


class BranchCase(_Strict):
    if_: Condition | None = Field(default=None, alias="if")
    goto: str


class Say(_Strict):
    id: str = Field(min_length=1)
    en: str = Field(min_length=1)
    buttons: list[ButtonSpec] = Field(default_factory=list)

    def pick(self, lang: str) -> str:
        return self.en if lang == "en" else self.id


class Step(_Strict):
    id: str | None = Field(default=None, pattern=r"^[a-z_][a-z0-9_]*$")
    say: Say | None = None
    ask: Ask | None = None
    menu: Menu | None = None
    branch: list[BranchCase] | None = None
    action: str | None = Field(default=None, pattern=r"^[a-z_][a-z0-9_.]*$")
    goto: str | None = None
    end: bool | None = None

    @model_validator(mode="after")
    def _one_kind(self) -> Step:
        kinds = [k for k in ("say", "ask", "menu", "branch", "action", "goto", "end") if getattr(self, k) is not None]
        if len(kinds) != 1:
            raise ValueError(
                "a step does exactly one thing: say, ask, menu, branch, action, goto or end"
                + (f" (this one has {', '.join(kinds)})" if kinds else " (this one has none)")
            )
        return self

    @property
    def kind(self) -> str:
        for k in ("say", "ask", "menu", "branch", "action", "goto", "end"):
            if getattr(self, k) is not None:
                return k
        raise AssertionError("validated step without a kind")


class Triggers(_Strict):
    intents: list[str] = Field(default_factory=list)
    commands: list[str] = Field(default_factory=list)


class Flow(_Strict):
    flow: str = Field(pattern=r"^[a-z_][a-z0-9_]*$")
    description: str = ""
    triggers: Triggers = Field(default_factory=Triggers)
    aside: bool = False
    """The flow answers and ends (only `say`, `action` and `end` steps): asked in the middle of another
    flow ("data saya apa aja yg disimpen?" at the booking's day), it is answered there and the
    other flow asks its pending question again, instead of being dropped."""
    steps: list[Step] = Field(min_length=1)

    @model_validator(mode="after")
    def _aside_only_answers(self) -> Flow:
        if self.aside and any(s.say is None and s.action is None and not s.end for s in self.steps):
            raise ValueError("an aside flow has only say, action and end steps: it answers and ends")
        return self

    def index_of(self, step_id: str) -> int | None:
        for i, step in enumerate(self.steps):
            if step.id == step_id:
                return i
        return None


@dataclass(frozen=True)
class FlowError:
    file: str
    line: int
    message: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.message}"


class FlowsInvalid(Exception):
    def __init__(self, errors: list[FlowError]) -> None:
        super().__init__("\n".join(str(e) for e in errors))
        self.errors = errors


@dataclass
class FlowRegistry:
    """All flows by name, with the command and intent triggers they declare."""

    flows: dict[str, Flow] = field(default_factory=dict)
    sources: dict[str, str] = field(default_factory=dict)

    def get(self, name: str) -> Flow | None:
        return self.flows.get(name)

    def by_intent(self, intent: str) -> Flow | None:
        for flow in self.flows.values():
            if intent in flow.triggers.intents:
                return flow
        return None

    def by_command(self, command: str) -> Flow | None:
        for flow in self.flows.values():
            if command in flow.triggers.commands:
                return flow
        return None

    def resolve(self, target: str, current: str | None) -> tuple[str, int] | None:
        """Where `goto: target` leads: a flow (its first step), `flow.step`, or a step of `current`."""
        if "." in target:
            flow_name, step_id = target.split(".", 1)
            flow = self.flows.get(flow_name)
            idx = flow.index_of(step_id) if flow else None
            return (flow_name, idx) if idx is not None else None
        if target in self.flows:
            return (target, 0)
        if current and current in self.flows:
            idx = self.flows[current].index_of(target)
            if idx is not None:
                return (current, idx)
        return None


# --- loading with line numbers -------------------------------------------------------------


def _to_python(node: yaml.Node, path: tuple[Any, ...], lines: dict[tuple[Any, ...], int]) -> Any:
    lines[path] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        out: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            key = yaml.safe_load(yaml.serialize(key_node))
            lines[path + (key,)] = key_node.start_mark.line + 1
            out[key] = _to_python(value_node, path + (key,), lines)
        return out
    if isinstance(node, yaml.SequenceNode):
        return [_to_python(n, path + (i,), lines) for i, n in enumerate(node.value)]
    return yaml.safe_load(yaml.serialize(node))


def _line_for(loc: tuple[Any, ...], lines: dict[tuple[Any, ...], int]) -> int:
    path = tuple(loc)
    while path:
        if path in lines:
            return lines[path]
        path = path[:-1]
    return lines.get((), 1)


def parse_flow(text: str, file: str) -> tuple[Flow | None, list[FlowError], dict[tuple[Any, ...], int]]:
    """Parse one flow file's text. Returns the flow (or None) and every error with its line."""
    lines: dict[tuple[Any, ...], int] = {}
    try:
        node = yaml.compose(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else 1
        return None, [FlowError(file, line, f"not valid YAML: {getattr(exc, 'problem', exc)}")], lines
    if node is None:
        return None, [FlowError(file, 1, "the file is empty")], lines
    data = _to_python(node, (), lines)
    if not isinstance(data, dict):
        return None, [FlowError(file, 1, "a flow file is a mapping with `flow:` and `steps:`")], lines
    try:
        flow = Flow.model_validate(data)
    except ValidationError as exc:
        errors = []
        for err in exc.errors():
            loc = tuple(p for p in err["loc"] if not (isinstance(p, str) and p.startswith("function-")))
            where = ".".join(str(p) for p in loc) or "file"
            errors.append(FlowError(file, _line_for(loc, lines), f"{where}: {err['msg']}"))
        return None, errors, lines
    return flow, [], lines


def check_references(
    registry: FlowRegistry,
    lines_by_flow: dict[str, dict[tuple[Any, ...], int]],
    known_actions: Iterable[str] | None,
) -> list[FlowError]:
    """Errors that need every flow: unknown goto targets and actions, duplicate step ids."""
    errors: list[FlowError] = []
    actions = set(known_actions) if known_actions is not None else None
    for name, flow in registry.flows.items():
        file = registry.sources.get(name, name)
        lines = lines_by_flow.get(name, {})
        seen: set[str] = set()
        for i, step in enumerate(flow.steps):
            here = ("steps", i)
            if step.id:
                if step.id in seen:
                    errors.append(FlowError(file, _line_for(here + ("id",), lines), f"step id `{step.id}` is used twice"))
                seen.add(step.id)
            targets: list[tuple[str, tuple[Any, ...]]] = []
            if step.goto:
                targets.append((step.goto, here + ("goto",)))
            if step.menu:
                targets += [(o.goto, here + ("menu", "options", j, "goto")) for j, o in enumerate(step.menu.options) if o.goto]
            if step.branch:
                targets += [(c.goto, here + ("branch", j, "goto")) for j, c in enumerate(step.branch)]
            for target, loc in targets:
                if registry.resolve(target, name) is None:
                    errors.append(FlowError(file, _line_for(loc, lines), f"goto `{target}`: no such flow or step"))
            if step.action and actions is not None and step.action not in actions:
                errors.append(FlowError(file, _line_for(here + ("action",), lines), f"unknown action `{step.action}`"))
    return errors


def load_flows(directory: Path, known_actions: Iterable[str] | None = None) -> FlowRegistry:
    """Load and validate every `*.yml` flow in `directory`; raise `FlowsInvalid` listing all errors."""
    texts = {str(p): p.read_text(encoding="utf-8") for p in sorted(directory.glob("*.yml"))}
    return build_registry(texts, known_actions)


def build_registry(texts: dict[str, str], known_actions: Iterable[str] | None = None) -> FlowRegistry:
    """Validate flow texts (file name -> YAML text), from disk or from the admin's editor."""
    registry = FlowRegistry()
    errors: list[FlowError] = []
    lines_by_flow: dict[str, dict[tuple[Any, ...], int]] = {}
    for file, text in texts.items():
        flow, errs, lines = parse_flow(text, file)
        errors += errs
        if flow is None:
            continue
        if flow.flow in registry.flows:
            errors.append(FlowError(file, lines.get(("flow",), 1), f"flow `{flow.flow}` is also defined in {registry.sources[flow.flow]}"))
            continue
        registry.flows[flow.flow] = flow
        registry.sources[flow.flow] = file
        lines_by_flow[flow.flow] = lines
    errors += check_references(registry, lines_by_flow, known_actions)
    for required in ("main_menu", "language"):
        if required not in registry.flows and not errors:
            errors.append(FlowError(next(iter(texts), "flows/"), 1, f"the flow `{required}` is missing"))
    if errors:
        raise FlowsInvalid(errors)
    return registry


def flow_files_dir(content_dir: Path) -> Path:
    return Path(content_dir) / "flows"
