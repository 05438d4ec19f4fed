"""Weaver's `comment` filter: text (or a list of lines) as a comment block of the target language.

A named format comes from `comment_formats` in weaver.yaml (`format=` picks one, else
`default_comment_format`); keyword arguments override its `header`, `prefix`, `footer`,
`indent`, `indent_type` and `line_length`. Format keys used: `header`, `prefix`, `footer`,
`indent_type` (space|tab), `trim`, `remove_trailing_dots`, `enforce_trailing_dots`,
`word_wrap.line_length`. Text is kept as written: `format: markdown` and `format: html`
do not re-render Markdown (see docs/generators.md).
"""

from __future__ import annotations

import textwrap
from collections.abc import Mapping
from typing import Any

from jinja2 import Undefined

from .errors import GenerationError


class CommentFilter:
    def __init__(self, formats: Mapping[str, Mapping[str, Any]], default_format: str | None) -> None:
        self.formats = formats
        self.default_format = default_format or "default"

    def __call__(self, value: Any, **options: Any) -> str:
        if isinstance(value, Undefined) or value is None:
            return ""
        name = options.get("format", self.default_format)
        spec = dict(self.formats.get(name, {}))
        text = "\n".join(str(v) for v in value) if isinstance(value, (list, tuple)) else str(value)
        if spec.get("trim"):
            text = text.strip()
        text = _dots(text, spec, name)
        indent = _indent(
            options.get("indent", 0), options.get("indent_type", spec.get("indent_type", "space"))
        )
        header = options.get("header", spec.get("header")) or ""
        prefix = options.get("prefix", spec.get("prefix")) or ""
        footer = options.get("footer", spec.get("footer")) or ""
        width = options.get("line_length", (spec.get("word_wrap") or {}).get("line_length"))
        lines = _wrap(text.splitlines(), int(width) - len(indent) - len(prefix) if width else None)
        rendered = []
        for i, line in enumerate(lines):
            # Without a header the first line sits where the filter is called: no indentation.
            lead = "" if i == 0 and not header else indent
            rendered.append(f"{lead}{prefix}{line}".rstrip() if spec.get("trim") else f"{lead}{prefix}{line}")
        comment = "\n".join(rendered)
        if header:
            comment = f"{header}\n{comment}"
        if footer:
            comment = f"{comment.rstrip()}\n{indent}{footer}"
        return comment.rstrip()


def _dots(text: str, spec: Mapping[str, Any], name: str) -> str:
    if spec.get("remove_trailing_dots") and spec.get("enforce_trailing_dots"):
        raise GenerationError(
            f"comment format {name!r}: remove_trailing_dots and enforce_trailing_dots both set"
        )
    if spec.get("remove_trailing_dots"):
        return text.rstrip(".")
    if spec.get("enforce_trailing_dots") and text and not text.endswith("."):
        return text + "."
    return text


def _indent(count: Any, kind: Any) -> str:
    if kind not in ("space", "tab"):
        raise GenerationError(f"comment: indent_type must be 'space' or 'tab', got {kind!r}")
    return (" " if kind == "space" else "\t") * int(count)


def _wrap(lines: list[str], width: int | None) -> list[str]:
    if not width or width <= 0:
        return lines
    wrapped: list[str] = []
    for line in lines:
        wrapped.extend(textwrap.wrap(line, width, break_long_words=False, break_on_hyphens=False) or [""])
    return wrapped
