"""Configuration: validated once, errors name the file, key and line; env overrides documented keys."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from pydantic import BaseModel

from weavergen.collector.config import Config, ConfigError, load_config

REPO = Path(__file__).resolve().parents[2]
WEAVERGEN = str(Path(sys.executable).with_name("weavergen"))


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "config.yaml"
    path.write_text(text)
    return path


def test_shipped_config_is_valid_and_loopback_only():
    config = load_config(REPO / "config.yaml", environ={})
    assert config.collector.grpc_endpoint == "127.0.0.1:4317"
    assert config.collector.http_endpoint == "127.0.0.1:4318"
    assert config.admin.endpoint == "127.0.0.1:8888"
    assert config.storage.data_dir == Path("./data")


def test_unknown_key_names_file_key_and_line(tmp_path):
    path = write(tmp_path, "collector:\n  grpc_endpoint: 127.0.0.1:1\n  grcp_endpoint: x\n")
    with pytest.raises(ConfigError) as caught:
        load_config(path, environ={})
    assert str(caught.value).startswith(f"{path}:3: unknown key 'collector.grcp_endpoint'")


def test_wrong_type_names_the_key(tmp_path):
    path = write(tmp_path, "storage:\n  queue_max_spans: lots\n")
    with pytest.raises(ConfigError, match=re.escape(f"{path}:2: storage.queue_max_spans")):
        load_config(path, environ={})


@pytest.mark.parametrize("text, message", [
    ("collector: [\n", "invalid YAML"),
    ("- a\n- b\n", "top level must be a mapping"),
    ("collector:\n  grpc_endpoint: nohostport\n", "expected host:port"),
])
def test_broken_files(tmp_path, text, message):
    with pytest.raises(ConfigError, match=message):
        load_config(write(tmp_path, text), environ={})


def test_missing_file(tmp_path):
    with pytest.raises(ConfigError, match="config file not found"):
        load_config(tmp_path / "nope.yaml", environ={})


def test_environment_overrides_file_and_cli_overrides_environment(tmp_path):
    path = write(tmp_path, "storage:\n  data_dir: /from/file\n  batch_max_spans: 5\n")
    env = {"WEAVERGEN_STORAGE__DATA_DIR": "/from/env", "WEAVERGEN_STORAGE__BATCH_MAX_SPANS": "7", "OTHER": "x"}
    config = load_config(path, environ=env)
    assert (config.storage.data_dir, config.storage.batch_max_spans) == (Path("/from/env"), 7)
    config = load_config(path, environ=env, overrides={"storage.data_dir": Path("/from/cli")})
    assert config.storage.data_dir == Path("/from/cli")


def test_unknown_environment_key_is_an_error():
    with pytest.raises(ConfigError, match="unknown key 'storage.dta_dir'"):
        load_config(None, environ={"WEAVERGEN_STORAGE__DTA_DIR": "x"})


def test_serve_exits_2_on_a_config_error(tmp_path):
    path = write(tmp_path, "storage:\n  nope: 1\n")
    result = subprocess.run([WEAVERGEN, "serve", "--config", str(path)], capture_output=True, text=True, timeout=60)
    assert result.returncode == 2
    assert f"{path}:2: unknown key 'storage.nope'" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def _documented_keys(model: type[BaseModel], prefix: str = "") -> list[str]:
    keys = []
    for name, field in model.model_fields.items():
        annotation = field.annotation
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            keys += _documented_keys(annotation, f"{prefix}{name}.") or [f"{prefix}{name}"]
        else:
            keys.append(f"{prefix}{name}")
    return keys


def test_every_config_key_is_in_the_shipped_config_and_the_readme():
    """Keeps README.md and config.yaml honest: a key that exists is documented in both."""
    shipped = yaml.safe_load((REPO / "config.yaml").read_text())
    readme = (REPO / "README.md").read_text()
    for key in _documented_keys(Config):
        node = shipped
        for part in key.split("."):
            assert isinstance(node, dict) and part in node, f"config.yaml lacks {key}"
            node = node[part]
        assert f"`{key}`" in readme, f"README.md does not document `{key}`"
