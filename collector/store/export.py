"""Stored spans → ExportTraceServiceRequest again: the inverse of the writer.

Used to prove the store loses nothing (round-trip tests), and to send stored spans on as OTLP.
Spans are grouped under their (deduplicated) resource and scope, so the request's grouping may differ
from the one they arrived in, while every span, resource and scope is the same.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable

import duckdb
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.proto.common.v1.common_pb2 import AnyValue, KeyValue
from opentelemetry.proto.trace.v1.trace_pb2 import Span

from ..otlp_json import decode_any_value

_SCALAR_FIELD = {
    "string": "string_value",
    "int": "int_value",
    "double": "double_value",
    "bool": "bool_value",
    "bytes": "bytes_value",
}


def export_spans(con: duckdb.DuckDBPyConnection, where: str = "TRUE", params: Iterable = ()) -> ExportTraceServiceRequest:
    """Rebuild the spans matching ``where`` (SQL over table ``spans``) as one request."""
    con.execute(f"CREATE OR REPLACE TEMP TABLE _export AS SELECT * FROM spans WHERE {where}", list(params))
    try:
        return _build(con)
    finally:
        con.execute("DROP TABLE IF EXISTS _export")


def _build(con: duckdb.DuckDBPyConnection) -> ExportTraceServiceRequest:
    span_attrs = _attributes(con, "span_attributes", ["span_seq"])
    event_attrs = _attributes(con, "event_attributes", ["span_seq", "event_index"])
    link_attrs = _attributes(con, "link_attributes", ["span_seq", "link_index"])
    events = _rows(con, "SELECT * FROM span_events WHERE span_seq IN (SELECT seq FROM _export) "
                        "ORDER BY span_seq, event_index")
    links = _rows(con, "SELECT * FROM span_links WHERE span_seq IN (SELECT seq FROM _export) "
                       "ORDER BY span_seq, link_index")
    events_by_span, links_by_span = defaultdict(list), defaultdict(list)
    for event in events:
        events_by_span[event["span_seq"]].append(event)
    for link in links:
        links_by_span[link["span_seq"]].append(link)

    request = ExportTraceServiceRequest()
    resource_spans, scope_spans = {}, {}
    resources = _by_id(con, "resources", "resource_id")
    scopes = _by_id(con, "scopes", "scope_id")
    resource_attrs = _attributes(con, "resource_attributes", ["resource_id"], owner_filter=False)
    scope_attrs = _attributes(con, "scope_attributes", ["scope_id"], owner_filter=False)
    for row in _rows(con, "SELECT * FROM _export ORDER BY seq"):
        rid, sid = row["resource_id"], row["scope_id"]
        if rid not in resource_spans:
            rs = request.resource_spans.add()
            res = resources[rid]
            rs.schema_url = res["schema_url"]
            rs.resource.dropped_attributes_count = res["dropped_attributes_count"]
            rs.resource.attributes.extend(resource_attrs.get((rid,), []))
            resource_spans[rid] = rs
        if (rid, sid) not in scope_spans:
            ss = resource_spans[rid].scope_spans.add()
            scope = scopes[sid]
            ss.schema_url = scope["schema_url"]
            ss.scope.name, ss.scope.version = scope["name"], scope["version"]
            ss.scope.dropped_attributes_count = scope["dropped_attributes_count"]
            ss.scope.attributes.extend(scope_attrs.get((sid,), []))
            scope_spans[(rid, sid)] = ss
        span = scope_spans[(rid, sid)].spans.add()
        _fill_span(span, row, span_attrs.get((row["seq"],), []))
        for event in events_by_span[row["seq"]]:
            e = span.events.add(time_unix_nano=event["time_unix_nano"], name=event["name"],
                                dropped_attributes_count=event["dropped_attributes_count"])
            e.attributes.extend(event_attrs.get((row["seq"], event["event_index"]), []))
        for link in links_by_span[row["seq"]]:
            li = span.links.add(trace_id=bytes.fromhex(link["trace_id"]), span_id=bytes.fromhex(link["span_id"]),
                                trace_state=link["trace_state"], flags=link["flags"],
                                dropped_attributes_count=link["dropped_attributes_count"])
            li.attributes.extend(link_attrs.get((row["seq"], link["link_index"]), []))
    return request


def _fill_span(span: Span, row: dict, attributes: list[KeyValue]) -> None:
    span.trace_id = bytes.fromhex(row["trace_id"])
    span.span_id = bytes.fromhex(row["span_id"])
    span.parent_span_id = bytes.fromhex(row["parent_span_id"] or "")
    span.trace_state = row["trace_state"]
    span.flags = row["flags"]
    span.name = row["name"]
    span.kind = row["kind"]
    span.start_time_unix_nano = row["start_time_unix_nano"]
    span.end_time_unix_nano = row["end_time_unix_nano"]
    span.status.code = row["status_code"]
    span.status.message = row["status_message"]
    span.dropped_attributes_count = row["dropped_attributes_count"]
    span.dropped_events_count = row["dropped_events_count"]
    span.dropped_links_count = row["dropped_links_count"]
    span.attributes.extend(attributes)


def _rows(con: duckdb.DuckDBPyConnection, sql: str) -> list[dict]:
    cursor = con.execute(sql)
    columns = [d[0] for d in cursor.description]
    return [dict(zip(columns, row)) for row in cursor.fetchall()]


def _by_id(con, table: str, key: str) -> dict[int, dict]:
    rows = _rows(con, f"SELECT * FROM {table} WHERE {key} IN (SELECT DISTINCT {key} FROM _export)")
    return {row[key]: row for row in rows}


def _attributes(con, table: str, owner: list[str], owner_filter: bool = True) -> dict[tuple, list[KeyValue]]:
    if owner_filter:
        where = "span_seq IN (SELECT seq FROM _export)"
    else:
        where = f"{owner[0]} IN (SELECT DISTINCT {owner[0]} FROM _export)"
    order = ", ".join([*owner, "position"])
    grouped: dict[tuple, list[KeyValue]] = defaultdict(list)
    for row in _rows(con, f"SELECT * FROM {table} WHERE {where} ORDER BY {order}"):
        grouped[tuple(row[c] for c in owner)].append(KeyValue(key=row["key"], value=_value(row)))
    return grouped


def _value(row: dict) -> AnyValue:
    kind = row["type"]
    if kind in _SCALAR_FIELD:
        field = _SCALAR_FIELD[kind]
        return AnyValue(**{field: row[field]})
    if kind in ("array", "kvlist"):
        return decode_any_value(json.loads(row["json_value"]))
    return AnyValue()
