"""The span store: DuckDB schema, the single writer, read-only queries."""
