"""``live-check``: run a command with its OTLP exporter pointed at an ephemeral receiver.

The child's environment (``child_environment``):
- always set, overriding any value already there, because the check is only meaningful if the spans
  reach the receiver: ``OTEL_EXPORTER_OTLP_ENDPOINT``, ``OTEL_EXPORTER_OTLP_PROTOCOL``, their
  ``_TRACES_`` variants (``…_TRACES_ENDPOINT`` is a full URL, ``/v1/traces`` for HTTP), and
  ``OTEL_TRACES_EXPORTER=otlp``;
- set only when absent: ``OTEL_METRICS_EXPORTER=none`` and ``OTEL_LOGS_EXPORTER=none`` (the
  receiver stores traces only; a program that exports metrics or logs elsewhere keeps doing so).
After the command exits the receiver stays up ``flush_seconds`` for exporters that finish late.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Mapping, Sequence

from .receiver import EphemeralReceiver
from .store import RunStore

OWNED = ("OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_EXPORTER_OTLP_PROTOCOL", "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT",
         "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL", "OTEL_TRACES_EXPORTER")
DEFAULTS = {"OTEL_METRICS_EXPORTER": "none", "OTEL_LOGS_EXPORTER": "none"}


class CommandNotFound(OSError):
    """The command could not be started at all."""


def child_environment(base: Mapping[str, str], protocol: str, endpoint: str) -> dict[str, str]:
    traces = endpoint if protocol == "grpc" else f"{endpoint}/v1/traces"
    env = {**DEFAULTS, **base}
    env.update({
        "OTEL_EXPORTER_OTLP_ENDPOINT": endpoint,
        "OTEL_EXPORTER_OTLP_PROTOCOL": protocol,
        "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": traces,
        "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL": protocol,
        "OTEL_TRACES_EXPORTER": "otlp",
    })
    return env


async def run_under_receiver(store: RunStore, argv: Sequence[str], protocol: str, base: Mapping[str, str],
                             flush_seconds: float) -> int:
    """Start the receiver, run ``argv`` to completion, wait ``flush_seconds``, stop; the exit status."""
    receiver = EphemeralReceiver(store)
    await receiver.start()
    try:
        env = child_environment(base, protocol, receiver.endpoint(protocol))
        try:
            process = await asyncio.create_subprocess_exec(*argv, env=env)
        except OSError as exc:
            raise CommandNotFound(f"cannot run {argv[0]!r}: {exc.strerror or exc}") from None
        try:
            code = await process.wait()
        finally:
            if process.returncode is None:  # interrupted: do not leave the command running
                with contextlib.suppress(ProcessLookupError):
                    process.terminate()
                await process.wait()
        await asyncio.sleep(flush_seconds)
    finally:
        await receiver.stop()
    return code
