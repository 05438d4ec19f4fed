"""Encoded ExportTraceServiceRequests → flat Arrow tables, one per store table.

The hot loop stays out of Python: ptars converts whole requests to one nested Arrow record batch in
native code, and pyarrow's list kernels flatten it (see docs/storage.md and
../shared/reference/ingest-performance.md for the measured costs that led here). Python only touches
the rare things: resources and scopes (a few per request) and array/kvlist attribute values.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import ptars
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.proto.common.v1.common_pb2 import AnyValue, ArrayValue, KeyValue, KeyValueList

from ..otlp_json import encode_any_value

_HANDLER = ptars.HandlerPool([ExportTraceServiceRequest.DESCRIPTOR.file]).get_for_message(
    ExportTraceServiceRequest.DESCRIPTOR
)

# (AnyValue field, stored type name, stored column); order matters only for readability.
_VALUE_KINDS = (
    ("string_value", "string", "string_value"),
    ("int_value", "int", "int_value"),
    ("double_value", "double", "double_value"),
    ("bool_value", "bool", "bool_value"),
    ("bytes_value", "bytes", "bytes_value"),
)
# pyarrow.compute converts Python literals on every call (slowly); these are converted once.
_EMPTY = pa.scalar("", pa.string())
_ZERO_U32 = pa.scalar(0, pa.uint32())
_ZERO_I32 = pa.scalar(0, pa.int32())
_LEN = {n: pa.scalar(n, pa.int32()) for n in (0, 8, 16)}
_TYPE_NAMES = {name: pa.scalar(name, pa.string())
               for name in ("string", "int", "double", "bool", "bytes", "array", "kvlist", "empty")}
_ZERO_TRACE_ID = pa.scalar(b"\x00" * 16, pa.binary())
_ZERO_SPAN_ID = pa.scalar(b"\x00" * 8, pa.binary())


@dataclass
class FlatBatch:
    """What one group commit inserts, plus the per-request verdicts the senders get back."""

    tables: dict[str, pa.Table]
    accepted: np.ndarray  # spans kept, per request
    rejected: np.ndarray  # spans refused for invalid ids, per request
    next_seq: int
    new_resources: set[int] = field(default_factory=set)
    new_scopes: set[int] = field(default_factory=set)

    @property
    def span_count(self) -> int:
        return self.tables["spans"].num_rows


def flatten_requests(
    payloads: list[bytes], keys: list[RequestKeys], first_seq: int, known_resources: set[int],
    known_scopes: set[int],
) -> FlatBatch:
    batch = _HANDLER.list_to_record_batch(payloads)
    rs_list = batch.column("resource_spans")
    rs = pc.list_flatten(rs_list)
    rs_request = pc.list_parent_indices(rs_list)
    ss_list = rs.field("scope_spans")
    ss = pc.list_flatten(ss_list)
    ss_rs = pc.list_parent_indices(ss_list)
    sp_list = ss.field("spans")
    sp = pc.list_flatten(sp_list)
    sp_ss = pc.list_parent_indices(sp_list)
    sp_rs = pc.take(ss_rs, sp_ss)
    sp_request = pc.take(rs_request, sp_rs).to_numpy(zero_copy_only=False)

    valid = _valid_ids(sp)
    n_requests = len(payloads)
    rejected = np.bincount(sp_request[~valid], minlength=n_requests)
    accepted = np.bincount(sp_request[valid], minlength=n_requests)
    keep = pa.array(valid)
    sp, sp_ss, sp_rs = sp.filter(keep), sp_ss.filter(keep), sp_rs.filter(keep)
    seq = pa.array(np.arange(first_seq, first_seq + len(sp), dtype=np.int64))

    resources = _resources(rs, [i for k in keys for i in k.resource_ids],
                           [n for k in keys for n in k.service_names], known_resources)
    scopes = _scopes(ss, [i for k in keys for i in k.scope_ids], known_scopes)
    tables = {
        "spans": _spans_table(sp, seq, resources.ids, scopes.ids, sp_rs, sp_ss, resources.service_names),
        "span_attributes": flatten_attributes(sp.field("attributes"), {"span_seq": seq}),
        **_events_tables(sp, seq),
        **_links_tables(sp, seq),
        **resources.tables,
        **scopes.tables,
    }
    return FlatBatch(
        tables, accepted, rejected, first_seq + len(sp), resources.new_ids, scopes.new_ids
    )


def _valid_ids(sp: pa.StructArray) -> np.ndarray:
    """OTLP: trace ids are 16 bytes, span ids 8, neither all zero; a parent id is empty or 8 bytes."""
    trace_id, span_id, parent = sp.field("trace_id"), sp.field("span_id"), sp.field("parent_span_id")
    parent_len = pc.binary_length(parent)
    ok = pc.and_(
        pc.and_(pc.equal(pc.binary_length(trace_id), _LEN[16]), pc.not_equal(trace_id, _ZERO_TRACE_ID)),
        pc.and_(pc.equal(pc.binary_length(span_id), _LEN[8]), pc.not_equal(span_id, _ZERO_SPAN_ID)),
    )
    ok = pc.and_(ok, pc.or_(pc.equal(parent_len, _LEN[0]), pc.equal(parent_len, _LEN[8])))
    return ok.to_numpy(zero_copy_only=False)


def _spans_table(sp, seq, resource_ids, scope_ids, sp_rs, sp_ss, service_names) -> pa.Table:
    status = sp.field("status")
    start, end = sp.field("start_time_unix_nano"), sp.field("end_time_unix_nano")
    return pa.table(
        {
            "seq": seq,
            "trace_id": sp.field("trace_id"),
            "span_id": sp.field("span_id"),
            "parent_span_id": sp.field("parent_span_id"),
            "trace_state": sp.field("trace_state"),
            "flags": sp.field("flags"),
            "name": sp.field("name"),
            "kind": sp.field("kind"),
            "start_time_unix_nano": start,
            "end_time_unix_nano": end,
            "status_code": pc.fill_null(pc.struct_field(status, "code"), _ZERO_I32),
            "status_message": pc.fill_null(pc.struct_field(status, "message"), _EMPTY),
            "service_name": pc.take(service_names, sp_rs),
            "resource_id": pc.take(resource_ids, sp_rs),
            "scope_id": pc.take(scope_ids, sp_ss),
            "dropped_attributes_count": sp.field("dropped_attributes_count"),
            "dropped_events_count": sp.field("dropped_events_count"),
            "dropped_links_count": sp.field("dropped_links_count"),
        }
    )


def _events_tables(sp: pa.StructArray, seq: pa.Array) -> dict[str, pa.Table]:
    return _nested_tables(sp, seq, "events", "span_events", "event_attributes", "event_index",
                          ("time_unix_nano", "name", "dropped_attributes_count"))


def _links_tables(sp: pa.StructArray, seq: pa.Array) -> dict[str, pa.Table]:
    return _nested_tables(sp, seq, "links", "span_links", "link_attributes", "link_index",
                          ("trace_id", "span_id", "trace_state", "flags", "dropped_attributes_count"))


def _nested_tables(sp: pa.StructArray, seq: pa.Array, field: str, table: str, attributes_table: str,
                   index_column: str, columns: tuple[str, ...]) -> dict[str, pa.Table]:
    """A span's events or links → their rows and their attributes' rows, keyed by (span_seq, index)."""
    items_list = sp.field(field)
    items = pc.list_flatten(items_list)
    if not len(items):
        return {}  # most spans have none; skip building empty tables
    parent = pc.list_parent_indices(items_list)
    owner = {"span_seq": pc.take(seq, parent), index_column: _positions(items_list, parent)}
    return {
        table: pa.table({**owner, **{name: items.field(name) for name in columns}}),
        attributes_table: flatten_attributes(items.field("attributes"), owner),
    }


def _positions(list_array: pa.ListArray, parent: pa.Array) -> pa.Array:
    """Index of each flattened element within its own list."""
    offsets = list_array.offsets.to_numpy()
    starts = offsets[parent.to_numpy(zero_copy_only=False)] - offsets[0]
    return pa.array(np.arange(len(starts), dtype=np.int32) - starts.astype(np.int32))


def flatten_attributes(kv_list: pa.ListArray, owner: dict[str, pa.Array]) -> pa.Table:
    """A list<KeyValue> column → one row per attribute with its owner's key columns and a typed value."""
    parent = pc.list_parent_indices(kv_list)
    kv = pc.list_flatten(kv_list)
    value = kv.field("value")
    columns: dict[str, pa.Array] = {name: pc.take(ids, parent) for name, ids in owner.items()}
    columns["position"] = _positions(kv_list, parent)
    columns["key"] = kv.field("key")
    type_names = pa.nulls(len(kv), pa.string())
    for field_name, type_name, column in _VALUE_KINDS:
        child = pc.struct_field(value, field_name)
        columns[column] = child
        type_names = pc.if_else(pc.is_valid(child), _TYPE_NAMES[type_name], type_names)
    json_value, type_names = _nested_values(value, type_names)
    columns["type"] = pc.fill_null(type_names, _TYPE_NAMES["empty"])
    columns["json_value"] = json_value
    return pa.table(columns)


def _nested_values(value: pa.StructArray, type_names: pa.Array) -> tuple[pa.Array, pa.Array]:
    """Arrays and kvlists arrive as serialized items; decode those few rows to OTLP/JSON text."""
    arrays = pc.struct_field(value, "array_value")
    kvlists = pc.struct_field(value, "kvlist_value")
    nested = pc.or_(pc.is_valid(arrays), pc.is_valid(kvlists)).to_numpy(zero_copy_only=False)
    if not nested.any():
        return pa.nulls(len(value), pa.string()), type_names
    texts: list[str | None] = [None] * len(value)
    names = type_names.to_pylist()
    for i in np.flatnonzero(nested):
        items = arrays[int(i)]
        if items.is_valid:
            any_value = AnyValue(
                array_value=ArrayValue(values=[AnyValue.FromString(b) for b in items["values"].as_py()])
            )
            names[i] = "array"
        else:
            entries = kvlists[int(i)]["values"].as_py()
            any_value = AnyValue(kvlist_value=KeyValueList(values=[KeyValue.FromString(b) for b in entries]))
            names[i] = "kvlist"
        texts[i] = json.dumps(encode_any_value(any_value), separators=(",", ":"))
    return pa.array(texts, pa.string()), pa.array(names, pa.string())


@dataclass(frozen=True)
class RequestKeys:
    """Content ids of a request's resources and scopes, in the order ptars flattens them."""

    resource_ids: list[int]
    service_names: list[str | None]
    scope_ids: list[int]


def request_keys(request: ExportTraceServiceRequest) -> RequestKeys:
    """Computed on the request the receiver already parsed: hashing a few small serialized messages
    there is far cheaper than rebuilding resources as Python objects from Arrow in the writer."""
    resource_ids, names, scope_ids = [], [], []
    for rs in request.resource_spans:
        resource_ids.append(_stable_id(rs.resource.SerializeToString(deterministic=True), rs.schema_url))
        names.append(next((kv.value.string_value for kv in rs.resource.attributes
                           if kv.key == "service.name" and kv.value.HasField("string_value")), None))
        for ss in rs.scope_spans:
            scope_ids.append(_stable_id(ss.scope.SerializeToString(deterministic=True), ss.schema_url))
    return RequestKeys(resource_ids, names, scope_ids)


def _stable_id(message: bytes, schema_url: str) -> int:
    """A 63-bit content hash, so the same resource or scope is stored once however often it is sent."""
    digest = hashlib.blake2b(message + b"\x00" + schema_url.encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") >> 1


def _resources(rs: pa.StructArray, ids: list[int], names: list[str | None], known: set[int]) -> _Dedup:
    new = _first_unseen(ids, known)
    resource = rs.field("resource").take(new)
    id_array = pa.array(ids, pa.int64())
    name_array = pa.array(names, pa.string())
    tables = {
        "resources": pa.table(
            {
                "resource_id": id_array.take(new),
                "service_name": name_array.take(new),
                "schema_url": rs.field("schema_url").take(new),
                "dropped_attributes_count": pc.fill_null(pc.struct_field(resource, "dropped_attributes_count"),
                                                         _ZERO_U32),
            }
        ),
        "resource_attributes": flatten_attributes(
            pc.struct_field(resource, "attributes"), {"resource_id": id_array.take(new)}
        ),
    }
    return _Dedup(id_array, tables, {ids[i] for i in new.to_pylist()}, name_array)


def _scopes(ss: pa.StructArray, ids: list[int], known: set[int]) -> _Dedup:
    new = _first_unseen(ids, known)
    scope = ss.field("scope").take(new)
    id_array = pa.array(ids, pa.int64())
    tables = {
        "scopes": pa.table(
            {
                "scope_id": id_array.take(new),
                "name": pc.fill_null(pc.struct_field(scope, "name"), _EMPTY),
                "version": pc.fill_null(pc.struct_field(scope, "version"), _EMPTY),
                "schema_url": ss.field("schema_url").take(new),
                "dropped_attributes_count": pc.fill_null(pc.struct_field(scope, "dropped_attributes_count"),
                                                         _ZERO_U32),
            }
        ),
        "scope_attributes": flatten_attributes(pc.struct_field(scope, "attributes"), {"scope_id": id_array.take(new)}),
    }
    return _Dedup(id_array, tables, {ids[i] for i in new.to_pylist()})


@dataclass
class _Dedup:
    ids: pa.Array  # one id per input row
    tables: dict[str, pa.Table]
    new_ids: set[int]
    service_names: pa.Array | None = None


def _first_unseen(ids: list[int], known: set[int]) -> pa.Array:
    """Row indices of ids neither stored before nor repeated earlier in this batch."""
    seen: set[int] = set()
    picked = []
    for i, value in enumerate(ids):
        if value not in known and value not in seen:
            seen.add(value)
            picked.append(i)
    return pa.array(picked, pa.int64())
