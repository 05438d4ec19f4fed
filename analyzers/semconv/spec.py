"""What the format parsers hand to the resolver: groups whose attribute lists are not resolved yet.

Both file formats are normalized to these, the way weaver turns v2 files into v1 groups, so one
resolver serves both and references cross formats freely.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from .model import Attribute, Group
from .values import Source


@dataclass(frozen=True, slots=True)
class AttributeDef:
    """`id:` (v1) or `key:` (v2): defines a registry attribute."""

    attribute: Attribute


@dataclass(frozen=True, slots=True)
class AttributeRef:
    """`ref:`: uses an attribute defined elsewhere; `overrides` maps Attribute field names to values."""

    name: str
    overrides: Mapping[str, Any]
    source: Source


@dataclass(frozen=True, slots=True)
class GroupRef:
    """`ref_group:`: pulls in every attribute of another group."""

    group_id: str
    source: Source


Entry = AttributeDef | AttributeRef | GroupRef


@dataclass(slots=True)
class GroupSpec:
    """A parsed group: `group` has every field but `attributes`, which the resolver fills."""

    group: Group
    entries: list[Entry] = field(default_factory=list)
    # Where `extends` (or a refinement's `ref`) is written, for problems about it.
    extends_at: Source | None = None
