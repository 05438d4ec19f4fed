"""ActionRunner: off-thread actions, outcomes in alert_actions, rate limits, dry run, dedup, ordering."""

from __future__ import annotations

import dataclasses
import json
import logging
import threading
import time

import pytest
from healer_store import make_alert

from weavergen.healers.base import ActionResult, Healer, Outcome
from weavergen.healers.charter import CharterHealer, list_charters
from weavergen.healers.runner import ActionRunner
from weavergen.healers.settings import HealersConfig
from weavergen.rules.alert import AlertState


class Blocking(Healer):
    """Applies once ``release`` is set; counts calls."""

    name = "blocking"

    def __init__(self) -> None:
        self.release, self.calls = threading.Event(), 0

    def on_alert(self, alert, connect):
        self.release.wait(10)
        self.calls += 1
        return ActionResult(Outcome.applied, "done", {"n": str(self.calls)})


class Flaky(Healer):
    name = "flaky"

    def __init__(self, failures: int) -> None:
        self.failures, self.calls, self.stopped = failures, 0, False

    def on_alert(self, alert, connect):
        self.calls += 1
        if self.calls <= self.failures:
            raise RuntimeError(f"boom {self.calls}")
        return ActionResult(Outcome.applied, "ok")

    def shutdown(self) -> None:
        self.stopped = True


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def make_runner(store):
    runners: list[ActionRunner] = []

    def make(healers, **kwargs) -> ActionRunner:
        runners.append(ActionRunner(healers, store.cursor, **kwargs))
        return runners[-1]

    yield make
    for runner in runners:
        runner.shutdown()


def rows(store, columns="action, state, outcome, detail"):
    return store.execute(f'SELECT {columns} FROM alert_actions ORDER BY rowid').fetchall()


def subject_alert(service: str, **kwargs):
    return make_alert(labels={"alertname": "HighErrorRate", "service": service},
                      subject={"service": service}, **kwargs)


def test_submit_returns_at_once_and_the_outcome_is_recorded(store, make_runner):
    blocking = Blocking()
    runner = make_runner({"blocking": blocking})

    started = time.monotonic()
    assert runner.submit(make_alert(actions=["blocking"]))
    assert time.monotonic() - started < 0.5
    assert not runner.wait_idle(0.1)
    blocking.release.set()
    assert runner.wait_idle(10)

    (row,) = rows(store, 'fingerprint, alertname, rule, action, state, outcome, detail, artifacts, recorded_at')
    assert row[:7] == (make_alert().fingerprint, "HighErrorRate", "slo/HighErrorRate", "blocking", "firing",
                       "applied", "done")
    assert json.loads(row[7]) == {"n": "1"}


def test_charter_action_end_to_end(tmp_path, store, make_runner):
    runner = make_runner({"charter": CharterHealer(tmp_path / "charters")})
    runner.submit(make_alert())
    runner.submit(make_alert(AlertState.resolved, value=0.02))
    assert runner.wait_idle(30)

    (charter,) = list_charters(tmp_path / "charters")
    assert charter["status"] == "resolved" and charter["final_value"] == 0.02
    recorded = store.execute(
        """SELECT state, outcome, artifacts->>'path' FROM alert_actions ORDER BY recorded_at """).fetchall()
    assert recorded == [("firing", "applied", charter["path"]), ("resolved", "applied", charter["path"])]


def test_unknown_action_and_raising_healer_are_recorded_failed(store, make_runner, caplog):
    runner = make_runner({"flaky": Flaky(failures=1)})
    with caplog.at_level(logging.ERROR, logger="weavergen.healers.runner"):
        runner.submit(make_alert(actions=["nope", "flaky"]))
        assert runner.wait_idle(10)

    assert rows(store) == [  # in the alert's order
        ("nope", "firing", "failed", "unknown action 'nope' (configured healers: flaky)"),
        ("flaky", "firing", "failed", "RuntimeError: boom 1"),
    ]
    (record,) = [r for r in caplog.records if "healer flaky failed" in r.getMessage()]
    assert record.exc_info is not None and "boom 1" in str(record.exc_info[1])


def test_identical_submissions_are_dropped_but_a_failed_action_is_retried(store, make_runner):
    flaky = Flaky(failures=1)
    runner = make_runner({"flaky": flaky})
    for _ in range(3):
        runner.submit(make_alert(actions=["flaky"]))
        assert runner.wait_idle(10)

    assert flaky.calls == 2  # failed, retried and applied, then the third is a duplicate
    assert [r[2] for r in rows(store)] == ["failed", "applied"]
    assert runner.counts["flaky", "duplicate"] == 1

    runner.submit(make_alert(actions=["flaky"], value=0.95))  # a re-evaluation with new values runs
    assert runner.wait_idle(10) and flaky.calls == 3


def test_rate_limit_per_rule_and_action(store, make_runner):
    clock = FakeClock()
    blocking = Blocking()
    blocking.release.set()
    runner = make_runner({"blocking": blocking}, rate_limit_per_rule=(2, 60.0), clock=clock)
    services = ["a", "b", "c", "d"]
    for service in services:
        runner.submit(subject_alert(service, actions=["blocking"]))
    assert runner.wait_idle(10)

    outcomes = [r[2:] for r in rows(store)]
    assert outcomes.count(("applied", "done")) == 2
    limited = [o for o in outcomes if o[0] == "skipped"]
    message = "rate limited: at most 2 per 60 s for rule 'slo/HighErrorRate' and action 'blocking'"
    assert limited == [("skipped", message)] * 2
    assert blocking.calls == 2

    # Updating an applied alert in the same state and resolving it take no token.
    applied = [s for s in services if store.execute(
        "SELECT count(*) FROM alert_actions WHERE outcome = 'applied' AND fingerprint = ?",
        [subject_alert(s).fingerprint]).fetchone()[0]]
    runner.submit(subject_alert(applied[0], actions=["blocking"], value=0.97))
    runner.submit(subject_alert(applied[1], actions=["blocking"], state=AlertState.resolved))
    assert runner.wait_idle(10) and blocking.calls == 4

    # Another rule has its own bucket; the first refills with time (2 per 60 s: one every 30 s).
    runner.submit(subject_alert("e", actions=["blocking"], rule="other/Rule"))
    runner.submit(subject_alert("f", actions=["blocking"]))
    assert runner.wait_idle(10) and blocking.calls == 5
    clock.now += 30
    runner.submit(subject_alert("f", actions=["blocking"]))  # the same alert that was limited: runs now
    assert runner.wait_idle(10) and blocking.calls == 6
    runner.submit(subject_alert("f", actions=["blocking"]))  # and now it is a duplicate
    assert runner.wait_idle(10) and blocking.calls == 6


def test_dry_run_records_and_applies_nothing(tmp_path, store, make_runner):
    runner = make_runner({"charter": CharterHealer(tmp_path / "charters")}, dry_run=True)
    runner.submit(make_alert(actions=["charter", "missing"]))
    assert runner.wait_idle(10)

    assert not (tmp_path / "charters").exists()
    assert [(fp, alert.state) for fp, alert in runner.recorder.calls] == [(make_alert().fingerprint,
                                                                          AlertState.firing)]
    assert rows(store) == [
        ("charter", "firing", "skipped", "dry run: recorded, not applied"),
        ("missing", "firing", "failed", "unknown action 'missing' (configured healers: charter)"),
    ]


def test_transitions_of_one_alert_run_in_order(tmp_path, store, make_runner):
    order: list[str] = []

    class Slow(Healer):
        name = "slow"

        def on_alert(self, alert, connect):
            time.sleep(0.2 if alert.state is AlertState.firing else 0)
            order.append(alert.state.value)
            return ActionResult(Outcome.applied)

    runner = make_runner({"slow": Slow()}, max_workers=4)
    runner.submit(make_alert(actions=["slow"]))
    runner.submit(make_alert(AlertState.resolved, actions=["slow"]))
    assert runner.wait_idle(10)
    assert order == ["firing", "resolved"]


def test_pending_and_actionless_alerts_run_nothing(store, make_runner):
    runner = make_runner({"flaky": Flaky(0)})
    assert not runner.submit(make_alert(AlertState.pending, actions=["flaky"]))
    assert runner.submit(make_alert(actions=()))
    assert runner.wait_idle(10)
    assert rows(store) == []
    assert runner.counts["*", "pending"] == 1 and runner.counts["*", "no actions"] == 1


def test_shutdown_stops_healers_and_refuses_new_alerts(store):
    flaky = Flaky(0)
    runner = ActionRunner({"flaky": flaky}, store.cursor)
    runner.submit(make_alert(actions=["flaky"]))
    runner.shutdown()
    assert flaky.stopped and flaky.calls == 1
    assert not runner.submit(make_alert(actions=["flaky"], value=0.1))


def test_from_config(tmp_path, store):
    config = HealersConfig(charters_dir=tmp_path / "c", dry_run=True,
                           rate_limit={"max_actions": 3, "per_seconds": 10})
    runner = ActionRunner.from_config(config, store.cursor)
    try:
        assert set(runner.healers) == {"charter"} and runner.dry_run and runner.rate_limit == (3, 10.0)
    finally:
        runner.shutdown()


def test_bad_rate_limit_is_refused(store):
    with pytest.raises(ValueError, match="rate_limit_per_rule"):
        ActionRunner({}, store.cursor, rate_limit_per_rule=(0, 60))


def test_alerts_compare_by_value():
    # The runner's dedup relies on Alert equality covering labels, state, values and times.
    assert make_alert() == make_alert()
    assert make_alert() != make_alert(value=0.91)
    assert make_alert() != dataclasses.replace(make_alert(), annotations={})
