"""`weavergen query` and `weavergen trace`, through a running daemon and on the file directly."""

from __future__ import annotations

import json
import os

import grpc
import pytest
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceResponse
from otlp_samples import full_request
from typer.testing import CliRunner

from weavergen.collector.cli import app

runner = CliRunner()


def send(daemon, request) -> None:
    with grpc.insecure_channel(daemon.grpc_endpoint) as ch:
        ch.unary_unary("/opentelemetry.proto.collector.trace.v1.TraceService/Export", request_serializer=None,
                       response_deserializer=ExportTraceServiceResponse.FromString)(
            request.SerializeToString(), timeout=30)


@pytest.fixture
def loaded(daemon):
    request = full_request()
    send(daemon, request)
    return daemon, request


def cli(daemon, *args: str):
    return runner.invoke(app, [*args, "--config", str(daemon.config_path)])


@pytest.mark.parametrize("through", ["daemon", "file"])
def test_query_formats(loaded, through):
    daemon, _ = loaded
    if through == "file":
        assert daemon.stop() == 0
    sql = "SELECT name, service_name, kind FROM spans ORDER BY name"
    result = cli(daemon, "query", sql, "--format", "json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == [
        {"name": "GET /cart", "service_name": "checkout", "kind": 2},
        {"name": "SELECT", "service_name": "checkout", "kind": 3},
        {"name": "no scope, no attributes", "service_name": "payments", "kind": 1},
    ]
    result = cli(daemon, "query", sql, "--format", "csv")
    assert result.stdout.splitlines()[:2] == ["name,service_name,kind", "GET /cart,checkout,2"]
    result = cli(daemon, "query", sql)
    assert "GET /cart" in result.stdout and "payments" in result.stdout


def test_query_refuses_writes_and_reports_sql_errors(loaded):
    daemon, _ = loaded
    result = cli(daemon, "query", "DELETE FROM spans")
    assert result.exit_code == 1 and "only SELECT" in result.stderr
    result = cli(daemon, "query", "SELECT no_such_column FROM spans")
    assert result.exit_code == 1 and "no_such_column" in result.stderr
    assert daemon.query("SELECT count(*) AS n FROM spans") == [{"n": 3}]


def test_query_without_daemon_or_database(tmp_path):
    config = tmp_path / "c.yaml"
    config.write_text(f"storage: {{data_dir: {tmp_path / 'none'}}}\nadmin: {{endpoint: 127.0.0.1:9}}\n")
    result = runner.invoke(app, ["query", "SELECT 1", "--config", str(config)])
    assert result.exit_code == 1 and "no span database yet" in result.stderr


def test_trace_prints_the_tree(loaded):
    daemon, request = loaded
    trace_id = request.resource_spans[0].scope_spans[0].spans[0].trace_id.hex()
    result = cli(daemon, "trace", trace_id)
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0] == f"trace {trace_id} (2 spans)"
    root_line = next(i for i, line in enumerate(lines) if "GET /cart" in line)
    child_line = next(i for i, line in enumerate(lines) if "SELECT" in line)
    assert child_line == root_line + 1
    assert "250.000 ms" in lines[root_line] and "ERROR: boom" in lines[root_line]
    # The child is indented one level deeper than the root.
    assert lines[child_line].index("SELECT") > lines[root_line].index("GET /cart")


def test_trace_rejects_bad_ids_and_reports_unknown_ones(loaded):
    daemon, _ = loaded
    assert cli(daemon, "trace", "xyz").exit_code == 2
    unknown = cli(daemon, "trace", os.urandom(16).hex())
    assert unknown.exit_code == 1 and "no spans stored" in unknown.stderr
