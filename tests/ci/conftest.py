"""Fixtures of the CI check's tests: the tiny registry, the commands in-process and as a process."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner
from weavergen.collector.ci.cli import register
from weavergen.collector.otlp_json import encode_export_trace_request

FIXTURES = Path(__file__).parent / "fixtures"


@pytest.fixture
def tiny_registry() -> Path:
    return FIXTURES / "registry"


@pytest.fixture
def ci_app() -> typer.Typer:
    app = typer.Typer(pretty_exceptions_enable=False)
    register(app)
    return app


@pytest.fixture
def run_ci(ci_app):
    """``run_ci("check", file, "--junit", ...)`` in-process; returns the click Result."""
    runner = CliRunner()

    def run(*args: str):
        result = runner.invoke(ci_app, [str(a) for a in args], catch_exceptions=False)
        return result

    return run


@pytest.fixture
def ci_process():
    """``ci_process("live-check", ..., "--", cmd)`` as a real process: (exit code, stdout, stderr)."""

    def run(*args, env: dict | None = None, timeout: float = 120) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "weavergen.collector.ci", *map(str, args)],
                              capture_output=True, text=True, timeout=timeout, env=env, check=False)

    return run


@pytest.fixture
def write_jsonl(tmp_path):
    """Write requests as the Collector's file exporter does: one OTLP/JSON request per line."""

    def write(*requests, name: str = "traces.jsonl") -> Path:
        path = tmp_path / name
        path.write_text("".join(json.dumps(encode_export_trace_request(r)) + "\n" for r in requests))
        return path

    return write
