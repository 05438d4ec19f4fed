"""Shared fixtures: a real daemon process on free loopback ports, and the semconv snapshot location."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[1]
WEAVERGEN = str(Path(sys.executable).with_name("weavergen"))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class DaemonProcess:
    """``weavergen serve`` in a subprocess, stopped with SIGTERM like a service manager would."""

    workdir: Path
    overrides: dict = field(default_factory=dict)
    process: subprocess.Popen | None = None

    def __post_init__(self) -> None:
        self.grpc_port, self.http_port, self.admin_port = free_port(), free_port(), free_port()
        config = {
            "collector": {
                "grpc_endpoint": f"127.0.0.1:{self.grpc_port}",
                "http_endpoint": f"127.0.0.1:{self.http_port}",
            },
            "storage": {"data_dir": str(self.workdir / "data")},
            "admin": {"endpoint": f"127.0.0.1:{self.admin_port}"},
        }
        for section, values in self.overrides.items():
            config.setdefault(section, {}).update(values)
        self.config_path = self.workdir / "config.yaml"
        self.config_path.write_text(yaml.safe_dump(config))
        self.log_path = self.workdir / "daemon.log"

    @property
    def grpc_endpoint(self) -> str:
        return f"127.0.0.1:{self.grpc_port}"

    @property
    def http_url(self) -> str:
        return f"http://127.0.0.1:{self.http_port}"

    @property
    def admin_url(self) -> str:
        return f"http://127.0.0.1:{self.admin_port}"

    @property
    def database(self) -> Path:
        return self.workdir / "data" / "weavergen.duckdb"

    def start(self, timeout: float = 30) -> DaemonProcess:
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(
                [WEAVERGEN, "serve", "--config", str(self.config_path)],
                cwd=self.workdir, stdout=log, stderr=subprocess.STDOUT,
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"daemon exited with {self.process.returncode}:\n{self.log()}")
            try:
                with urllib.request.urlopen(f"{self.admin_url}/readyz", timeout=1) as r:
                    if r.status == 200:
                        return self
            except (urllib.error.URLError, ConnectionError):
                time.sleep(0.05)
        raise RuntimeError(f"daemon not ready after {timeout} s:\n{self.log()}")

    def stop(self, timeout: float = 30) -> int:
        if self.process is None or self.process.poll() is not None:
            return self.process.returncode if self.process else 0
        self.process.send_signal(signal.SIGTERM)
        try:
            return self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
            raise

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def query(self, sql: str) -> list[dict]:
        request = urllib.request.Request(
            f"{self.admin_url}/api/v1/query",
            data=json.dumps({"sql": sql}).encode(),
            headers={"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=60) as response:
            result = json.load(response)
        return [dict(zip(result["columns"], row)) for row in result["rows"]]

    def metrics(self) -> str:
        with urllib.request.urlopen(f"{self.admin_url}/metrics", timeout=10) as response:
            return response.read().decode()

    def metric(self, name: str, **labels: str) -> float:
        """The value of one sample on /metrics (0 when absent)."""
        from prometheus_client.parser import text_string_to_metric_families

        for family in text_string_to_metric_families(self.metrics()):
            for sample in family.samples:
                if sample.name == name and all(sample.labels.get(k) == v for k, v in labels.items()):
                    return sample.value
        return 0.0


@pytest.fixture
def make_daemon(tmp_path):
    """Factory: ``make_daemon(storage={"queue_max_spans": 10})`` → a started daemon, stopped after the test."""
    started: list[DaemonProcess] = []

    def make(start: bool = True, workdir: Path | None = None, **overrides) -> DaemonProcess:
        directory = workdir or tmp_path / f"daemon{len(started)}"
        directory.mkdir(exist_ok=True)
        daemon = DaemonProcess(directory, overrides)
        started.append(daemon)
        return daemon.start() if start else daemon

    yield make
    for daemon in started:
        daemon.stop()


@pytest.fixture
def daemon(make_daemon) -> DaemonProcess:
    return make_daemon()


@pytest.fixture(scope="session")
def semconv_registry() -> Path:
    """The real semantic-conventions snapshot (set WEAVERGEN_SEMCONV_REGISTRY to use another copy)."""
    path = Path(os.environ.get("WEAVERGEN_SEMCONV_REGISTRY", REPO.parent / "shared" / "semconv" / "model"))
    if not path.is_dir():
        pytest.skip(
            f"semantic-conventions registry not found at {path}: set WEAVERGEN_SEMCONV_REGISTRY to a "
            "checkout of open-telemetry/semantic-conventions' model/ directory"
        )
    return path
