"""Builds the configured analyzers, loading the semantic-convention registry once at start-up."""

from __future__ import annotations

import logging

from . import build_analyzers
from .base import Analyzer

log = logging.getLogger(__name__)


def analyzers_from_config(config) -> list[Analyzer]:
    """``config`` is the daemon's Config; a broken registry stops start-up with its problems listed."""
    names = config.analyzers.run
    registry = None
    if config.registry.path is None:
        if "quality" in names:
            log.warning("quality analyzer off: set registry.path to a semantic-convention registry directory")
    elif {"quality", "instrumentation_score"} & set(names):
        from .semconv import load_registry

        registry = load_registry(config.registry.path)
        log.info("registry %s: %d attributes", config.registry.path, len(registry.attributes))
    return build_analyzers(names, registry, config.analyzers.max_attribute_keys)
