"""Load a registry directory: read every YAML file, parse it by its format, resolve, index."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from .fields import Fields
from .format_v1 import parse_v1
from .format_v2 import parse_v2
from .problems import Problem, Problems, RegistryError
from .registry import Registry
from .resolve import Resolver, build_catalog, check_unique_names
from .spec import GroupSpec
from .values import Source
from .yaml_source import YamlMap, find_yaml_files, read_yaml

# Weaver looks for the manifest under the new name first, then under the legacy one.
MANIFEST_NAMES = ("manifest.yaml", "registry_manifest.yaml")
_V1_MARKERS = ("definition/1", 1, "1")
_V2_MARKERS = ("definition/2", 2, "2")


def load_registry(path: str | os.PathLike[str], *, strict: bool = True) -> Registry:
    """The resolved registry under `path`.

    Raises RegistryError listing every problem found. With `strict=False` it returns what could
    be resolved instead, with the problems in `registry.problems` (a daemon may run on that and warn).
    """
    registry = _load(Path(path))
    if strict and registry.problems:
        raise RegistryError(str(path), list(registry.problems))
    return registry


def check_registry(path: str | os.PathLike[str]) -> list[Problem]:
    """Every problem in the registry under `path`, as `file:line: message`; empty when it loads."""
    return list(_load(Path(path)).problems)


def _load(root: Path) -> Registry:
    problems = Problems()
    files = _registry_files(root, problems)
    specs: list[GroupSpec] = []
    schema_url = None
    for path in files:
        relative = path.relative_to(root).as_posix()
        unreadable_before = len(problems)
        document = read_yaml(path, str(path), problems)
        if document is None and len(problems) > unreadable_before:
            continue
        if relative in MANIFEST_NAMES:
            schema_url = _schema_url(document, str(path), problems)
        else:
            specs.extend(_parse(document, str(path), relative, problems))
    catalog = build_catalog(specs, problems)
    groups = Resolver(specs, catalog, problems).resolve()
    check_unique_names(groups, problems)
    relatives = [p.relative_to(root).as_posix() for p in files]
    return Registry(root, relatives, catalog, groups, schema_url, problems.sorted())


def _registry_files(root: Path, problems: Problems) -> list[Path]:
    if not root.is_dir():
        problems.add(Source(str(root), 0), "registry directory not found")
        return []
    files = find_yaml_files(root)
    if not files:
        problems.add(Source(str(root), 0), "no *.yaml or *.yml files in the registry directory")
    return files


def _parse(document: Any, file: str, relative: str, problems: Problems) -> list[GroupSpec]:
    """Pick the format file by file, as weaver does: a `file_format` (or `version`) marker, else v1."""
    if not isinstance(document, YamlMap):
        problems.add(Source(file, 1), "file: expected a mapping with 'groups' or 'file_format'")
        return []
    marker_key = "file_format" if "file_format" in document else "version"
    marker = document.get(marker_key)
    if marker is None or marker in _V1_MARKERS:
        return parse_v1(document, file, problems)
    if marker in _V2_MARKERS:
        return parse_v2(document, file, relative, problems)
    problems.add(Source(file, document.line_of(marker_key)), f"file: unknown {marker_key} '{marker}'")
    return []


def _schema_url(document: Any, file: str, problems: Problems) -> str | None:
    # Only the registry's identity is kept; dependencies on other registries are not loaded.
    if not isinstance(document, YamlMap):
        problems.add(Source(file, 1), "manifest: expected a mapping")
        return None
    return Fields(document, file, problems, "manifest").text("schema_url")
