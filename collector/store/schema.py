"""The DuckDB schema spans are kept in (see docs/storage.md for why it looks like this).

Every table is created with ``IF NOT EXISTS`` so opening an existing data directory keeps its spans.
"""

from __future__ import annotations

from pathlib import Path

import duckdb

# One typed value column per OTLP AnyValue kind, so an attribute keeps its type exactly.
# Arrays and key-value lists are kept as their OTLP/JSON AnyValue in json_value.
ATTRIBUTE_COLUMNS = """
    position INTEGER NOT NULL,
    key VARCHAR NOT NULL,
    type VARCHAR NOT NULL,
    string_value VARCHAR,
    int_value BIGINT,
    double_value DOUBLE,
    bool_value BOOLEAN,
    bytes_value BLOB,
    json_value VARCHAR
"""

TABLES = {
    "spans": """
        seq BIGINT NOT NULL,
        trace_id VARCHAR NOT NULL,
        span_id VARCHAR NOT NULL,
        parent_span_id VARCHAR,
        trace_state VARCHAR NOT NULL,
        flags UINTEGER NOT NULL,
        name VARCHAR NOT NULL,
        kind UTINYINT NOT NULL,
        start_time_unix_nano UBIGINT NOT NULL,
        end_time_unix_nano UBIGINT NOT NULL,
        duration_ns BIGINT NOT NULL,
        status_code UTINYINT NOT NULL,
        status_message VARCHAR NOT NULL,
        service_name VARCHAR,
        resource_id BIGINT NOT NULL,
        scope_id BIGINT NOT NULL,
        dropped_attributes_count UINTEGER NOT NULL,
        dropped_events_count UINTEGER NOT NULL,
        dropped_links_count UINTEGER NOT NULL
    """,
    "span_attributes": "span_seq BIGINT NOT NULL," + ATTRIBUTE_COLUMNS,
    "span_events": """
        span_seq BIGINT NOT NULL,
        event_index INTEGER NOT NULL,
        time_unix_nano UBIGINT NOT NULL,
        name VARCHAR NOT NULL,
        dropped_attributes_count UINTEGER NOT NULL
    """,
    "event_attributes": "span_seq BIGINT NOT NULL, event_index INTEGER NOT NULL," + ATTRIBUTE_COLUMNS,
    "span_links": """
        span_seq BIGINT NOT NULL,
        link_index INTEGER NOT NULL,
        trace_id VARCHAR NOT NULL,
        span_id VARCHAR NOT NULL,
        trace_state VARCHAR NOT NULL,
        flags UINTEGER NOT NULL,
        dropped_attributes_count UINTEGER NOT NULL
    """,
    "link_attributes": "span_seq BIGINT NOT NULL, link_index INTEGER NOT NULL," + ATTRIBUTE_COLUMNS,
    "resources": """
        resource_id BIGINT NOT NULL,
        service_name VARCHAR,
        schema_url VARCHAR NOT NULL,
        dropped_attributes_count UINTEGER NOT NULL
    """,
    "resource_attributes": "resource_id BIGINT NOT NULL," + ATTRIBUTE_COLUMNS,
    "scopes": """
        scope_id BIGINT NOT NULL,
        name VARCHAR NOT NULL,
        version VARCHAR NOT NULL,
        schema_url VARCHAR NOT NULL,
        dropped_attributes_count UINTEGER NOT NULL
    """,
    "scope_attributes": "scope_id BIGINT NOT NULL," + ATTRIBUTE_COLUMNS,
}


def create_schema(con: duckdb.DuckDBPyConnection) -> None:
    for name, columns in TABLES.items():
        con.execute(f"CREATE TABLE IF NOT EXISTS {name} ({columns})")


def open_database(path: Path) -> duckdb.DuckDBPyConnection:
    """Open (creating if needed) the span database for writing."""
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        con = duckdb.connect(str(path))
    except duckdb.IOException as exc:
        raise StoreLockedError(
            f"{path}: cannot open the database for writing ({exc}). "
            "Another weavergen daemon probably holds it: stop it or use another storage.data_dir."
        ) from None
    create_schema(con)
    return con


class StoreLockedError(RuntimeError):
    """The database file is held by another process."""
