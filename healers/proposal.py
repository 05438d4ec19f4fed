"""What the telemetry of one service asks of the registry, read from its latest findings."""

from __future__ import annotations

import datetime as dt
import json
import re
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import duckdb

from weavergen.analyzers.labels import OTHER
from weavergen.analyzers.quality import NAME_FORMAT
from weavergen.analyzers.semconv import Registry

from .value_types import infer_type, pick_examples, undefined_values

FINDINGS = ("missing_attribute", "deprecated", "undefined_enum_variant")
_RENAMED = re.compile(r"^use (\S+)$")


@dataclass(frozen=True)
class NewAttribute:
    key: str
    type: str
    examples: tuple[Any, ...]
    span_names: tuple[str, ...]


@dataclass
class Proposal:
    """What the telemetry of one service asks of the registry."""

    service: str
    attributes: list[NewAttribute] = field(default_factory=list)
    renames: list[str] = field(default_factory=list)  # "a → b", or "a: <deprecation note>"
    enum_values: list[str] = field(default_factory=list)  # "key: v1, v2"
    left_out: list[str] = field(default_factory=list)  # "key: why it is not proposed"

    def __bool__(self) -> bool:
        return bool(self.attributes or self.renames or self.enum_values)


def propose(con: duckdb.DuckDBPyConnection, registry: Registry, service: str, windows: int,
            min_count: int, max_examples: int) -> Proposal:
    proposal = Proposal(service)
    rows, since = latest_findings(con, service, windows)
    unknown = [r for r in rows if r["finding_id"] == "missing_attribute" and r["count"] >= min_count]
    enums = [r for r in rows if r["finding_id"] == "undefined_enum_variant"]
    values = observed_values(con, service, [r["attribute"] for r in unknown + enums], since)
    for row in unknown:
        key = row["attribute"]
        typed, reason = infer_type(values.get(key, [])), blocked(registry, key)
        if typed is None or reason is not None:
            proposal.left_out.append(f"{key}: {reason or 'its values have no registry type (bytes, maps)'}")
            continue
        examples = pick_examples(values[key], typed, max_examples)
        proposal.attributes.append(NewAttribute(key, typed, examples, row["span_names"]))
    for row in rows:
        if row["finding_id"] == "deprecated":
            renamed = _RENAMED.match(row["suggestion"])
            proposal.renames.append(f"{row['attribute']} → {renamed.group(1)}" if renamed
                                    else f"{row['attribute']}: {row['suggestion'] or 'deprecated'}")
    for row in enums:
        new = undefined_values(registry, row["attribute"], values.get(row["attribute"], []))
        if new:
            proposal.enum_values.append(f"{row['attribute']}: {', '.join(new)}")
    return proposal


def blocked(registry: Registry, key: str) -> str | None:
    """Why an unknown key cannot become a registry attribute, None when it can."""
    if registry.attribute(key) is not None:
        return "the registry defines it already"
    if "." not in key or not NAME_FORMAT.match(key):
        return f"not a namespaced attribute name ({NAME_FORMAT.pattern})"
    parts = key.split(".")
    for i in range(1, len(parts)):
        if registry.attribute(".".join(parts[:i])) is not None:
            return f"its namespace {'.'.join(parts[:i])} is an attribute"
    return None


def latest_findings(con: duckdb.DuckDBPyConnection, service: str,
                    windows: int) -> tuple[list[dict[str, Any]], dt.datetime | None]:
    """Per (finding id, attribute) of FINDINGS: spans counted and span names over the service's latest
    ``windows`` windows with findings, and the start of the earliest of them."""
    sql = f"""
        WITH latest AS (SELECT DISTINCT window_start FROM findings WHERE service = $service
                        ORDER BY window_start DESC LIMIT {int(windows)})
        SELECT finding_id, attribute, sum(count)::BIGINT AS count,
               list(DISTINCT span_name ORDER BY span_name) FILTER (WHERE span_name <> $other) AS span_names,
               min(suggestion) AS suggestion, (SELECT min(window_start) FROM latest) AS since
        FROM findings
        WHERE service = $service AND finding_id IN (SELECT unnest($ids)) AND attribute <> $other
          AND window_start IN (SELECT window_start FROM latest)
        GROUP BY finding_id, attribute ORDER BY finding_id, attribute LIMIT 500"""
    cursor = con.execute(sql, {"service": service, "ids": list(FINDINGS), "other": OTHER})
    columns = [d[0] for d in cursor.description]
    rows = [dict(zip(columns, row)) for row in cursor.fetchall()]
    for row in rows:
        row["span_names"] = tuple(row["span_names"] or ())
    return rows, rows[0]["since"] if rows else None


def observed_values(con: duckdb.DuckDBPyConnection, service: str, keys: Sequence[str],
                    since: dt.datetime | None, per_key: int = 50) -> dict[str, list[tuple[str, Any, int]]]:
    """Per key, its most frequent distinct (stored type, value, spans) on the service's spans since
    ``since``; the span count of the value's type is ``type_spans`` in ``infer_type``'s sense."""
    if not keys:
        return {}
    since_ns = 0 if since is None else (since - dt.datetime(1970, 1, 1)) // dt.timedelta(microseconds=1) * 1000
    sql = f"""
        WITH v AS (
            SELECT a.key, a.type, a.string_value, a.int_value, a.double_value, a.bool_value, a.json_value,
                   count(*) AS n, min(a.span_seq) AS first
            FROM span_attributes a JOIN spans s ON s.seq = a.span_seq
            WHERE s.service_name = ? AND a.key IN (SELECT unnest(?)) AND s.end_time_unix_nano >= ?
            GROUP BY ALL)
        SELECT key, type, string_value, int_value, double_value, bool_value, json_value,
               sum(n) OVER (PARTITION BY key, type) AS type_spans, n
        FROM v QUALIFY row_number() OVER (PARTITION BY key ORDER BY n DESC, first) <= {int(per_key)}
        ORDER BY key, n DESC, first"""
    found: dict[str, list[tuple[str, Any, int]]] = defaultdict(list)
    for key, kind, text, number, real, flag, nested, type_spans, _ in con.execute(
            sql, [service, list(keys), since_ns]).fetchall():
        value = {"string": text, "int": number, "double": real, "bool": flag}.get(kind)
        if kind == "array" and nested:
            value = list(json.loads(nested).get("arrayValue", {}).get("values", []))
        found[key].append((kind, value, int(type_spans)))
    return dict(found)
