"""The DMEDI charter healer over a real DuckDB store holding a known error-rate regression."""

from __future__ import annotations

import dataclasses
import datetime as dt
import re

import pytest
import yaml
from healer_store import ACTIVE_AT, CURRENT, CURRENT_TRACES, SpanWriter, make_alert, signal

from weavergen.collector.store.query import run_query
from weavergen.healers.base import Outcome
from weavergen.healers.charter import CharterError, CharterHealer, add_develop_links, list_charters
from weavergen.rules.alert import AlertState

SECTIONS = ("## Define", "## Measure", "## Explore", "## Develop", "## Implement")


class Clock:
    def __init__(self) -> None:
        self.now = dt.datetime(2026, 1, 1, 12, 12, 5)

    def __call__(self) -> dt.datetime:
        self.now += dt.timedelta(seconds=30)
        return self.now


@pytest.fixture
def healer(tmp_path):
    return CharterHealer(tmp_path / "charters", clock=Clock())


def split(path):
    text = path.read_text()
    _, head, body = text.split("---\n", 2)
    return yaml.safe_load(head), body


def sql_blocks(body: str) -> list[str]:
    return re.findall(r"```sql\n(.*?)\n```", body, re.DOTALL)


def test_charter_opens_with_every_section_filled_from_the_store(store, healer):
    result = healer.on_alert(make_alert(), store.cursor)

    assert result.outcome is Outcome.applied, result.detail
    assert result.detail.startswith("charter opened: ")
    path = healer.directory / "slo-higherrorrate-checkout-3beac51af1.md"
    assert result.artifacts == {"path": str(path), "id": "CH-3beac51af1", "status": "open"}
    front, body = split(path)
    assert front == {
        "id": "CH-3beac51af1", "title": "HighErrorRate: checkout", "rule": "slo/HighErrorRate",
        "alertname": "HighErrorRate", "fingerprint": make_alert().fingerprint, "subject": {"service": "checkout"},
        "severity": "page", "status": "open", "opened_at": "2026-01-01T12:12:35Z",
        "updated_at": "2026-01-01T12:12:35Z", "resolved_at": None, "final_value": None, "final_values": None,
    }
    assert [line for line in body.splitlines() if line.startswith("## ")] == list(SECTIONS)
    define, measure, explore, develop, implement = re.split(r"^## \w+\n", body, flags=re.MULTILINE)[1:]

    assert "**Problem.** Error rate of checkout is 90%" in define
    assert "| started (active_at, UTC) | 2026-01-01 12:10:00 |" in define
    assert "| critical to quality | `error_rate`, threshold `0.5`, value when evaluated `0.9` |" in define

    # Baseline: windows 12:00–12:09 (0.05/0.15 → mean 0.1), current: the latest window, 12:11.
    assert "| period (UTC, span end time) | 2026-01-01 12:00:00 – 2026-01-01 12:10:00 | " \
           "2026-01-01 12:11:00 – 2026-01-01 12:12:00 |" in measure
    for row in ("| signal windows | 10 | 1 |", "| `error_rate` | 0.1 | 0.9 |", "| spans | 100 | 10 |",
                "| error spans | 10 | 9 |", "| traces | 100 | 10 |", "| mean ms | 20 | 145 |",
                "| 2026-01-01 12:11:00 | page_hinkley | up | 0.1 | 0.9 |"):
        assert row in measure
    examples = re.findall(r"^\| ([0-9a-f]{32}) \|", measure, re.MULTILINE)
    assert examples == CURRENT_TRACES[8:3:-1]  # errors first, slowest first
    stored = {r[0] for r in store.execute("SELECT trace_id FROM spans WHERE service_name = 'checkout'").fetchall()}
    assert set(examples) <= stored

    assert "| GET /orders/{id} | 0 | 5 | 0 | 50 | 50 |" in explore
    assert "| user.id | 0 | 10 | 0 | 10 | 0 | 100 | 100 |" in explore
    assert "### Values of `user.id`" in explore and "| user-9 | 0 | 1 |" in explore
    assert "| violation | deprecated | GET /orders | http.method | 10 |" in explore
    assert "billing" not in body and "charge" not in body and "old.key" not in body

    assert "1. Find the failing dependency of `checkout`" in develop
    assert "Rename `http.method` to `http.request.method` on `GET /orders`" in develop
    assert "Add `http.route` on `GET /orders`" in develop
    assert "user.id" not in develop  # an information-level finding suggests no fix
    assert "<!-- develop:links -->\n- _none yet" in develop and "<!-- /develop:links -->" in develop

    assert "Rule `slo/HighErrorRate` must stay resolved" in implement
    assert "Close when: `error_rate` back within threshold `0.5`." in implement


def test_the_sql_in_the_charter_reruns_read_only_with_the_same_numbers(store, healer):
    path = healer.directory / healer.on_alert(make_alert(), store.cursor).artifacts["path"]
    blocks = sql_blocks(split(path)[1])

    assert len(blocks) == 9
    results = [run_query(store.cursor(), sql) for sql in blocks]  # the query endpoint's read-only check
    summary = dict(zip(results[0].columns, results[0].rows[0]))
    assert summary["baseline_windows"] == 10
    assert summary["baseline_mean"] == pytest.approx(0.1)
    assert summary["current_value"] == pytest.approx(0.9)
    assert summary["current_window"] == CURRENT
    assert [row[:3] for row in results[1].rows] == [["baseline", 100, 10], ["current", 10, 9]]
    for sql in blocks:
        assert re.search(r"\bLIMIT \d+", sql), sql
        assert "window_start >= TIMESTAMP" in sql or "end_time_unix_nano >= epoch_ns" in sql, sql


def test_update_while_firing_rewrites_the_same_file_with_fresh_evidence(store, healer):
    first = healer.on_alert(make_alert(), store.cursor)
    front1, _ = split(healer.directory / first.artifacts["path"])
    window = CURRENT + dt.timedelta(minutes=1)
    signal(store, window, "error_rate", "checkout", 0.95)
    writer = SpanWriter(store, seq=10_000)
    for i in range(20):
        writer.span("checkout", "GET /orders", window + dt.timedelta(seconds=i + 1), error=i != 0)
    writer.flush()

    second = healer.on_alert(make_alert(value=0.95), store.cursor)

    assert second.outcome is Outcome.applied and second.detail.startswith("charter updated: ")
    assert list(healer.directory.iterdir()) == [healer.directory / first.artifacts["path"]]
    front2, body = split(healer.directory / second.artifacts["path"])
    assert front2["opened_at"] == front1["opened_at"] and front2["updated_at"] > front1["updated_at"]
    assert front2["status"] == "open"
    for heading in SECTIONS:
        assert body.count(f"\n{heading}\n") == 1
    assert body.count("<!-- develop:links -->") == 1
    assert "| `error_rate` | 0.1 | 0.95 |" in body  # baseline stays, current is the new latest window
    assert "| spans | 100 | 20 |" in body and "| error spans | 10 | 19 |" in body


def test_resolution_marks_the_charter_resolved_with_final_values(store, healer):
    healer.on_alert(make_alert(), store.cursor)
    resolved = make_alert(AlertState.resolved, value=0.02)

    result = healer.on_alert(resolved, store.cursor)

    assert result.outcome is Outcome.applied and result.detail.startswith("charter resolved: ")
    assert result.artifacts["status"] == "resolved"
    front, body = split(healer.directory / result.artifacts["path"])
    assert front["status"] == "resolved"
    assert front["resolved_at"] == "2026-01-01T12:15:00Z"
    assert front["final_value"] == 0.02
    assert front["final_values"] == {"value": 0.02, "signal": "error_rate", "threshold": 0.5}
    assert "- **Resolved** at 2026-01-01 12:15:00 UTC; final value 0.02." in body

    again = healer.on_alert(make_alert(), store.cursor)
    assert again.detail.startswith("charter reopened: ")
    assert split(healer.directory / again.artifacts["path"])[0]["resolved_at"] is None


def test_the_same_alert_twice_gives_one_charter_identical_but_for_updated_at(store, healer):
    first = healer.on_alert(make_alert(), store.cursor)
    before = (healer.directory / first.artifacts["path"]).read_text()
    second = healer.on_alert(make_alert(), store.cursor)
    after = (healer.directory / second.artifacts["path"]).read_text()

    assert second.artifacts == first.artifacts
    assert len(list(healer.directory.iterdir())) == 1  # and no temporary file left behind
    assert (healer.directory / second.artifacts["path"]).stat().st_mode & 0o777 == 0o644
    assert before != after
    drop = re.compile(r"^updated_at: .*$", re.MULTILINE)
    assert drop.sub("", before) == drop.sub("", after)


def test_resolved_without_an_open_charter_and_pending_are_skipped(store, healer):
    resolved = healer.on_alert(make_alert(AlertState.resolved), store.cursor)
    pending = healer.on_alert(make_alert(AlertState.pending), store.cursor)

    assert resolved.outcome is Outcome.skipped and "no charter was opened" in resolved.detail
    assert pending.outcome is Outcome.skipped
    assert not healer.directory.exists()


def test_develop_links_are_added_once_and_survive_rewrites(store, healer):
    path = healer.directory / healer.on_alert(make_alert(), store.cursor).artifacts["path"]
    links = ["[registry overlay](overlays/checkout.yaml)", "- [regenerated code](gen/checkout.py)"]

    assert add_develop_links(path, links) == 2
    assert add_develop_links(path, links + ["[third](x.md)"]) == 1
    healer.on_alert(make_alert(value=0.91), store.cursor)

    body = split(path)[1]
    block = body.split("<!-- develop:links -->\n")[1].split("<!-- /develop:links -->")[0]
    assert block == ("- [registry overlay](overlays/checkout.yaml)\n- [regenerated code](gen/checkout.py)\n"
                     "- [third](x.md)\n")
    with pytest.raises(CharterError, match="no charter"):
        add_develop_links(path.with_name("missing.md"), links)


def test_an_alert_without_signal_or_service_still_gets_a_charter(store, healer):
    bare = make_alert(labels={"alertname": "SomethingOdd"}, subject={}, values={}, annotations={},
                      rule="alertmanager/weavergen", value=None)

    result = healer.on_alert(bare, store.cursor)

    front, body = split(healer.directory / result.artifacts["path"])
    assert front["subject"] == {"alertname": "SomethingOdd"}
    assert [line for line in body.splitlines() if line.startswith("## ")] == list(SECTIONS)
    assert "names no service" in body
    assert "| period (UTC, span end time) | 2026-01-01 11:10:00 – 2026-01-01 12:10:00 | " \
           "2026-01-01 12:10:00 – 2026-01-01 13:10:00 |" in body
    assert "Close when: the alert's condition no longer holding." in body


def test_alertmanager_alerts_of_one_receiver_get_a_charter_per_alert_name(store, healer):
    def received(name: str):
        return make_alert(labels={"alertname": name, "service": "checkout"}, rule="alertmanager/weavergen",
                          values={"fingerprint": "231c89f6871cba2b"}, source="alertmanager")

    paths = {healer.on_alert(received(name), store.cursor).artifacts["path"] for name in ("HighLatency", "Errors")}

    assert sorted(p.rsplit("/", 1)[1][:-14] for p in paths) == ["alertmanager-weavergen-errors-checkout",
                                                                  "alertmanager-weavergen-highlatency-checkout"]
    assert {c["rule"] for c in list_charters(healer.directory)} == {"alertmanager/weavergen"}


def test_a_signal_rule_states_its_comparison(store, healer):
    alert = make_alert(values={"value": 0.9, "signal": "error_rate", "op": ">", "threshold": 0.5})

    body = split(healer.directory / healer.on_alert(alert, store.cursor).artifacts["path"])[1]

    assert "| critical to quality | `error_rate`, alert when `> 0.5`, value when evaluated `0.9` |" in body
    assert "Close when: `error_rate` no longer `> 0.5`." in body


def test_operation_and_key_subjects_narrow_the_evidence(store, healer):
    alert = make_alert(subject={"service": "checkout", "span_name": "GET /orders/{id}",
                                "attribute": "user.id"}, values={"value": 10})

    body = split(healer.directory / healer.on_alert(alert, store.cursor).artifacts["path"])[1]

    assert "| operation | GET /orders/{id} |" in body and "| attribute | user.id |" in body
    # Only "GET /orders/{id}" spans carrying user.id: the errors slowest first, then the one success.
    assert re.findall(r"^\| ([0-9a-f]{32}) \|", body, re.MULTILINE) == [*CURRENT_TRACES[8:4:-1], CURRENT_TRACES[9]]
    assert "### Values of `user.id`" in body


def test_evidence_failure_is_a_failed_result(tmp_path, healer):
    import duckdb

    empty = duckdb.connect(str(tmp_path / "empty.duckdb"))  # no tables at all
    result = healer.on_alert(make_alert(), empty.cursor)
    assert result.outcome is Outcome.failed and "evidence query failed" in result.detail
    empty.close()


def test_list_charters_returns_front_matter_oldest_first(store, healer):
    healer.on_alert(make_alert(), store.cursor)
    other = dataclasses.replace(make_alert(), subject={"service": "cart"},
                                labels={"alertname": "HighErrorRate", "service": "cart"})
    healer.on_alert(other, store.cursor)
    (healer.directory / "notes.md").write_text("# not a charter\n")

    charters = list_charters(healer.directory)

    assert [c["subject"] for c in charters] == [{"service": "checkout"}, {"service": "cart"}]
    assert all(c["status"] == "open" and c["path"].endswith(".md") for c in charters)
    assert charters[0]["opened_at"] < charters[1]["opened_at"]
    assert list_charters(healer.directory / "nowhere") == []
    assert ACTIVE_AT.tzinfo is not None  # alerts carry aware times; the store and files use UTC
