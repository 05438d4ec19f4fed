"""`weavergen charters`, run in-process through the weavergen app."""

from __future__ import annotations

import json

import pytest
from healer_store import build_store, make_alert
from typer.testing import CliRunner

from weavergen.collector.cli import app  # weavergen's own app: healers' cli module imports its helpers
from weavergen.healers import cli
from weavergen.healers.charter import CharterHealer

runner = CliRunner()


@pytest.fixture
def charters(tmp_path):
    con = build_store(tmp_path / "weavergen.duckdb")
    directory = tmp_path / "charters"
    path = CharterHealer(directory).on_alert(make_alert(), con.cursor).artifacts["path"]
    con.close()
    return directory, path


def test_json(charters):
    directory, path = charters
    result = runner.invoke(app, ["charters", "--dir", str(directory), "--format", "json"])

    assert result.exit_code == 0, result.output
    (charter,) = json.loads(result.stdout)
    assert set(charter) == set(cli.COLUMNS)
    assert charter["id"] == "CH-3beac51af1" and charter["status"] == "open" and charter["path"] == path
    assert charter["rule"] == "slo/HighErrorRate" and charter["subject"] == {"service": "checkout"}


def test_table(charters):
    directory, _ = charters
    result = runner.invoke(app, ["charters", "--dir", str(directory)], env={"COLUMNS": "400"})

    assert result.exit_code == 0, result.output
    assert "CH-3beac51af1" in result.stdout and "service=checkout" in result.stdout and "open" in result.stdout


def test_default_directory_without_config(tmp_path, monkeypatch, charters):
    monkeypatch.chdir(tmp_path)
    assert not (tmp_path / "config.yaml").exists()
    result = runner.invoke(app, ["charters", "--format", "json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == []  # ./data/charters does not exist here


def test_bad_config_is_a_usage_error(tmp_path):
    result = runner.invoke(app, ["charters", "--config", str(tmp_path / "missing.yaml")])
    assert result.exit_code == 2 and "config file not found" in result.output
