"""The two flows, start to exit code: prepare → collect spans → evaluate → publish.

``check`` collects from files, ``live-check`` from a command under the ephemeral receiver; both then
evaluate and publish the same way, so their outputs and exit codes mean the same.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Mapping, Sequence
from pathlib import Path

from rich.console import Console

from ..otlp_json import encode_export_trace_request
from .baseline import save_baseline
from .evaluate import evaluate_run
from .export import ExportError, send
from ..files import write_atomic
from .inputs import InputError, read_requests
from .junit import junit_xml
from .live import run_under_receiver
from .report import CommandResult, Report
from .settings import CheckSettings, Prepared, UsageError, prepare
from .store import RunStore
from .summary import print_summary
from .verdict import verdict_request


def run_check(files: Sequence[Path], settings: CheckSettings, console: Console) -> int:
    """``weavergen check``: raises UsageError (exit 2); returns 0 (pass) or 1 (fail)."""
    prepared = prepare(settings)
    if not files:
        raise UsageError("give at least one trace file")
    try:
        requests = [request for path in files for request in read_requests(path)]
    except InputError as exc:
        raise UsageError(str(exc)) from None
    report = Report(settings.gate, "check", started_ns=time.time_ns())
    with RunStore() as store:
        store.load(requests)
        store.finish_writes()
        report.rejected_spans = store.rejected_spans()
        evaluate_run(store.con, prepared, report)
    return publish(report, prepared, console)


def run_live(argv: Sequence[str], settings: CheckSettings, protocol: str, flush_seconds: float,
             environ: Mapping[str, str], console: Console) -> int:
    """``weavergen live-check -- CMD``: like run_check, with the spans of ``argv`` as input."""
    prepared = prepare(settings)
    if not argv:
        raise UsageError("give the command to run after --, e.g. weavergen live-check -- pytest")
    if flush_seconds < 0:
        raise UsageError(f"--flush-seconds must be >= 0, got {flush_seconds}")
    report = Report(settings.gate, "live-check", started_ns=time.time_ns())
    with RunStore() as store:
        try:
            code = asyncio.run(run_under_receiver(store, argv, protocol, environ, flush_seconds))
        except OSError as exc:  # CommandNotFound, or no loopback port to listen on
            raise UsageError(str(exc)) from None
        store.finish_writes()
        report.command = CommandResult(tuple(argv), code)
        report.rejected_spans = store.rejected_spans()
        evaluate_run(store.con, prepared, report)
    return publish(report, prepared, console)


def publish(report: Report, prepared: Prepared, console: Console) -> int:
    """Summary, files and export; an output that cannot be written or delivered is exit 2."""
    settings = prepared.settings
    print_summary(report, console)
    request = verdict_request(report) if settings.otlp_out or settings.otlp_endpoint else None
    try:
        if settings.junit:
            write_atomic(settings.junit, junit_xml(report))
        if settings.otlp_out and request is not None:
            document = json.dumps(encode_export_trace_request(request), separators=(",", ":"))
            write_atomic(settings.otlp_out, document.encode("utf-8") + b"\n")
        if settings.save_baseline:
            save_baseline(settings.save_baseline, report.findings)
    except OSError as exc:
        raise UsageError(f"cannot write {exc.filename or 'an output file'}: {exc.strerror or exc}") from None
    if settings.otlp_endpoint and request is not None:
        try:
            send(request, settings.otlp_endpoint)
        except ExportError as exc:
            raise UsageError(f"could not deliver the verdict spans: {exc}") from None
    return report.exit_code
