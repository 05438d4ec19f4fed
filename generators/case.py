"""Weaver's case conversions.

A dot counts as an underscore. Words split at spaces, `_` and `-`, where a lower-case letter meets an
upper-case one (`httpRoute`) and before the last capital of an acronym (`HTTPServer`). Digits never
split a word: `host.cpu.cache.l2.size` -> `host_cpu_cache_l2_size`, `K8S` stays one word.
"""

from __future__ import annotations

import re
from collections.abc import Callable

_DELIMITERS = re.compile(r"[ _\-]+")


def words(text: str) -> list[str]:
    result: list[str] = []
    for chunk in _DELIMITERS.split(text.replace(".", "_")):
        result.extend(_split_chunk(chunk))
    return result


def _split_chunk(chunk: str) -> list[str]:
    parts: list[str] = []
    start = 0
    for i in range(1, len(chunk)):
        before, here = chunk[i - 1], chunk[i]
        after = chunk[i + 1] if i + 1 < len(chunk) else ""
        lower_upper = before.islower() and here.isupper()
        acronym_end = before.isupper() and here.isupper() and after.islower()
        if lower_upper or acronym_end:
            parts.append(chunk[start:i])
            start = i
    if chunk[start:]:
        parts.append(chunk[start:])
    return parts


def _capitalized(word: str) -> str:
    return word[:1].upper() + word[1:].lower()


def lower_case(text: str) -> str:
    return " ".join(w.lower() for w in words(text))


def upper_case(text: str) -> str:
    return " ".join(w.upper() for w in words(text))


def title_case(text: str) -> str:
    return " ".join(_capitalized(w) for w in words(text))


def snake_case(text: str) -> str:
    return "_".join(w.lower() for w in words(text))


def screaming_snake_case(text: str) -> str:
    return "_".join(w.upper() for w in words(text))


def kebab_case(text: str) -> str:
    return "-".join(w.lower() for w in words(text))


def screaming_kebab_case(text: str) -> str:
    return "-".join(w.upper() for w in words(text))


def pascal_case(text: str) -> str:
    return "".join(_capitalized(w) for w in words(text))


def camel_case(text: str) -> str:
    return "".join(w.lower() if i == 0 else _capitalized(w) for i, w in enumerate(words(text)))


def capitalize_first(text: str) -> str:
    return text[:1].upper() + text[1:]


CASE_FILTERS = {
    f.__name__: f
    for f in (
        lower_case,
        upper_case,
        title_case,
        snake_case,
        screaming_snake_case,
        kebab_case,
        screaming_kebab_case,
        pascal_case,
        camel_case,
        capitalize_first,
    )
}


def _const(convert: Callable[[str], str]) -> Callable[[str], str]:
    # Semconv ids: underscores inside a segment do not start a word, dots do (`http.request_method`).
    def const(text: str) -> str:
        return convert(text.replace("_", ""))

    const.__name__ = f"{convert.__name__}_const"
    return const


CONST_FILTERS = {
    f"{convert.__name__}_const": _const(convert)
    for convert in (snake_case, screaming_snake_case, kebab_case, pascal_case, camel_case)
}
