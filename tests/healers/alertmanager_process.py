"""A real Alertmanager (Debian package prometheus-alertmanager) on loopback, for tests that need one."""

from __future__ import annotations

import contextlib
import json
import socket
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

ALERTMANAGER = "/usr/bin/prometheus-alertmanager"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class AlertmanagerProcess:
    process: subprocess.Popen
    url: str
    log: Path

    def post(self, alerts: list[dict]) -> None:
        request = urllib.request.Request(f"{self.url}/api/v2/alerts", data=json.dumps(alerts).encode(),
                                         headers={"Content-Type": "application/json"}, method="POST")
        with urllib.request.urlopen(request, timeout=10) as response:
            assert response.status == 200


@contextlib.contextmanager
def run_alertmanager(webhook_url: str, workdir: Path) -> Iterator[AlertmanagerProcess]:
    """Alertmanager without gossip, routing every alert to ``webhook_url`` (group_wait 1s, interval 2s)."""
    if not Path(ALERTMANAGER).is_file():
        pytest.fail(f"{ALERTMANAGER} not found: run `make test` (it installs it), or as root "
                    "`DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "
                    "prometheus-alertmanager`")
    config = {
        "route": {"receiver": "weavergen", "group_by": ["alertname"], "group_wait": "1s",
                  "group_interval": "2s", "repeat_interval": "4h"},
        "receivers": [{"name": "weavergen",
                       "webhook_configs": [{"url": webhook_url, "send_resolved": True}]}],
    }
    workdir.mkdir(parents=True, exist_ok=True)
    (workdir / "alertmanager.yml").write_text(yaml.safe_dump(config))
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    log = workdir / "alertmanager.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [ALERTMANAGER, f"--config.file={workdir / 'alertmanager.yml'}",
             f"--storage.path={workdir / 'data'}", f"--web.listen-address=127.0.0.1:{port}",
             f"--web.external-url={url}", "--cluster.listen-address=", "--log.level=debug"],
            stdout=out, stderr=subprocess.STDOUT, cwd=workdir,
        )
    try:
        deadline = time.monotonic() + 30
        while True:
            if process.poll() is not None:
                pytest.fail(f"alertmanager exited with {process.returncode}:\n"
                            f"{log.read_text(errors='replace')}")
            try:
                with urllib.request.urlopen(f"{url}/-/ready", timeout=1) as response:
                    if response.status == 200:
                        break
            except (urllib.error.URLError, ConnectionError):
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"alertmanager not ready after 30 s:\n{log.read_text(errors='replace')}")
            time.sleep(0.05)
        yield AlertmanagerProcess(process, url, log)
    finally:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


