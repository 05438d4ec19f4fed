"""Fixtures of the code-generation tests: the tiny registry and templates, and generated packages."""

from __future__ import annotations

import importlib
import sys
from pathlib import Path

import pytest

from weavergen.generators import generate

FIXTURES = Path(__file__).resolve().parent / "fixtures"


@pytest.fixture
def tiny_registry() -> Path:
    return FIXTURES / "registry"


@pytest.fixture
def overlay_file() -> Path:
    return FIXTURES / "overlay" / "proposed.yaml"


@pytest.fixture
def fixture_templates() -> Path:
    return FIXTURES / "templates"


@pytest.fixture
def import_package(monkeypatch):
    """``import_package(parent_dir, name)`` imports a generated package; forgotten after the test."""
    imported: list[str] = []

    def load(parent: Path, name: str):
        monkeypatch.syspath_prepend(str(parent))
        imported.append(name)
        return importlib.import_module(name)

    yield load
    for name in {n.split(".")[0] for n in imported}:
        for module in [m for m in sys.modules if m == name or m.startswith(name + ".")]:
            del sys.modules[module]


@pytest.fixture(scope="session")
def python_outputs(semconv_registry) -> dict[str, str]:
    return generate(semconv_registry, None, "python")


@pytest.fixture(scope="session")
def markdown_outputs(semconv_registry) -> dict[str, str]:
    return generate(semconv_registry, None, "markdown")
