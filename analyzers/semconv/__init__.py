"""Semantic-convention registry loader, shared by the analyzers and the code generators.

`load_registry(path)` reads every *.yaml / *.yml file under a registry directory, in weaver's v1
(`groups:`) and v2 (`file_format: definition/2`) formats, which may reference each other, and
returns a resolved, read-only `Registry`. Any problem (YAML syntax, a wrong type, an unknown
reference, a duplicate, an `extends` cycle...) raises one `RegistryError` listing all of them as
`file:line: message`; `check_registry(path)` returns that list instead of raising.
"""

from .loader import check_registry, load_registry
from .model import Attribute, AttributeType, EnumMember, Group, namespace_of
from .problems import Problem, RegistryError
from .registry import Registry
from .stats import RegistryStats
from .values import (
    Deprecation,
    DeprecationReason,
    GroupType,
    Instrument,
    RequirementKind,
    RequirementLevel,
    SpanKind,
    Source,
    Stability,
)

__all__ = [
    "Attribute",
    "AttributeType",
    "Deprecation",
    "DeprecationReason",
    "EnumMember",
    "Group",
    "GroupType",
    "Instrument",
    "Problem",
    "Registry",
    "RegistryError",
    "RegistryStats",
    "RequirementKind",
    "RequirementLevel",
    "Source",
    "SpanKind",
    "Stability",
    "check_registry",
    "load_registry",
    "namespace_of",
]
