"""One trace as an indented tree: each span under its parent, ordered by start time."""

from __future__ import annotations

from collections import defaultdict

from rich.text import Text

from .store.query import QueryResult

TRACE_SQL = """
SELECT span_id, parent_span_id, name, service_name, kind, status_code, status_message,
       start_time_unix_nano, duration_ns
FROM spans WHERE trace_id = '{trace_id}'
-- A retried export can store a span twice; show it once.
QUALIFY row_number() OVER (PARTITION BY span_id ORDER BY seq) = 1
ORDER BY start_time_unix_nano, seq
"""

KIND_NAMES = {0: "UNSPECIFIED", 1: "INTERNAL", 2: "SERVER", 3: "CLIENT", 4: "PRODUCER", 5: "CONSUMER"}
STATUS_NAMES = {0: "", 1: "OK", 2: "ERROR"}


def build_tree(trace_id: str, result: QueryResult, tree_class):
    spans = [dict(zip(result.columns, row)) for row in result.rows]
    ids = {s["span_id"] for s in spans}
    children = defaultdict(list)
    roots = []
    for span in spans:
        parent = span["parent_span_id"]
        # A span whose parent was never received is shown at the top, marked as orphan.
        span["orphan"] = parent is not None and parent not in ids
        (children[parent] if parent in ids else roots).append(span)
    start = min(s["start_time_unix_nano"] for s in spans)
    tree = tree_class(f"trace {trace_id} ({len(spans)} spans)")

    def add(node, span):
        branch = node.add(_label(span, start))
        for child in children[span["span_id"]]:
            add(branch, child)

    for root in roots:
        add(tree, root)
    return tree


def _label(span: dict, trace_start: int) -> Text:
    offset_ms = (span["start_time_unix_nano"] - trace_start) / 1e6
    status = STATUS_NAMES.get(span["status_code"], str(span["status_code"]))
    parts = [
        span["name"],
        f"[{span['service_name'] or '?'}]",
        KIND_NAMES.get(span["kind"], str(span["kind"])),
        f"{span['duration_ns'] / 1e6:.3f} ms",
        f"@+{offset_ms:.3f} ms",
    ]
    if status:
        parts.append(status + (f": {span['status_message']}" if span["status_message"] else ""))
    parts.append(f"span {span['span_id']}")
    if span["orphan"]:
        parts.append(f"orphan: parent {span['parent_span_id']} not received")
    # Text, not markup: span names may contain square brackets.
    return Text("  ".join(parts))
