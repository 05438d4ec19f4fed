"""Evaluate every `when` + `filter` of a target in one jq run per distinct params.

jq parses its input on every run, and parsing the registry document costs more than most filters,
so the entries sharing params are evaluated together: one program emitting, per entry, the `when`
outputs and the filter outputs. The meaning is unchanged — a filter is only evaluated when its
`when` is true — and on any jq error the entries are evaluated one by one, so the error names the
entry at fault exactly as jq_filter does.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from . import jq_filter
from .errors import GenerationError


@dataclass(frozen=True)
class Selection:
    filter: str
    when: str | None
    origin: str


class Skipped:
    """The result of a selection whose `when` was false."""

    def __repr__(self) -> str:
        return "SKIPPED"


SKIPPED = Skipped()


def select(selections: Sequence[Selection], document_json: str, params: Mapping[str, Any]) -> list[Any]:
    """Each selection's result (see jq_filter.run), or SKIPPED when its `when` is false."""
    if not selections:
        return []
    program = "[\n" + ",\n".join(_entry(s) for s in selections) + "\n]"
    try:
        (outputs,) = jq_filter.outputs(program, document_json, params, "templates")
    except GenerationError:
        return [_one(s, document_json, params) for s in selections]
    return [_result(s, output) for s, output in zip(selections, outputs, strict=True)]


def _entry(selection: Selection) -> str:
    # Newlines around the user's text: a trailing `# comment` must not swallow the closing bracket.
    outputs = f"{{r: [(\n{selection.filter}\n)]}}"
    if selection.when is None:
        return outputs
    return (
        f"([(\n{selection.when}\n)] as $__when"
        f" | if $__when == [true] then {outputs} + {{w: $__when}} else {{w: $__when}} end)"
    )


def _result(selection: Selection, output: dict[str, Any]) -> Any:
    if selection.when is not None:
        jq_filter.check_when(output["w"], selection.origin)
        if output["w"] != [True]:
            return SKIPPED
    values = output["r"]
    return values[0] if len(values) == 1 else values


def _one(selection: Selection, document_json: str, params: Mapping[str, Any]) -> Any:
    if selection.when is not None and not jq_filter.when(
        selection.when, document_json, params, selection.origin
    ):
        return SKIPPED
    return jq_filter.run(selection.filter, document_json, params, selection.origin)


def params_key(params: Mapping[str, Any]) -> str:
    return json.dumps(params, sort_keys=True, default=str)
