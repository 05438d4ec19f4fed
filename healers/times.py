"""Time as the healers write it: naive UTC in DuckDB, ISO 8601 with a Z in files and payloads."""

from __future__ import annotations

import datetime as dt


def utc_now() -> dt.datetime:
    """Naive UTC, as every TIMESTAMP column of the store holds it."""
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


def to_utc(value: dt.datetime) -> dt.datetime:
    """Naive UTC; a naive value is taken as UTC already."""
    return value.astimezone(dt.UTC).replace(tzinfo=None) if value.tzinfo else value


def iso(value: dt.datetime | None) -> str | None:
    return None if value is None else to_utc(value).isoformat(timespec="seconds") + "Z"
