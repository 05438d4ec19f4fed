"""Evaluate `filter` and `when` jq expressions (the C jq from the `jq` package) the way Weaver does.

Every program gets the `semconv_*` helpers (jq_helpers.py) and the params as variables: each param
as `$name`, and all of them as `$params`. A program is compiled once per (expression, params) and
reused across templates and runs; the registry document is serialized to JSON once per generation
(jq_batch.py evaluates a target's entries together so jq parses it once per distinct params).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from functools import lru_cache
from typing import Any

import jq

from .errors import GenerationError
from .jq_helpers import PRELUDE

_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")
_LINE = re.compile(r"line (\d+)")


def jq_variables(params: Mapping[str, Any]) -> dict[str, Any]:
    variables = {name: value for name, value in params.items() if _IDENTIFIER.match(name)}
    variables["params"] = dict(params)
    return variables


def run(expression: str, document_json: str, params: Mapping[str, Any], origin: str) -> Any:
    """The filter's result: its only output, or all its outputs as a list (none: an empty list)."""
    results = outputs(expression, document_json, params, origin)
    return results[0] if len(results) == 1 else results


def when(expression: str, document_json: str, params: Mapping[str, Any], origin: str) -> bool:
    results = outputs(expression, document_json, params, origin)
    check_when(results, origin)
    return bool(results[0])


def check_when(results: list[Any], origin: str) -> None:
    if len(results) != 1 or not isinstance(results[0], bool):
        raise GenerationError(f"'when' must produce exactly one boolean, got {_show(results)}", origin)


def outputs(expression: str, document_json: str, params: Mapping[str, Any], origin: str) -> list[Any]:
    program = _compiled(expression, json.dumps(jq_variables(params), sort_keys=True), origin)
    try:
        return program.input_text(document_json).all()
    except ValueError as exc:
        raise GenerationError(f"jq error in {expression!r}: {_user_lines(str(exc))}", origin) from exc


@lru_cache(maxsize=256)
def _compiled(expression: str, variables_json: str, origin: str) -> Any:
    try:
        return jq.compile(PRELUDE + expression, args=json.loads(variables_json))
    except ValueError as exc:
        raise GenerationError(
            f"invalid jq expression {expression!r}: {_user_lines(str(exc))}", origin
        ) from exc


def _user_lines(message: str) -> str:
    # The helpers occupy line 1; report lines of the expression as the user wrote it.
    return _LINE.sub(lambda m: f"line {max(int(m.group(1)) - 1, 1)}", message)


def _show(results: list[Any]) -> str:
    text = json.dumps(results[0] if len(results) == 1 else results)
    return text if len(text) <= 80 else text[:77] + "..."
