"""The DMEDI charter healer: one Markdown file per (rule, subject) holding the evidence of an alert.

The file is YAML front matter (id, status, times, final values…) and five sections (render.py) built
from bounded queries over the store (evidence.py). A firing alert opens it; each re-evaluation rewrites
it in place with fresh evidence; the resolution marks it resolved with the final values. Links another
stage added under ``<!-- develop:links -->`` (``add_develop_links``) are kept across rewrites. Files are
replaced atomically; the name is stable: a slug of rule and subject plus a short hash of both.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
import re
import threading
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import duckdb
import yaml

from weavergen.collector.files import write_atomic
from weavergen.rules.alert import Alert, AlertState

from . import render
from .base import ActionResult, Connect, Healer, Outcome
from .evidence import Evidence, Limits, Subject, gather
from .llm import NarrativeError, Narrator
from .times import iso, utc_now

log = logging.getLogger(__name__)

# One writer at a time for every charter file of this process (the healer and add_develop_links).
_WRITE_LOCK = threading.Lock()


class CharterError(ValueError):
    """A charter file that cannot be changed as asked; the message names it."""


def charter_subject(alert: Alert) -> dict[str, str]:
    """What the charter is about: the alert's subject, else its labels but severity."""
    return dict(alert.subject) or {k: v for k, v in alert.labels.items() if k != "severity"}


def charter_path(directory: Path, alert: Alert) -> Path:
    rule, subject = alert.rule or alert.name, charter_subject(alert)
    # Alertmanager's alerts share one rule per receiver: their name tells them apart.
    named = [rule] if rule.endswith(alert.name) else [rule, alert.name]
    slug = re.sub(r"[^a-z0-9]+", "-", " ".join([*named, *subject.values()]).lower()).strip("-")[:60]
    return directory / f"{slug.rstrip('-') or 'charter'}-{charter_hash(alert)}.md"


def charter_hash(alert: Alert) -> str:
    """Of (rule, alert name, subject): the charter's identity."""
    subject = sorted(charter_subject(alert).items())
    text = "\x1f".join([alert.rule, alert.name, *(f"{k}\x1e{v}" for k, v in subject)])
    return hashlib.sha256(text.encode()).hexdigest()[:10]


class CharterHealer(Healer):
    name = "charter"

    def __init__(self, directory: Path = Path("./data/charters"), narrator: Narrator | None = None,
                 limits: Limits | None = None, clock: Callable[[], dt.datetime] = utc_now) -> None:
        self.directory, self.narrator, self.clock = Path(directory), narrator, clock
        self.limits = limits or Limits()

    def on_alert(self, alert: Alert, connect: Connect) -> ActionResult:
        if alert.state is AlertState.pending:
            return ActionResult(Outcome.skipped, "pending: a charter opens when the alert fires")
        path = charter_path(self.directory, alert)
        if alert.state is AlertState.resolved and not path.exists():
            return ActionResult(Outcome.skipped, f"resolved, and no charter was opened: {path}")
        now = self.clock()
        try:
            with connect() as con:
                evidence = gather(con, Subject.of(alert, now), self.limits)
        except duckdb.Error as exc:
            log.exception("charter evidence for alert %s failed", alert.name)
            return ActionResult(Outcome.failed, f"evidence query failed: {exc}")
        narrative, note = self._narrate(alert, evidence)
        with _WRITE_LOCK:  # only around read-render-write: queries and the model run outside it
            front_old, body_old = read_charter(path) or ({}, "")
            body = render.body(alert, evidence, read_links(body_old), narrative)
            front = front_matter(alert, evidence, front_old, now)
            write_atomic(path, compose(front, body))
        artifacts = {"path": str(path), "id": front["id"], "status": front["status"]}
        return ActionResult(Outcome.applied, f"charter {_verb(front_old, front)}: {path}{note}", artifacts)

    def _narrate(self, alert: Alert, evidence: Evidence) -> tuple[str | None, str]:
        """The narrative when a narrator is configured, and a note for the result's detail."""
        if self.narrator is None:
            return None, ""
        try:
            narrative = self.narrator.narrate(render.prompt(render.body(alert, evidence, links=())))
        except NarrativeError as exc:
            log.warning("charter narrative left out: %s", exc)
            return None, f" (narrative left out: {exc})"
        return narrative, " (with narrative)"


def _verb(old: dict[str, Any], new: dict[str, Any]) -> str:
    if not old:
        return "opened"
    if new["status"] == old.get("status"):
        return "updated"
    return "resolved" if new["status"] == "resolved" else "reopened"


def front_matter(alert: Alert, evidence: Evidence, old: dict[str, Any], now: dt.datetime) -> dict[str, Any]:
    resolved = alert.state is AlertState.resolved
    return {
        "id": f"CH-{charter_hash(alert)}",
        "title": render.title(alert, evidence),
        "rule": alert.rule or alert.name,
        "alertname": alert.name,
        "fingerprint": alert.fingerprint,
        "subject": charter_subject(alert),
        "severity": alert.labels.get("severity"),
        "status": "resolved" if resolved else "open",
        "opened_at": old.get("opened_at") or iso(now),
        "updated_at": iso(now),
        "resolved_at": (iso(alert.resolved_at) or old.get("resolved_at") or iso(now))
        if resolved else None,
        "final_value": alert.value if resolved else None,
        "final_values": json.loads(json.dumps(alert.values, default=str)) if resolved else None,
    }


def compose(front: dict[str, Any], body: str) -> str:
    return "---\n" + yaml.safe_dump(front, sort_keys=False, allow_unicode=True) + "---\n\n" + body


def read_charter(path: Path) -> tuple[dict[str, Any], str] | None:
    """(front matter, body) of a charter file, None when it does not exist."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    head, sep, body = text.removeprefix("---\n").partition("\n---\n")
    try:
        front = yaml.safe_load(head) if text.startswith("---\n") and sep else None
    except yaml.YAMLError:
        front = None
    if not isinstance(front, dict):
        log.warning("%s: no readable front matter; it will be rewritten", path)
        return {}, text
    return front, body.lstrip("\n")


def read_links(body: str) -> list[str]:
    _, start, rest = body.partition(render.LINKS_START + "\n")
    block, end, _ = rest.partition(render.LINKS_END)
    if not (start and end):
        return []
    return [line for line in block.splitlines() if line.strip() and line != render.NO_LINKS]


def add_develop_links(path: Path, links: Iterable[str], clock: Callable[[], dt.datetime] = utc_now) -> int:
    """Add Markdown list lines (``- [title](url)``; a bare text gets the ``- ``) under the Develop
    section's links anchor, skipping those already there. Returns how many were added."""
    with _WRITE_LOCK:
        charter = read_charter(path)
        if charter is None or render.LINKS_START not in charter[1]:
            raise CharterError(f"{path}: no charter with a {render.LINKS_START} anchor")
        front, body = charter
        present = read_links(body)
        new = [line for line in dict.fromkeys(_as_item(link) for link in links) if line not in present]
        if not new:
            return 0
        block = "\n".join(present + new)
        head, _, rest = body.partition(render.LINKS_START + "\n")
        _, end, tail = rest.partition(render.LINKS_END)
        front["updated_at"] = iso(clock())
        write_atomic(path, compose(front, f"{head}{render.LINKS_START}\n{block}\n{end}{tail}"))
        return len(new)


def _as_item(link: str) -> str:
    link = link.strip()
    return link if link.startswith("- ") else f"- {link}"


def list_charters(directory: Path) -> list[dict[str, Any]]:
    """The front matter of every charter in ``directory`` (plus ``path``), oldest first."""
    found = []
    for path in sorted(Path(directory).glob("*.md")):
        charter = read_charter(path)
        if charter and charter[0].get("id"):
            found.append({**charter[0], "path": str(path)})
    return sorted(found, key=lambda c: (str(c.get("opened_at")), c["id"]))
