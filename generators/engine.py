"""`generate`: registry + templates -> {relative path: file content}, in memory and deterministic."""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from .config import load_target_config
from .document import registry_document
from .render import render_target
from .sources import RegistrySource, load_sources

BUNDLED_TEMPLATES = Path(__file__).resolve().parent / "templates"


def generate(
    registry: RegistrySource,
    templates_dir: str | os.PathLike[str] | None,
    target: str,
    params: Mapping[str, Any] | None = None,
) -> dict[str, str]:
    """Render `target` from `templates_dir` (None: the bundled templates) over the registry.

    `registry` is a loaded `Registry`, a registry directory, or a list of paths: the user's registry
    first, then overlay files or folders loaded together with it. `params` override the weaver.yaml
    params. Returns the outputs by posix path relative to the output folder, sorted; the same input
    always gives the same bytes. Raises GenerationError.
    """
    loaded = load_sources(registry)
    config = load_target_config(
        Path(templates_dir) if templates_dir is not None else BUNDLED_TEMPLATES, target
    )
    document_json = json.dumps(registry_document(loaded), ensure_ascii=False)
    return render_target(config, document_json, dict(params or {}))
