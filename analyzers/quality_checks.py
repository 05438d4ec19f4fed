"""The registry's verdicts on attribute keys, enum values and span key sets (see analyzers/quality.py).

Each is judged once and cached; caches are cleared at ``max_cached`` entries, since clients can send
unbounded keys.
"""

from __future__ import annotations

import difflib
import re
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from typing import TypeVar

import polars as pl

from .quality_verdicts import Judgement, Verdict
from .semconv import Attribute, Registry, Stability
from .span_matching import SpanDefinition, SpanDefinitions

NAME_FORMAT = re.compile(r"^[a-z][a-z0-9]*([._][a-z0-9]+)*$")
# Registry value type → stored value types it accepts (arrays are handled apart).
_ACCEPTS = {"string": {"string"}, "int": {"int"}, "double": {"double", "int"}, "boolean": {"bool"}}
_VALUE_TEXT = pl.coalesce(pl.col("string_value"), pl.col("int_value").cast(pl.String))
_SHOWN_MEMBERS = 8
K = TypeVar("K")
V = TypeVar("V")


class RegistryChecks:
    """The registry's verdicts on attribute keys, enum values and span key sets, judged once and cached."""

    def __init__(self, registry: Registry, similarity: float = 0.8, max_cached: int = 100_000) -> None:
        self.registry = registry
        self.similarity = similarity
        self.max_cached = max_cached
        attributes = registry.attributes.values()
        self.enum_keys = sorted(a.name for a in attributes if a.type.is_enum)
        self.coverable = frozenset(a.name for a in attributes if a.deprecated is None)
        self._similar: dict[str, list[str]] = defaultdict(list)
        for a in attributes:
            if a.deprecated is None and not a.type.is_template:
                self._similar[a.name.split(".")[0]].append(a.name)
        self._spans = SpanDefinitions(registry)
        defined = [(a.name, str(m.value)) for a in attributes if a.type.is_enum for m in a.type.members]
        schema = {"key": pl.String, "value": pl.String}
        self._defined = pl.DataFrame(defined, schema=schema, orient="row").select(_pair_hash(pl.col("value")))
        self._attribute_cache: dict[tuple[str, str], tuple[Verdict, ...]] = {}
        self._covered_cache: dict[str, str | None] = {}
        self._span_cache: dict[tuple[int, frozenset[str]], tuple[Verdict, ...]] = {}
        self._judged: dict[tuple[int, int], Judgement] = {}

    def undefined_values(self, attributes: pl.DataFrame) -> pl.DataFrame:
        """Rows of enum keys whose string or int value is no defined member: span_seq, key, type, value."""
        enum_rows = attributes.filter(pl.col("key").is_in(self.enum_keys)).select(
            "span_seq", "key", "type", _VALUE_TEXT.alias("value"))
        defined = _pair_hash(pl.col("value")).is_in(self._defined["pair"].implode())
        return enum_rows.filter(pl.col("value").is_not_null() & ~defined)

    # -- attributes ------------------------------------------------------------------------------

    def attribute(self, key: str, observed: str) -> tuple[Verdict, ...]:
        """Findings for one attribute key with a value of type ``observed``, whatever the value."""
        return _cached(self._attribute_cache, (key, observed), self.max_cached,
                       lambda: tuple(self._judge(key, observed)))

    def enum_value(self, key: str, observed: str, value: str) -> Verdict | None:
        """``undefined_enum_variant`` for a value that is no member of enum ``key``, if its type fits."""
        attribute = self.registry.attribute(key)
        if attribute is None or not attribute.type.is_enum:
            return None
        if not _accepts(attribute.type.value_type, observed):
            return None  # a type_mismatch already
        members = [str(m.value) for m in attribute.type.members]
        if value in members:
            return None
        shown = ", ".join(members[:_SHOWN_MEMBERS]) + (", …" if len(members) > _SHOWN_MEMBERS else "")
        return Verdict("undefined_enum_variant", key, f"'{value}' is not a defined value of enum '{key}'",
                       f"defined values: {shown}")

    def covered(self, key: str) -> str | None:
        """The non-deprecated registry attribute (or template) this key counts toward in coverage."""
        def find() -> str | None:
            definition = self.registry.attribute(key) or self.registry.template_for(key)
            return definition.name if definition is not None and definition.deprecated is None else None
        return _cached(self._covered_cache, key, self.max_cached, find)

    def _judge(self, key: str, observed: str) -> Iterator[Verdict]:
        attribute = self.registry.attribute(key)
        template = None if attribute is not None else self.registry.template_for(key)
        definition = attribute or template
        if definition is None:
            yield Verdict("missing_attribute", key, f"'{key}' is not defined in the registry",
                          self._nearest(key))
            yield from self._illegal_namespace(key)
        else:
            if template is not None:
                yield Verdict("template_attribute", key,
                              f"'{key}' matches the template attribute '{template.name}'")
            yield from self._lifecycle(key, definition)
            yield from self._type(key, definition, observed)
        if template is None and not NAME_FORMAT.match(key):
            yield Verdict("invalid_format", key, f"'{key}' does not match {NAME_FORMAT.pattern}",
                          "use lowercase dot-separated namespaces, e.g. 'my_app.request.id'")
        if "." not in key:
            yield Verdict("missing_namespace", key, f"'{key}' has no namespace",
                          "prefix it with a namespace, e.g. 'my_app.'")

    def _lifecycle(self, key: str, definition: Attribute) -> Iterator[Verdict]:
        deprecation = definition.deprecated
        if deprecation is not None:
            target = self.registry.replacement(definition.name)
            renamed = target.name if target is not None else definition.renamed_to
            yield Verdict("deprecated", key, f"'{key}' is deprecated ({deprecation.reason})",
                          f"use {renamed}" if renamed else deprecation.note.strip())
        elif definition.stability is not Stability.STABLE:
            stability = definition.stability or "unspecified"
            yield Verdict("not_stable", key, f"'{key}' has stability '{stability}'")

    def _type(self, key: str, definition: Attribute, observed: str) -> Iterator[Verdict]:
        expected = definition.type.value_type
        if not _accepts(expected, observed):
            wanted = f"an enum of {expected}" if definition.type.is_enum else expected
            yield Verdict("type_mismatch", key, f"'{key}' is {observed}, the registry expects {wanted}",
                          f"send '{key}' as {wanted}")

    def _nearest(self, key: str) -> str:
        close = difflib.get_close_matches(key, self._similar.get(key.split(".")[0], ()), 1, self.similarity)
        return f"did you mean {close[0]}?" if close else ""

    def _illegal_namespace(self, key: str) -> Iterator[Verdict]:
        parts = key.split(".")
        for i in range(1, len(parts)):
            prefix = ".".join(parts[:i])
            existing = self.registry.attribute(prefix)
            if existing is not None and existing.deprecated is None:
                yield Verdict("illegal_namespace", key,
                              f"namespace '{prefix}' of '{key}' is an existing attribute")
                return

    # -- spans -----------------------------------------------------------------------------------

    def known(self, kind: int, signature: int) -> Judgement | None:
        """The cached judgement of spans of ``kind`` whose (key, type) rows hash to ``signature``."""
        return self._judged.get((kind, signature))

    def judge(self, kind: int, signature: int, profile: Iterable[tuple[str, str]]) -> Judgement:
        """Judge spans of ``kind`` with these (key, type) attributes, hashed to ``signature``."""
        def compute() -> Judgement:
            rows = tuple(profile)
            keys = frozenset(key for key, _ in rows)
            verdicts = dict.fromkeys(v for row in rows for v in self.attribute(*row))
            verdicts.update(dict.fromkeys(self.span(kind, keys)))
            covered = frozenset(name for key in keys if (name := self.covered(key)) is not None)
            return Judgement(tuple(verdicts), covered)
        return _cached(self._judged, (kind, signature), self.max_cached, compute)

    def span(self, kind: int, keys: frozenset[str]) -> tuple[Verdict, ...]:
        """Attributes the best-matching span definition expects and ``keys`` lack."""
        def compute() -> tuple[Verdict, ...]:
            definition = self.match(kind, keys)
            return tuple(definition.absent(keys)) if definition is not None else ()
        return _cached(self._span_cache, (kind, keys), self.max_cached, compute)

    def match(self, kind: int, keys: frozenset[str]) -> SpanDefinition | None:
        """The span definition these keys fit best, if any (see span_matching.py)."""
        return self._spans.match(kind, keys)


def _accepts(expected: str, observed: str) -> bool:
    if expected == "any":
        return True
    return observed == "array" if expected.endswith("[]") else observed in _ACCEPTS.get(expected, {expected})



def _pair_hash(value: pl.Expr) -> pl.Expr:
    return (pl.col("key").hash(1) ^ value.hash(3)).alias("pair")


def _cached(cache: dict[K, V], key: K, limit: int, compute: Callable[[], V]) -> V:
    if key in cache:
        return cache[key]
    if len(cache) >= limit:
        cache.clear()  # keys sent by clients are unbounded; verdicts are cheap to recompute
    found = cache[key] = compute()
    return found

