"""Trace files in every accepted format decode to the same requests; bad files name file (and line)."""

from __future__ import annotations

import gzip
import json

import pytest
from ci_samples import shop_traces
from weavergen.collector.ci.inputs import InputError, read_requests
from weavergen.collector.otlp_json import encode_export_trace_request


def _varint(n: int) -> bytes:
    out = bytearray()
    while True:
        byte, n = n & 0x7F, n >> 7
        out.append(byte | (0x80 if n else 0))
        if not n:
            return bytes(out)


FIRST, SECOND = shop_traces(1), shop_traces(3, legacy=True)
ENCODINGS = {
    "json": lambda: json.dumps(encode_export_trace_request(FIRST)).encode(),
    "pretty json": lambda: json.dumps(encode_export_trace_request(FIRST), indent=2).encode(),
    "jsonl": lambda: b"".join(json.dumps(encode_export_trace_request(r)).encode() + b"\n\n"
                              for r in (FIRST, SECOND)),
    "protobuf": lambda: FIRST.SerializeToString(),
    "collector proto (4-byte prefix)": lambda: b"".join(
        len(b := r.SerializeToString()).to_bytes(4, "big") + b for r in (FIRST, SECOND)),
    "varint delimited": lambda: b"".join(_varint(len(b := r.SerializeToString())) + b for r in (FIRST, SECOND)),
    "gzipped jsonl": lambda: gzip.compress(b"".join(
        json.dumps(encode_export_trace_request(r)).encode() + b"\n" for r in (FIRST, SECOND))),
}


@pytest.mark.parametrize("encoding", ENCODINGS)
def test_every_format_reads_back_the_same_requests(tmp_path, encoding):
    path = tmp_path / "traces.bin"
    path.write_bytes(ENCODINGS[encoding]())
    expected = [FIRST] if encoding in ("json", "pretty json", "protobuf") else [FIRST, SECOND]
    assert read_requests(path) == expected


def test_an_empty_file_holds_no_requests(tmp_path):
    path = tmp_path / "empty.jsonl"
    path.write_text("\n")
    assert read_requests(path) == []


@pytest.mark.parametrize(("content", "expected"), [
    (b'{"resourceSpans": []}\n{"resourceSpans": 5}\n', "traces.jsonl:2: not OTLP/JSON traces"),
    (b'{"resourceSpans": [}', "traces.jsonl: not OTLP/JSON traces"),
    (b"\x0a\xff\xff\xff\x0f", "traces.jsonl: not OTLP protobuf traces"),
    (b"\x00\x00\x00\x09abc", "runs past the end of the file"),
])
def test_unreadable_files_are_named(tmp_path, content, expected):
    path = tmp_path / "traces.jsonl"
    path.write_bytes(content)
    with pytest.raises(InputError, match=expected.replace("(", r"\(")):
        read_requests(path)


def test_a_missing_file_is_an_input_error(tmp_path):
    with pytest.raises(InputError, match="cannot read"):
        read_requests(tmp_path / "nope.json")
