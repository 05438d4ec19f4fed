"""The daemon's one typed configuration, loaded and validated once at start-up.

Order of precedence: defaults < config.yaml < environment (``WEAVERGEN_<SECTION>__<KEY>``) < CLI flags.
Every problem is reported as one ``ConfigError`` naming the file, the key path and, when the key is in
the file, its line.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from weavergen.healers.settings import HealersConfig
from weavergen.rules.settings import RulesConfig

ENV_PREFIX = "WEAVERGEN_"


class ConfigError(Exception):
    """A configuration problem a user can fix; the message says where."""


class _Section(BaseModel):
    # Unknown keys are typos until proven otherwise.
    model_config = ConfigDict(extra="forbid", frozen=True)


def _check_endpoint(value: str) -> str:
    host, sep, port = value.rpartition(":")
    if not sep or not host or not port.isdigit() or not 0 <= int(port) <= 65535:
        raise ValueError(f"expected host:port such as 127.0.0.1:4317, got {value!r}")
    return value


class CollectorConfig(_Section):
    grpc_endpoint: str = "127.0.0.1:4317"
    http_endpoint: str = "127.0.0.1:4318"
    # OTLP requests larger than this are refused (413 / RESOURCE_EXHAUSTED), also after gzip decompression.
    max_request_bytes: int = Field(default=64 * 1024 * 1024, gt=0)
    # Retry-After / RetryInfo returned when the ingest queue is full.
    retry_after_seconds: int = Field(default=1, ge=1)

    _endpoints = field_validator("grpc_endpoint", "http_endpoint")(_check_endpoint)


class StorageConfig(_Section):
    data_dir: Path = Path("./data")
    database: str = "weavergen.duckdb"
    # Group commit: the writer takes up to this many spans per transaction.
    batch_max_spans: int = Field(default=20_000, gt=0)
    # Spans accepted into memory but not yet committed; beyond this, senders are told to retry.
    queue_max_spans: int = Field(default=200_000, gt=0)
    # DuckDB's automatic checkpoint runs inside a COMMIT once the WAL passes this size; the writer
    # also checkpoints whenever it is idle and this many seconds passed since the last checkpoint.
    checkpoint_threshold_mb: int = Field(default=256, gt=0)
    checkpoint_interval_seconds: float = Field(default=300.0, gt=0)

    @property
    def database_path(self) -> Path:
        return self.data_dir / self.database


class AdminConfig(_Section):
    endpoint: str = "127.0.0.1:8888"
    query_timeout_seconds: float = Field(default=30.0, gt=0)
    query_max_rows: int = Field(default=10_000, gt=0)

    _endpoint = field_validator("endpoint")(_check_endpoint)


class AnalyzersConfig(_Section):
    enabled: bool = True
    # Names from weavergen.analyzers.BUILTIN; "quality" also needs registry.path.
    run: list[str] = ["entropy", "latency", "quality", "instrumentation_score"]
    window_seconds: int = Field(default=60, ge=1)
    grace_seconds: int = Field(default=10, ge=0)
    idle_close_seconds: float = Field(default=30.0, gt=0)
    max_services: int = Field(default=50, ge=1)
    max_operations: int = Field(default=100, ge=1)
    max_attribute_keys: int = Field(default=64, ge=1)
    poll_seconds: float = Field(default=0.5, gt=0)

    @field_validator("run")
    @classmethod
    def _known(cls, names: list[str]) -> list[str]:
        from weavergen.analyzers import BUILTIN

        unknown = sorted(set(names) - set(BUILTIN))
        if unknown:
            raise ValueError(f"unknown analyzer(s) {unknown}; choose from {sorted(BUILTIN)}")
        return names


class RegistryConfig(_Section):
    # A semantic-convention registry directory in Weaver's YAML format (v1 groups or definition/2).
    path: Path | None = None


class Config(_Section):
    collector: CollectorConfig = CollectorConfig()
    storage: StorageConfig = StorageConfig()
    admin: AdminConfig = AdminConfig()
    analyzers: AnalyzersConfig = AnalyzersConfig()
    registry: RegistryConfig = RegistryConfig()
    rules: RulesConfig = RulesConfig()
    healers: HealersConfig = HealersConfig()


def load_config(
    path: Path | None,
    environ: Mapping[str, str] | None = None,
    overrides: Mapping[str, Any] | None = None,
) -> Config:
    """Read ``path`` (None: defaults only), apply environment and dotted-key overrides, validate."""
    source = str(path) if path else "<defaults>"
    raw, lines = _read_yaml(path) if path else ({}, {})
    for dotted, value in _env_overrides(os.environ if environ is None else environ).items():
        _set_dotted(raw, dotted, value, source)
    for dotted, value in (overrides or {}).items():
        if value is not None:
            _set_dotted(raw, dotted, value, source)
    try:
        return Config.model_validate(raw)
    except ValidationError as exc:
        raise ConfigError(_describe(exc, source, lines)) from None


def _read_yaml(path: Path) -> tuple[dict[str, Any], dict[tuple[str, ...], int]]:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(f"{path}: config file not found (pass --config PATH or create it)") from None
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read config file: {exc.strerror}") from None
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{path}:{mark.line + 1}" if mark else str(path)
        raise ConfigError(f"{where}: invalid YAML: {getattr(exc, 'problem', exc)}") from None
    if data is None:
        return {}, {}
    if not isinstance(data, dict):
        raise ConfigError(f"{path}:1: the top level must be a mapping of sections")
    return data, _key_lines(node)


def _key_lines(node: yaml.Node, prefix: tuple[str, ...] = ()) -> dict[tuple[str, ...], int]:
    """Map each key path to its 1-based line, so errors can point into the file."""
    lines: dict[tuple[str, ...], int] = {}
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            path = (*prefix, str(key.value))
            lines[path] = key.start_mark.line + 1
            lines.update(_key_lines(value, path))
    return lines


def _env_overrides(environ: Mapping[str, str]) -> dict[str, Any]:
    """``WEAVERGEN_STORAGE__DATA_DIR=/x`` → ``{"storage.data_dir": "/x"}``; values parse as YAML scalars."""
    found = {}
    for name, value in environ.items():
        if name.startswith(ENV_PREFIX) and "__" in name:
            dotted = name[len(ENV_PREFIX):].lower().replace("__", ".")
            found[dotted] = yaml.safe_load(value) if value else value
    return found


def _set_dotted(raw: dict[str, Any], dotted: str, value: Any, source: str) -> None:
    *parents, leaf = dotted.split(".")
    node = raw
    for part in parents:
        child = node.setdefault(part, {})
        if not isinstance(child, dict):
            raise ConfigError(f"{source}: cannot set {dotted}: {part} is not a section")
        node = child
    node[leaf] = value


def _describe(exc: ValidationError, source: str, lines: dict[tuple[str, ...], int]) -> str:
    problems = []
    for error in exc.errors():
        path = tuple(str(part) for part in error["loc"])
        line = lines.get(path)
        where = f"{source}:{line}" if line else source
        key = ".".join(path)
        if error["type"] == "extra_forbidden":
            problems.append(f"{where}: unknown key {key!r} (check the spelling against README.md#configuration)")
        else:
            problems.append(f"{where}: {key}: {error['msg']} (got {error.get('input')!r})")
    return "; ".join(problems)
