"""YAML content read with libyaml's C parser when PyYAML has it (about ten times faster than the
pure-Python one: publishing a knowledge topic re-reads every content file), the same safe subset."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import yaml

if TYPE_CHECKING:
    SafeLoader = yaml.SafeLoader
else:  # the fastest safe loader PyYAML has here; subclass it to add constructors
    SafeLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def safe_load(text: str) -> Any:
    """`yaml.safe_load`, with the C parser when there is one. Raises `yaml.YAMLError`."""
    return yaml.load(text, Loader=SafeLoader)  # noqa: S506 - a SafeLoader
