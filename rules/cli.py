"""``weavergen rules check|test`` and ``weavergen alerts``.

``check`` and ``test`` work on files only (no daemon needed); ``alerts`` is SQL over the ``alerts``
table, run like ``weavergen query`` (through the daemon when it runs).
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Annotated, Optional

import duckdb
import typer

from weavergen.collector.cli_support import ConfigOption, OutputFormat, print_result, run_sql, sql_literal

from .durations import format_duration
from .loader import check_rules, rule_files
from .problems import RulesError, errors
from .testing import load_test_file, run_tests

app = typer.Typer(help="Check and unit-test alerting rules.", no_args_is_help=True)

AdminOption = Annotated[Optional[str], typer.Option("--admin", help="admin.endpoint")]
DataDirOption = Annotated[Optional[Path], typer.Option(help="storage.data_dir")]


@app.command()
def check(
    files: Annotated[list[Path], typer.Argument(help="Rule files or directories (their *.yaml, *.yml).")],
) -> None:
    """Print every problem as FILE:LINE: group G rule R: message; exit 1 on any error."""
    rule_set, problems = check_rules(files)
    for problem in problems:
        typer.echo(str(problem))
    if rule_set is None:
        typer.echo(f"{len(errors(problems))} error(s) in {', '.join(map(str, files))}", err=True)
        raise typer.Exit(1)
    groups = Counter(group.file for group in rule_set.groups)
    rules = Counter(group.file for group in rule_set.groups for _ in group.rules)
    for path in rule_files(files):
        typer.echo(f"OK: {path}: {groups[str(path)]} group(s), {rules[str(path)]} rule(s)")


@app.command()
def test(file: Annotated[Path, typer.Argument(help="A rule-test file (see rules/testing.py).")]) -> None:
    """Run rule unit tests: print PASS or FAIL (with a diff) per check; exit 1 on any failure."""
    try:
        spec, paths = load_test_file(file)
        outcomes = run_tests(spec, paths)
    except RulesError as exc:
        for problem in exc.problems:
            typer.echo(str(problem))
        raise typer.Exit(1) from None
    except (ValueError, duckdb.Error) as exc:
        typer.echo(f"{file}: error: {exc}")
        raise typer.Exit(1) from None
    for outcome in outcomes:
        where = f"{outcome.test}: alertname {outcome.alertname} at {format_duration(outcome.eval_time)}"
        typer.echo(f"{'PASS' if outcome.passed else 'FAIL'}  {where}")
        for line in outcome.diff.splitlines():
            typer.echo(f"    {line}")
    failed = sum(not o.passed for o in outcomes)
    typer.echo(f"{len(outcomes) - failed} passed, {failed} failed")
    if failed:
        raise typer.Exit(1)


def alerts(
    state: Annotated[Optional[str], typer.Option(help="pending, firing or resolved")] = None,
    service: Annotated[Optional[str], typer.Option("--service", "-s", help="Only this service.")] = None,
    output: Annotated[OutputFormat, typer.Option("--format", "-f")] = OutputFormat.table,
    config: ConfigOption = None,
    admin_endpoint: AdminOption = None,
    data_dir: DataDirOption = None,
) -> None:
    """Current alerts of the rules engine: firing, pending, and resolved in the last 15 minutes."""
    where = [f"state = {sql_literal(state)}" if state else "",
             f"labels->>'service' = {sql_literal(service)}" if service else ""]
    sql = f"""SELECT state, alertname, labels->>'service' AS service, round(value, 6) AS value, active_at,
                     fired_at, resolved_at, annotations->>'summary' AS summary, labels, fingerprint
              FROM alerts WHERE {' AND '.join(w for w in where if w) or 'TRUE'}
              ORDER BY CASE state WHEN 'firing' THEN 0 WHEN 'pending' THEN 1 ELSE 2 END, alertname, service,
                       fingerprint"""
    print_result(run_sql(sql, config, admin_endpoint, data_dir, 100_000), output)


def register(main: typer.Typer) -> None:
    main.add_typer(app, name="rules", help="Check and unit-test alerting rules.")
    main.command()(alerts)
