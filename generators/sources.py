"""Load the registry to generate from: a `Registry`, one directory, or a directory plus overlays.

The loader reads one directory. Overlays (extra YAML files or folders, e.g. attributes a healer
proposes) are loaded with the user's registry by assembling both in a temporary directory of
symbolic links to their YAML files (nothing is copied, and nothing is ever written into the user's
registry). Problems found there are reported under the original paths.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import TypeAlias

from weavergen.analyzers.semconv import Registry, RegistryError, load_registry

from .errors import GenerationError

RegistrySource: TypeAlias = Registry | str | os.PathLike[str] | Sequence[str | os.PathLike[str]]
_MANIFESTS = ("manifest.yaml", "registry_manifest.yaml")
_YAML = (".yaml", ".yml")


def load_sources(source: RegistrySource) -> Registry:
    if isinstance(source, Registry):
        return source
    paths = [Path(source)] if isinstance(source, (str, os.PathLike)) else [Path(p) for p in source]
    if not paths:
        raise GenerationError("no registry path given")
    for path in paths:
        if not path.exists():
            raise GenerationError(f"registry path not found: {path}")
        if path.is_file() and path.suffix not in _YAML:
            raise GenerationError(f"registry overlay must be a *.yaml or *.yml file: {path}")
    if len(paths) == 1 and paths[0].is_dir():
        return _load(paths[0], {})
    with tempfile.TemporaryDirectory(prefix="weavergen-registry-") as scratch:
        root = Path(scratch) / "registry"
        originals = _assemble(paths, root)
        return _load(root, originals)


def _assemble(paths: list[Path], root: Path) -> dict[str, str]:
    """Link the registry and its overlays under `root`; returns linked path -> original path."""
    originals: dict[str, str] = {}
    first, overlays = paths[0], paths[1:]
    if first.is_dir():
        _link_tree(first, root, skip_manifests=False)
        originals[str(root)] = str(first)
    else:
        overlays = paths
        root.mkdir(parents=True)
    for index, overlay in enumerate(overlays):
        target = root / f"_overlay_{index}"
        if overlay.is_dir():
            _link_tree(overlay, target, skip_manifests=True)
        else:
            target.mkdir()
            (target / overlay.name).symlink_to(overlay.resolve())
        originals[str(target / overlay.name) if overlay.is_file() else str(target)] = str(overlay)
    return originals


def _link_tree(source: Path, target: Path, skip_manifests: bool) -> None:
    """`target` mirrors the YAML files under `source` as symbolic links; an overlay's own manifest
    is left out (below the root it would be read as an ordinary registry file)."""

    source = source.resolve()

    def ignore(directory: str, names: list[str]) -> list[str]:
        top = Path(directory) == source
        return [
            n
            for n in names
            if (Path(directory, n).is_file() and Path(n).suffix not in _YAML)
            or (skip_manifests and top and n in _MANIFESTS)
        ]

    shutil.copytree(source, target, ignore=ignore, copy_function=os.symlink)


def _load(root: Path, originals: dict[str, str]) -> Registry:
    try:
        return load_registry(root)
    except RegistryError as exc:
        message = str(exc)
        # Longest first, so an overlay inside the linked root is named by its own path.
        for linked in sorted(originals, key=len, reverse=True):
            message = message.replace(linked, originals[linked])
        raise GenerationError(message) from exc
