"""Baselines: the findings a project has accepted, so only new ones fail the gate.

A finding's identity is (finding id, span name, attribute, service): no counts, messages or ids of
example spans, which change from run to run. The file is JSON, sorted, written atomically::

    {"weavergen_baseline": 1,
     "findings": [{"id": "deprecated", "span_name": "GET /", "attribute": "http.method",
                   "service": "shop", "level": "violation", "count": 3, "message": "..."}]}

``level``, ``count`` and ``message`` are there for the reader of a diff; only the four keys matter.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path

from ..files import write_atomic
from .report import FindingGroup

FORMAT_VERSION = 1
KEYS = ("id", "span_name", "attribute", "service")


class BaselineError(ValueError):
    """An unreadable baseline file; the message names it."""


def baseline_document(findings: Iterable[FindingGroup]) -> dict:
    rows = [{"id": f.id, "span_name": f.span_name, "attribute": f.attribute, "service": f.service,
             "level": f.level.value, "count": f.count, "message": f.message} for f in findings]
    rows.sort(key=lambda row: tuple(row[k] for k in KEYS))
    return {"weavergen_baseline": FORMAT_VERSION, "findings": rows}


def save_baseline(path: Path, findings: Iterable[FindingGroup]) -> None:
    text = json.dumps(baseline_document(findings), indent=2, ensure_ascii=False) + "\n"
    write_atomic(path, text.encode("utf-8"))


def load_baseline(path: Path) -> frozenset[tuple[str, str, str, str]]:
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise BaselineError(f"{path}: cannot read the baseline: {exc.strerror or exc}") from None
    except ValueError as exc:
        raise BaselineError(f"{path}: the baseline is not JSON: {exc}") from None
    if not isinstance(document, dict) or document.get("weavergen_baseline") != FORMAT_VERSION:
        raise BaselineError(f"{path}: not a weavergen baseline (expected "
                            f'"weavergen_baseline": {FORMAT_VERSION}; write one with --save-baseline)')
    rows = document.get("findings")
    if not isinstance(rows, list):
        raise BaselineError(f"{path}: 'findings' must be a list")
    keys = set()
    for i, row in enumerate(rows):
        if not isinstance(row, dict) or not all(isinstance(row.get(k), str) for k in KEYS):
            raise BaselineError(f"{path}: findings[{i}] needs string fields {', '.join(KEYS)}")
        keys.add(tuple(row[k] for k in KEYS))
    return frozenset(keys)  # type: ignore[arg-type]
