"""One `templates:` entry of a weaver.yaml: which template files it applies to, and how."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any

from .errors import GenerationError
from .globs import glob_matches

MODES = ("single", "each")
AUTO_ESCAPES = ("none", "html")
ENTRY_KEYS = (
    "template",
    "pattern",
    "filter",
    "application_mode",
    "file_name",
    "params",
    "when",
    "auto_escape",
)


def _no_params() -> Mapping[str, Any]:
    return MappingProxyType({})


@dataclass(frozen=True)
class TemplateEntry:
    """One `templates:` entry: which template files it applies to and how."""

    pattern: str
    application_mode: str
    filter: str = "."
    file_name: str | None = None
    params: Mapping[str, Any] = field(default_factory=_no_params)
    when: str | None = None
    auto_escape: str = "none"
    # Where the entry was written, for error messages: `weaver.yaml#templates[2]`.
    origin: str = ""

    def matches(self, relative_path: str) -> bool:
        return glob_matches(self.pattern, relative_path)


def parse_entries(templates: Any, path: Path) -> tuple[TemplateEntry, ...]:
    if not isinstance(templates, list):
        raise GenerationError("'templates' must be a list", str(path))
    return tuple(_entry(item, f"{path}#templates[{i}]") for i, item in enumerate(templates))


def _entry(item: Any, origin: str) -> TemplateEntry:
    if not isinstance(item, dict):
        raise GenerationError("a template entry must be a mapping", origin)
    unknown = sorted(set(item) - set(ENTRY_KEYS))
    if unknown:
        raise GenerationError(f"unknown key(s) {', '.join(unknown)}; known: {', '.join(ENTRY_KEYS)}", origin)
    pattern = item.get("template", item.get("pattern"))
    if not isinstance(pattern, str) or not pattern:
        raise GenerationError(
            "'template' (or its alias 'pattern') is required: a glob of template files", origin
        )
    mode = item.get("application_mode")
    if mode not in MODES:
        raise GenerationError(f"'application_mode' must be one of {', '.join(MODES)}, got {mode!r}", origin)
    escape = str(item.get("auto_escape", "none"))
    if escape not in AUTO_ESCAPES:
        raise GenerationError(
            f"'auto_escape' must be one of {', '.join(AUTO_ESCAPES)}, got {escape!r}", origin
        )
    params = item.get("params") or {}
    if not isinstance(params, dict):
        raise GenerationError("'params' must be a mapping", origin)
    return TemplateEntry(
        pattern=pattern,
        application_mode=mode,
        filter=_text(item, "filter", origin) or ".",
        file_name=_text(item, "file_name", origin),
        params=MappingProxyType(params),
        when=_text(item, "when", origin),
        auto_escape=escape,
        origin=origin,
    )


def _text(item: dict[str, Any], key: str, origin: str) -> str | None:
    value = item.get(key)
    if value is not None and not isinstance(value, str):
        raise GenerationError(f"'{key}' must be a string", origin)
    return value
