"""Sending the verdict spans to an OTLP endpoint (``--otlp-endpoint``) with plain clients.

The scheme picks the transport:
- ``grpc://host:port`` — OTLP/gRPC, plaintext (``TraceService/Export``);
- ``http://host:port[/path]`` or ``https://…`` — OTLP/HTTP protobuf, POSTed to the path, or to
  ``/v1/traces`` when the URL has none.
A refused export (transport error, non-2xx status, rejected spans) raises ExportError.
"""

from __future__ import annotations

import urllib.error
import urllib.request
from urllib.parse import urlsplit

import grpc
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTraceServiceRequest,
    ExportTraceServiceResponse,
)
from opentelemetry.proto.collector.trace.v1.trace_service_pb2_grpc import TraceServiceStub

TIMEOUT_SECONDS = 10.0


class ExportError(RuntimeError):
    """The endpoint did not accept the verdict spans."""


def check_endpoint(url: str) -> str:
    """The transport for ``url`` ("grpc" or "http"); ValueError stating the accepted forms."""
    parts = urlsplit(url)
    if parts.scheme in ("grpc", "http", "https") and parts.hostname and _port(parts) is not None:
        return "grpc" if parts.scheme == "grpc" else "http"
    raise ValueError(f"--otlp-endpoint {url!r}: expected grpc://HOST:PORT or http(s)://HOST:PORT[/v1/traces]")


def _port(parts) -> int | None:
    try:
        return parts.port or (443 if parts.scheme == "https" else 80 if parts.scheme == "http" else None)
    except ValueError:
        return None


def send(request: ExportTraceServiceRequest, url: str, timeout: float = TIMEOUT_SECONDS) -> None:
    if check_endpoint(url) == "grpc":
        _send_grpc(request, urlsplit(url).netloc, timeout)
    else:
        _send_http(request, url, timeout)


def _send_grpc(request: ExportTraceServiceRequest, target: str, timeout: float) -> None:
    with grpc.insecure_channel(target) as channel:
        try:
            response = TraceServiceStub(channel).Export(request, timeout=timeout)
        except grpc.RpcError as exc:
            raise ExportError(f"grpc://{target}: {exc.code().name}: {exc.details()}") from None
    _check_response(response, f"grpc://{target}")


def _send_http(request: ExportTraceServiceRequest, url: str, timeout: float) -> None:
    parts = urlsplit(url)
    if parts.path in ("", "/"):
        url = parts._replace(path="/v1/traces").geturl()
    post = urllib.request.Request(url, data=request.SerializeToString(), method="POST",
                                  headers={"Content-Type": "application/x-protobuf"})
    try:
        with urllib.request.urlopen(post, timeout=timeout) as reply:
            body = reply.read()
    except urllib.error.HTTPError as exc:
        raise ExportError(f"{url}: HTTP {exc.code} {exc.reason}") from None
    except (urllib.error.URLError, OSError) as exc:
        raise ExportError(f"{url}: {getattr(exc, 'reason', exc)}") from None
    _check_response(ExportTraceServiceResponse.FromString(body), url)


def _check_response(response: ExportTraceServiceResponse, where: str) -> None:
    partial = response.partial_success
    if partial.rejected_spans:
        raise ExportError(f"{where}: {partial.rejected_spans} span(s) rejected: {partial.error_message}")
