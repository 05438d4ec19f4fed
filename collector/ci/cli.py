"""`weavergen check FILES...` and `weavergen live-check -- CMD`: spans in, verdict out (docs/ci.md).

Exit codes: 0 pass, 1 the run fails the gate, 2 usage or configuration error (bad file, registry,
assertions, baseline or rules, command not found, output not written or not delivered).
"""

from __future__ import annotations

import os
from enum import Enum
from pathlib import Path
from typing import Annotated, NoReturn

import typer
from rich.console import Console

from .settings import CheckSettings, UsageError

# soft_wrap: span names and ids stay on one line, so CI logs can be grepped. CI logs are no terminal,
# where rich would assume 80 columns; the tables read better wider (COLUMNS still wins).
console = Console(soft_wrap=True)
if not console.is_terminal and "COLUMNS" not in os.environ:
    console = Console(soft_wrap=True, width=120)


class FailOn(str, Enum):
    violation = "violation"
    improvement = "improvement"
    information = "information"
    none = "none"


class Protocol(str, Enum):
    grpc = "grpc"
    http_protobuf = "http/protobuf"
    http_json = "http/json"


RegistryOption = Annotated[Path | None, typer.Option(
    "--registry", envvar="WEAVERGEN_REGISTRY__PATH",
    help="Semantic-convention registry directory; without one, semantic-convention checks are off.")]
AssertionsOption = Annotated[Path | None, typer.Option(help="Trace assertions YAML (docs/ci.md).")]
RulesOption = Annotated[list[Path] | None, typer.Option(
    "--rules", help="Alerting rule file or directory (weavergen.rules), evaluated once over the run; repeatable.")]
FailOnOption = Annotated[FailOn, typer.Option(help="Lowest finding level that fails the run.")]
MinSpansOption = Annotated[int, typer.Option(help="Fail when fewer spans arrive (an empty run never passes).")]
BaselineOption = Annotated[Path | None, typer.Option(help="Findings listed here do not fail the run.")]
SaveBaselineOption = Annotated[Path | None, typer.Option(help="Write this run's findings as a baseline.")]
OtlpOutOption = Annotated[Path | None, typer.Option(help="Write the verdict as OTLP/JSON spans.")]
OtlpEndpointOption = Annotated[str | None, typer.Option(
    help="Send the verdict spans: grpc://HOST:PORT, or http(s)://HOST:PORT with an optional /v1/traces path.")]
JunitOption = Annotated[Path | None, typer.Option(help="Write a JUnit XML report.")]
ExamplesOption = Annotated[int, typer.Option(help="Example trace/span ids kept per failed assertion.")]


def _fail(message: str, code: int) -> NoReturn:
    typer.echo(message, err=True)
    raise typer.Exit(code)


def _settings(registry, assertions, rules, fail_on, min_spans, baseline, save_baseline, otlp_out, otlp_endpoint,
              junit, examples) -> CheckSettings:
    return CheckSettings(registry, assertions, tuple(rules or ()), fail_on.value, min_spans, baseline,
                         save_baseline, otlp_out, otlp_endpoint, junit, examples)


def check(
    files: Annotated[list[Path], typer.Argument(help="OTLP trace files: JSON, JSON lines or protobuf.")],
    registry: RegistryOption = None,
    assertions: AssertionsOption = None,
    rules: RulesOption = None,
    fail_on: FailOnOption = FailOn.violation,
    min_spans: MinSpansOption = 1,
    baseline: BaselineOption = None,
    save_baseline: SaveBaselineOption = None,
    otlp_out: OtlpOutOption = None,
    otlp_endpoint: OtlpEndpointOption = None,
    junit: JunitOption = None,
    examples: ExamplesOption = 5,
) -> None:
    """Check recorded traces against the registry and trace assertions; exit 1 when they fail."""
    from .run import run_check

    settings = _settings(registry, assertions, rules, fail_on, min_spans, baseline, save_baseline, otlp_out,
                         otlp_endpoint, junit, examples)
    try:
        code = run_check(files, settings, console)
    except UsageError as exc:
        _fail(f"error: {exc}", 2)
    raise typer.Exit(code)


def live_check(
    command: Annotated[list[str], typer.Argument(help="The command to run, after --.")],
    registry: RegistryOption = None,
    assertions: AssertionsOption = None,
    rules: RulesOption = None,
    fail_on: FailOnOption = FailOn.violation,
    min_spans: MinSpansOption = 1,
    baseline: BaselineOption = None,
    save_baseline: SaveBaselineOption = None,
    otlp_out: OtlpOutOption = None,
    otlp_endpoint: OtlpEndpointOption = None,
    junit: JunitOption = None,
    examples: ExamplesOption = 5,
    protocol: Annotated[Protocol, typer.Option(help="OTEL_EXPORTER_OTLP_PROTOCOL given to the command.")]
    = Protocol.grpc,
    flush_seconds: Annotated[float, typer.Option(help="Keep receiving this long after the command exits.")]
    = 2.0,
) -> None:
    """Run a command with OTLP pointed at an ephemeral receiver, then check its traces like `check`."""
    from .run import run_live

    settings = _settings(registry, assertions, rules, fail_on, min_spans, baseline, save_baseline, otlp_out,
                         otlp_endpoint, junit, examples)
    try:
        code = run_live(command, settings, protocol.value, flush_seconds, os.environ, console)
    except UsageError as exc:
        _fail(f"error: {exc}", 2)
    raise typer.Exit(code)


def register(app: typer.Typer) -> None:
    app.command()(check)
    app.command("live-check")(live_check)
