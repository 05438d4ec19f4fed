"""Reads what the collector has committed, in ``seq`` order, as polars frames.

Analyzers read the store rather than sitting on the ingest path: ingest never waits for them, a slow
analyzer only falls behind, and after a restart the engine resumes from the last ``seq`` it saved.
"""

from __future__ import annotations

from dataclasses import dataclass

import duckdb
import polars as pl

_SPANS = """
SELECT seq, trace_id, span_id, parent_span_id, name, kind,
       coalesce(service_name, 'unknown_service') AS service_name,
       start_time_unix_nano::BIGINT AS start_time_unix_nano, end_time_unix_nano::BIGINT AS end_time_unix_nano,
       duration_ns, status_code, status_message, resource_id
FROM spans WHERE seq > ? AND seq <= ? ORDER BY seq
"""
_ATTRIBUTES = """
SELECT span_seq, key, type, string_value, int_value, double_value, bool_value, json_value
FROM span_attributes WHERE span_seq > ? AND span_seq <= ?
"""
_RESOURCES = """
SELECT resource_id, key, type, string_value, int_value, double_value, bool_value
FROM resource_attributes WHERE resource_id IN (SELECT unnest(?::BIGINT[]))
"""


@dataclass
class Chunk:
    spans: pl.DataFrame
    attributes: pl.DataFrame
    resources: pl.DataFrame
    last_seq: int


class SpanSource:
    def __init__(self, con: duckdb.DuckDBPyConnection, chunk_spans: int = 100_000) -> None:
        self._con = con
        self.chunk_spans = chunk_spans

    def latest_seq(self) -> int:
        return self._con.sql("SELECT coalesce(max(seq), 0) FROM spans").fetchall()[0][0]

    def read_after(self, last_seq: int) -> Chunk | None:
        """The next committed spans after ``last_seq`` (at most ``chunk_spans``), or None if none."""
        upper = min(self.latest_seq(), last_seq + self.chunk_spans)
        if upper <= last_seq:
            return None
        spans = pl.from_arrow(self._con.sql(_SPANS, params=[last_seq, upper]).to_arrow_table())
        attributes = pl.from_arrow(self._con.sql(_ATTRIBUTES, params=[last_seq, upper]).to_arrow_table())
        resource_ids = spans["resource_id"].unique().to_list()
        resources = pl.from_arrow(self._con.sql(_RESOURCES, params=[resource_ids]).to_arrow_table())
        return Chunk(spans, attributes, resources, upper)
