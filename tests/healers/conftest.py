"""Fixtures shared by the healer tests."""

from __future__ import annotations

import pytest
from healer_store import build_store


@pytest.fixture
def store(tmp_path):
    """A real span store (schema + analyzer tables) with the rows healer_store.py inserts."""
    con = build_store(tmp_path / "weavergen.duckdb")
    yield con
    con.close()
