"""Prometheus-style durations: ``30s``, ``1m``, ``1h30m``, ``500ms``; ``0`` alone needs no unit."""

from __future__ import annotations

import re
from typing import Any

_UNITS = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800, "y": 31536000}
_PART = re.compile(r"(\d+(?:\.\d+)?)(ms|s|m|h|d|w|y)")


def parse_duration(value: Any) -> float:
    """Seconds in ``value``; raises ValueError with the rule for anything else."""
    if value == 0 and not isinstance(value, bool):
        return 0.0
    if isinstance(value, str) and value and _PART.sub("", value) == "":
        return sum(float(n) * _UNITS[unit] for n, unit in _PART.findall(value))
    raise ValueError(f"invalid duration {value!r}: write a number with a unit (ms, s, m, h, d, w, y) "
                     "such as 30s, 1m or 1h30m")


def format_duration(seconds: float) -> str:
    if seconds == 0:
        return "0s"
    parts, rest = [], seconds
    for unit in ("d", "h", "m", "s"):
        count, rest = divmod(rest, _UNITS[unit])
        if count:
            parts.append(f"{int(count)}{unit}")
    if rest:
        parts.append(f"{round(rest * 1000)}ms")
    return "".join(parts)
