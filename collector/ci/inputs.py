"""Trace files → ``ExportTraceServiceRequest`` messages.

Accepted, by content rather than by name (a ``.gz`` file is gunzipped first):

- OTLP/JSON: one ``ExportTraceServiceRequest`` (or ``TracesData``, the same JSON shape) document,
  pretty-printed or not;
- JSON lines: one request per line, as the OpenTelemetry Collector's file exporter writes them
  (``format: json``); blank lines are skipped, errors name ``file:line``;
- binary protobuf: one serialized request, or a stream of requests each preceded by its length as a
  4-byte big-endian integer (the Collector file exporter's ``format: proto``) or as a varint
  (protobuf's ``writeDelimitedTo``).

A file is read as JSON when its first non-blank character is ``{`` or ``[`` (after an optional UTF-8
byte-order mark), otherwise as protobuf.
"""

from __future__ import annotations

import gzip
import json
from collections.abc import Iterator
from pathlib import Path

from google.protobuf import unknown_fields
from google.protobuf.message import DecodeError
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

from ..otlp_json import OtlpJsonError, decode_export_trace_request

_GZIP_MAGIC = b"\x1f\x8b"


class InputError(ValueError):
    """A trace file that cannot be read; the message names the file (and line for JSON lines)."""


def span_count(request: ExportTraceServiceRequest) -> int:
    return sum(len(ss.spans) for rs in request.resource_spans for ss in rs.scope_spans)


def read_requests(path: Path) -> list[ExportTraceServiceRequest]:
    """Every request in ``path``; raises InputError naming the file and what is wrong."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise InputError(f"{path}: cannot read: {exc.strerror or exc}") from None
    if data.startswith(_GZIP_MAGIC):
        try:
            data = gzip.decompress(data)
        except (OSError, EOFError) as exc:
            raise InputError(f"{path}: invalid gzip: {exc}") from None
    text_start = data.lstrip(b"\xef\xbb\xbf \t\r\n")[:1]
    if text_start in (b"{", b"[", b""):
        return _read_json(path, data)
    return _read_protobuf(path, data)


# -- JSON ---------------------------------------------------------------------------------------------

def _read_json(path: Path, data: bytes) -> list[ExportTraceServiceRequest]:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputError(f"{path}: not UTF-8: {exc}") from None
    lines = [(n, line) for n, line in enumerate(text.splitlines(), 1) if line.strip()]
    if not lines:
        return []  # an exporter that saw no spans leaves an empty file; the span-count gate decides
    if len(lines) > 1 and _is_json_value(lines[0][1]):
        return [_decode(f"{path}:{n}", line) for n, line in lines]
    return [_decode(str(path), text)]


def _is_json_value(line: str) -> bool:
    try:
        json.loads(line)
    except ValueError:
        return False
    return True


def _decode(where: str, text: str) -> ExportTraceServiceRequest:
    try:
        return decode_export_trace_request(text)
    except OtlpJsonError as exc:
        raise InputError(f"{where}: not OTLP/JSON traces: {exc}") from None


# -- protobuf -----------------------------------------------------------------------------------------

def _read_protobuf(path: Path, data: bytes) -> list[ExportTraceServiceRequest]:
    framings = (_fixed32_frames, _single, _varint_frames) if data[0] == 0 else (_single, _varint_frames)
    problems = []
    for framing in framings:
        try:
            return [_parse(frame) for frame in framing(data)]
        except (DecodeError, ValueError) as exc:
            problems.append(f"{framing.__doc__}: {exc}")
    raise InputError(f"{path}: not OTLP protobuf traces ({'; '.join(problems)})")


def _parse(frame: bytes) -> ExportTraceServiceRequest:
    request = ExportTraceServiceRequest.FromString(frame)
    # A request holds resource_spans only; anything else at the top level means a wrong framing guess.
    if len(unknown_fields.UnknownFieldSet(request)):
        raise ValueError("unknown top-level fields")
    return request


def _single(data: bytes) -> Iterator[bytes]:
    """as one request"""
    yield data


def _fixed32_frames(data: bytes) -> Iterator[bytes]:
    """as 4-byte length-prefixed requests"""
    position = 0
    while position < len(data):
        if position + 4 > len(data):
            raise ValueError(f"truncated length prefix at byte {position}")
        size = int.from_bytes(data[position:position + 4], "big")
        position += 4
        yield _frame(data, position, size)
        position += size


def _varint_frames(data: bytes) -> Iterator[bytes]:
    """as varint length-delimited requests"""
    position = 0
    while position < len(data):
        size, position = _varint(data, position)
        yield _frame(data, position, size)
        position += size


def _varint(data: bytes, position: int) -> tuple[int, int]:
    value, shift, start = 0, 0, position
    while position < len(data) and shift < 64:
        byte = data[position]
        value |= (byte & 0x7F) << shift
        position += 1
        if not byte & 0x80:
            return value, position
        shift += 7
    raise ValueError(f"invalid length prefix at byte {start}")


def _frame(data: bytes, position: int, size: int) -> bytes:
    if position + size > len(data):
        raise ValueError(f"a request of {size} bytes at byte {position} runs past the end of the file")
    return data[position:position + size]
