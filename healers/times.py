"""Time as the healers write it: naive UTC in DuckDB, ISO 8601 with a Z in files and payloads."""

from __future__ import annotations

import datetime as dt

from weavergen.rules.alert import naive_utc


def utc_now() -> dt.datetime:
    """Naive UTC, as every TIMESTAMP column of the store holds it."""
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


# One definition of "naive UTC" for rules and healers.
to_utc = naive_utc


def iso(value: dt.datetime | None) -> str | None:
    return None if value is None else to_utc(value).isoformat(timespec="seconds") + "Z"
