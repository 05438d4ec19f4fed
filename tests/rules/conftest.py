"""Fixtures for the rules tests: a real DuckDB file with the analyzer tables, and rule files on disk."""

from __future__ import annotations

import datetime as dt
import textwrap
from collections.abc import Callable
from pathlib import Path

import duckdb
import pytest

from weavergen.analyzers.results import create_tables
from weavergen.rules.alert import Alert
from weavergen.rules.manager import RuleManager

T0 = dt.datetime(2025, 1, 1)  # start of window 0 (naive UTC, as stored)


class Store:
    """The daemon's database, as the rules see it: analyzer output written per 60 s window."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.con = duckdb.connect(str(path))
        create_tables(self.con)

    def connect(self) -> duckdb.DuckDBPyConnection:
        return self.con.cursor()

    @staticmethod
    def start(window: int) -> dt.datetime:
        return T0 + dt.timedelta(minutes=window)

    @staticmethod
    def end(window: int) -> dt.datetime:
        """The evaluation time of ``window``: its end, as the daemon passes it."""
        return T0 + dt.timedelta(minutes=window + 1)

    def signal(self, window: int, signal: str, value: float, service: str = "checkout", operation: str = "",
               key: str = "") -> None:
        self.con.execute("INSERT INTO signals VALUES (?, 60, ?, ?, ?, ?, ?)",
                         [self.start(window), signal, service, operation, key, value])

    def series(self, signal: str, values: list[float | None], **labels: str) -> None:
        for window, value in enumerate(values):
            if value is not None:
                self.signal(window, signal, value, **labels)

    def drift(self, window: int, signal: str, direction: str, before: float = 1.0, after: float = 2.0,
              service: str = "checkout", operation: str = "", key: str = "") -> None:
        self.con.execute("INSERT INTO drift_events VALUES (?, 60, ?, ?, ?, ?, 'page_hinkley', ?, ?, ?, ?)",
                         [self.start(window), signal, service, operation, key, direction, before, after,
                          after - before])

    def finding(self, window: int, finding_id: str, service: str, span_name: str, attribute: str,
                count: int) -> None:
        self.con.execute("INSERT INTO findings VALUES (?, 60, ?, 'violation', ?, ?, ?, '', '', ?, '', '')",
                         [self.start(window), finding_id, service, span_name, attribute, count])

    def rows(self, sql: str, *params) -> list[tuple]:
        return self.con.execute(sql, list(params)).fetchall()

    def history(self) -> list[tuple[str, str, str]]:
        return self.rows("SELECT alertname, from_state, to_state FROM alert_history ORDER BY changed_at, rowid")


@pytest.fixture
def store(tmp_path) -> Store:
    s = Store(tmp_path / "weavergen.duckdb")
    yield s
    s.con.close()


@pytest.fixture
def rule_file(tmp_path) -> Callable[..., Path]:
    """``rule_file(text, name="rules.yaml")`` writes a (dedented) rule file and returns its path."""

    def write(text: str, name: str = "rules.yaml") -> Path:
        path = tmp_path / "rules" / name
        path.parent.mkdir(exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip())
        return path

    return write


@pytest.fixture
def make_manager(store) -> Callable[..., RuleManager]:
    """A loaded RuleManager on ``store``; transitions are recorded in ``manager.calls``."""
    managers: list[RuleManager] = []

    def make(*paths: Path, sql_timeout: float = 5.0) -> RuleManager:
        calls: list[Alert] = []
        manager = RuleManager(store.connect, list(paths), sql_timeout, on_transition=calls.append)
        manager.calls = calls  # type: ignore[attr-defined]
        manager.load()
        managers.append(manager)
        return manager

    yield make
    for manager in managers:
        manager.close()
