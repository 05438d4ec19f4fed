"""A target's configuration: every `weaver.yaml` from the templates root down to the target folder.

Weaver's layout: `<templates>/registry/<target>/` when `<templates>/registry/` exists, else
`<templates>/<target>/`. Files closer to the target override farther ones key by key (a key's whole
value is replaced); `template_syntax` and `whitespace_control` merge field by field.
`$HOME/.weaver/weaver.yaml` is not read, so output never depends on who runs the generator.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any

import yaml

from .errors import GenerationError
from .template_entry import TemplateEntry, parse_entries

CONFIG_NAME = "weaver.yaml"
SYNTAX_KEYS = ("block_start", "block_end", "variable_start", "variable_end", "comment_start", "comment_end")
WHITESPACE_KEYS = ("trim_blocks", "lstrip_blocks", "keep_trailing_newline")
_MERGED_FIELDWISE = ("template_syntax", "whitespace_control")
_REPLACED = (
    "templates",
    "params",
    "text_maps",
    "type_mapping",
    "acronyms",
    "comment_formats",
    "default_comment_format",
)
# Case conventions for the old `file_name`/`function_name`... filters: accepted, not used.
_IGNORED = ("file_name", "function_name", "arg_name", "struct_name", "field_name")
TOP_KEYS = (*_REPLACED, *_MERGED_FIELDWISE, *_IGNORED)
EMPTY: Mapping[str, Any] = MappingProxyType({})


def _empty() -> Mapping[str, Any]:
    # A shared read-only empty mapping; dataclasses refuse it as a plain (unhashable) default.
    return EMPTY


__all__ = ["TargetConfig", "TemplateEntry", "load_target_config"]


@dataclass(frozen=True)
class TargetConfig:
    target_dir: Path
    templates: tuple[TemplateEntry, ...] = ()
    params: Mapping[str, Any] = field(default_factory=_empty)
    text_maps: Mapping[str, Mapping[str, str]] = field(default_factory=_empty)
    type_mapping: Mapping[str, str] = field(default_factory=_empty)
    acronyms: tuple[str, ...] = ()
    template_syntax: Mapping[str, str] = field(default_factory=_empty)
    whitespace_control: Mapping[str, bool] = field(default_factory=_empty)
    comment_formats: Mapping[str, Mapping[str, Any]] = field(default_factory=_empty)
    default_comment_format: str | None = None
    files: tuple[Path, ...] = field(default=())

    def template_files(self) -> list[str]:
        """Every file under the target folder, as sorted posix paths relative to it."""
        found = (p for p in self.target_dir.rglob("*") if p.is_file() and p.name != CONFIG_NAME)
        return sorted(p.relative_to(self.target_dir).as_posix() for p in found)


def target_dir(templates_dir: Path, target: str) -> Path:
    if not target or Path(target).is_absolute() or ".." in Path(target).parts:
        raise GenerationError(f"target must be a folder name under the templates, got {target!r}")
    base = templates_dir / "registry" if (templates_dir / "registry").is_dir() else templates_dir
    directory = base / target
    if not directory.is_dir():
        available = sorted(p.name for p in base.iterdir() if p.is_dir()) if base.is_dir() else []
        raise GenerationError(
            f"target {target!r} not found in {base} (available: {', '.join(available) or 'none'})"
        )
    return directory


def load_target_config(templates_dir: str | Path, target: str) -> TargetConfig:
    root = Path(templates_dir)
    directory = target_dir(root, target)
    files = [d / CONFIG_NAME for d in _folders_down(root, directory) if (d / CONFIG_NAME).is_file()]
    merged: dict[str, Any] = {}
    for path in files:
        _merge(merged, _read(path))
    return _build(directory, merged, tuple(files))


def _folders_down(root: Path, directory: Path) -> list[Path]:
    folders = [root]
    for part in directory.relative_to(root).parts:
        folders.append(folders[-1] / part)
    return folders


def _read(path: Path) -> dict[str, Any]:
    try:
        with path.open(encoding="utf-8") as stream:
            document = yaml.safe_load(stream)
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise GenerationError(f"cannot read: {exc}", str(path)) from exc
    if document is None:
        return {}
    if not isinstance(document, dict):
        raise GenerationError("expected a mapping at the top level", str(path))
    unknown = sorted(set(document) - set(TOP_KEYS))
    if unknown:
        raise GenerationError(f"unknown key(s) {', '.join(unknown)}; known: {', '.join(TOP_KEYS)}", str(path))
    return {key: (value, path) for key, value in document.items()}


def _merge(merged: dict[str, Any], document: dict[str, Any]) -> None:
    for key, (value, path) in document.items():
        if key in _MERGED_FIELDWISE and key in merged:
            previous, _ = merged[key]
            value = {**_mapping(previous, path, key), **_mapping(value, path, key)}
        merged[key] = (value, path)


def _mapping(value: Any, path: Path, key: str) -> dict[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise GenerationError(f"'{key}' must be a mapping", str(path))
    return value


def _build(directory: Path, merged: dict[str, Any], files: tuple[Path, ...]) -> TargetConfig:
    def get(key: str, default: Any) -> tuple[Any, Path]:
        value, path = merged.get(key, (default, directory / CONFIG_NAME))
        return (default if value is None else value), path

    syntax = _mapping(*get("template_syntax", {}), "template_syntax")
    whitespace = {
        **_pick(syntax, WHITESPACE_KEYS),
        **_mapping(*get("whitespace_control", {}), "whitespace_control"),
    }
    acronyms, acronyms_path = get("acronyms", [])
    if not isinstance(acronyms, list):
        raise GenerationError("'acronyms' must be a list", str(acronyms_path))
    return TargetConfig(
        target_dir=directory,
        templates=parse_entries(*get("templates", [])),
        params=MappingProxyType(_mapping(*get("params", {}), "params")),
        text_maps=MappingProxyType(_string_maps(*get("text_maps", {}))),
        type_mapping=MappingProxyType(_flat_map(*get("type_mapping", {}))),
        acronyms=tuple(str(a) for a in acronyms),
        template_syntax=MappingProxyType({k: str(v) for k, v in _pick(syntax, SYNTAX_KEYS).items()}),
        whitespace_control=MappingProxyType(
            {k: bool(v) for k, v in _pick(whitespace, WHITESPACE_KEYS).items()}
        ),
        comment_formats=MappingProxyType(_mapping(*get("comment_formats", {}), "comment_formats")),
        default_comment_format=get("default_comment_format", None)[0],
        files=files,
    )


def _pick(mapping: Mapping[str, Any], keys: tuple[str, ...]) -> dict[str, Any]:
    return {k: mapping[k] for k in keys if k in mapping}


def _flat_map(value: Any, path: Path) -> dict[str, str]:
    return {str(k): str(v) for k, v in _mapping(value, path, "type_mapping").items()}


def _string_maps(value: Any, path: Path) -> dict[str, Mapping[str, str]]:
    maps = _mapping(value, path, "text_maps")
    return {
        name: MappingProxyType({str(k): str(v) for k, v in _mapping(m, path, f"text_maps.{name}").items()})
        for name, m in maps.items()
    }
