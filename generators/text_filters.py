"""Weaver's text filters (acronym, map_text, type_mapping, regex_replace, comment_with_prefix,
ansi_*), the `concat_if` function, and the MiniJinja built-ins Jinja2 lacks (split, lines,
startingwith, endingwith, containing)."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from functools import lru_cache
from typing import Any

from jinja2 import Undefined

from .errors import GenerationError

_TOKENS = re.compile(r"\s+|\w+|[^\w\s]+")
# Rust regex replacement syntax: `$$`, `${name}`, `$name` (name: letters, digits, underscore).
_REPLACEMENT = re.compile(r"\$\$|\$\{([^}]*)\}|\$([A-Za-z0-9_]+)")


def acronym(acronyms: Sequence[str]) -> Callable[[str], str]:
    """Words (and runs of punctuation) matching an acronym case-insensitively are written as listed."""
    spelled = {a.lower(): a for a in acronyms}

    def replace(text: str) -> str:
        return "".join(spelled.get(t.lower(), t) for t in _TOKENS.findall(str(text)))

    return replace


def map_text(text_maps: Mapping[str, Mapping[str, str]]) -> Callable[..., Any]:
    def lookup(value: Any, map_name: str, default: Any = None) -> Any:
        mapping = text_maps.get(map_name, {})
        if isinstance(value, str) and value in mapping:
            return mapping[value]
        return value if default is None else default

    return lookup


def type_mapping(mapping: Mapping[str, str]) -> Callable[[Any], Any]:
    """Deprecated in Weaver in favour of `map_text`; kept for old templates."""
    return lambda value: mapping.get(value, value) if isinstance(value, str) else value


def regex_replace(value: Any, pattern: str, replacement: str) -> str:
    try:
        compiled = _regex(pattern)
    except re.error as exc:
        raise GenerationError(f"regex_replace: invalid pattern {pattern!r}: {exc}") from exc
    return compiled.sub(lambda match: _expand(match, replacement), str(value))


@lru_cache(maxsize=256)
def _regex(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern)


def _expand(match: re.Match[str], replacement: str) -> str:
    def group(ref: re.Match[str]) -> str:
        name = ref.group(1) if ref.group(1) is not None else ref.group(2)
        if name is None:
            return "$"
        try:
            return match.group(int(name) if name.isdigit() else name) or ""
        except IndexError:
            # Like Rust's regex crate: a group that does not exist expands to nothing.
            return ""

    return _REPLACEMENT.sub(group, replacement)


def comment_with_prefix(value: Any, prefix: str) -> str:
    """Deprecated in Weaver in favour of `comment(prefix=...)`."""
    return "\n".join(prefix + line for line in str(value).splitlines())


def concat_if(*values: Any) -> Any:
    """The values joined as text, or undefined when any of them is undefined."""
    for value in values:
        if isinstance(value, Undefined):
            return value
    return "".join(str(v) for v in values)


def split(value: Any, separator: str | None = None, maxsplit: int = -1) -> list[str]:
    return str(value).split(separator, maxsplit)


def lines(value: Any) -> list[str]:
    return str(value).splitlines()


def startingwith(value: Any, prefix: str) -> bool:
    return isinstance(value, str) and value.startswith(prefix)


def endingwith(value: Any, suffix: str) -> bool:
    return isinstance(value, str) and value.endswith(suffix)


def containing(value: Any, item: Any) -> bool:
    try:
        return item in value
    except TypeError:
        return False


_ANSI_COLOURS = ("black", "red", "green", "yellow", "blue", "magenta", "cyan", "white")
_ANSI_STYLES = {"bold": 1, "italic": 3, "underline": 4, "strikethrough": 9}


def _ansi(code: int) -> Callable[[Any], str]:
    return lambda value: f"\x1b[{code}m{value}\x1b[0m"


def ansi_filters() -> dict[str, Callable[[Any], str]]:
    filters = {f"ansi_{name}": _ansi(code) for name, code in _ANSI_STYLES.items()}
    for index, colour in enumerate(_ANSI_COLOURS):
        filters[f"ansi_{colour}"] = _ansi(30 + index)
        filters[f"ansi_bright_{colour}"] = _ansi(90 + index)
        filters[f"ansi_bg_{colour}"] = _ansi(40 + index)
        filters[f"ansi_bg_bright_{colour}"] = _ansi(100 + index)
    return filters
