"""Bounded label values: the first K distinct values keep their name, later ones become "other".

This is the OpenTelemetry metrics SDK's cardinality-limit behaviour (an overflow series once the
limit is reached): a label set that only grows at the start and never churns, so Prometheus series
and signal history stay stable. The state pickles with the engine's snapshot, so it survives restarts.
"""

from __future__ import annotations

import polars as pl

OTHER = "other"


class LabelLimiter:
    def __init__(self, limit: int) -> None:
        self.limit = limit
        self._admitted: dict[str, set[str]] = {}  # scope (e.g. a service) → admitted values

    def bound(self, values: pl.Series, scopes: pl.Series | None = None) -> pl.Series:
        """Map each value to itself if admitted (admitting new ones while there is room), else "other"."""
        if scopes is None:
            scopes = pl.Series([""] * len(values), dtype=pl.String)
        frame = pl.DataFrame({"scope": scopes, "value": values})
        mapping = {}
        for scope, value in frame.unique(maintain_order=True).iter_rows():
            admitted = self._admitted.setdefault(scope, set())
            if value not in admitted and len(admitted) < self.limit:
                admitted.add(value)
            mapping[(scope, value)] = value if value in admitted else OTHER
        keys = pl.DataFrame(
            {"scope": [k[0] for k in mapping], "value": [k[1] for k in mapping], "_bounded": list(mapping.values())},
            schema={"scope": pl.String, "value": pl.String, "_bounded": pl.String},
        )
        joined = frame.join(keys, on=["scope", "value"], how="left", maintain_order="left", nulls_equal=True)
        return joined["_bounded"].alias(values.name)

    def admitted(self, scope: str = "") -> set[str]:
        return set(self._admitted.get(scope, set()))
