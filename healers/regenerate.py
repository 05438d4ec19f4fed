"""The regenerate healer: propose a registry overlay from non-conforming telemetry, regenerate, diff.

When an alert names a service, the findings of its latest windows tell what the registry lacks:
``missing_attribute`` (unknown keys, proposed as new attributes with a type and examples inferred from
the stored values), ``deprecated`` (renames, listed as notes) and ``undefined_enum_variant`` (new enum
values, listed as notes: an overlay cannot add members to an enum another file defines — the loader
reports a duplicate attribute). Everything goes under ``work_dir/<charter id>/``:

- ``overlay.yaml``: a separate Weaver v1 file that loads together with the user's registry, which is
  never written to;
- ``generated/``: the target generated from [registry, overlay];
- ``regenerate.diff``: a unified diff (``a/`` ``b/`` paths relative to the output folder) against the
  current generated code (``output_dir``), or against the target generated from the registry alone;
- when ``output_dir`` is in a git repository, branch ``weavergen/regenerate-<charter id>``: one commit
  on the repository's HEAD with the regenerated files, built in a detached worktree (``worktree/``) so
  the user's working tree and current branch are untouched.

The overlay and the diff (and the branch) are linked from the charter's Develop section. The same
alert again rewrites the same files with the same bytes and leaves the branch alone when nothing changed.
"""

from __future__ import annotations

import datetime as dt
import difflib
import json
import logging
import os
import re
import shutil
import subprocess
import threading
from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import yaml

from weavergen.analyzers.labels import OTHER
from weavergen.analyzers.quality import NAME_FORMAT
from weavergen.analyzers.semconv import Registry, RegistryError, load_registry
from weavergen.collector.files import write_atomic
from weavergen.generators import GenerationError, ProblemKind, check_outputs, generate, write_outputs
from weavergen.rules.alert import Alert, AlertState

from . import outcomes
from .base import ActionResult, Connect, Healer, Outcome
from .charter import CharterError, add_develop_links, charter_hash, charter_path, charter_subject
from .llm import NarrativeError, Narrator

log = logging.getLogger(__name__)

FINDINGS = ("missing_attribute", "deprecated", "undefined_enum_variant")
AUTHOR = ("WeaverGen", "weavergen@localhost")
MAX_EXAMPLE_CHARS = 80
MAX_ARRAY_ITEMS = 5
MAX_ENUM_VALUES = 10
_STORED = {"string": "string", "int": "int", "double": "double", "bool": "boolean"}
_ELEMENTS = {"stringValue": "string", "intValue": "int", "doubleValue": "double", "boolValue": "boolean"}
_RENAMED = re.compile(r"^use (\S+)$")
BRANCHED = ("created", "updated", "unchanged")  # commit_branch's answers when the branch exists
# Git runs one at a time in this process: worktrees and refs of one repository are shared state.
_GIT_LOCK = threading.Lock()


@dataclass(frozen=True)
class NewAttribute:
    key: str
    type: str
    examples: tuple[Any, ...]
    span_names: tuple[str, ...]


@dataclass
class Proposal:
    """What the telemetry of one service asks of the registry."""

    service: str
    attributes: list[NewAttribute] = field(default_factory=list)
    renames: list[str] = field(default_factory=list)  # "a → b", or "a: <deprecation note>"
    enum_values: list[str] = field(default_factory=list)  # "key: v1, v2"
    left_out: list[str] = field(default_factory=list)  # "key: why it is not proposed"

    def __bool__(self) -> bool:
        return bool(self.attributes or self.renames or self.enum_values)


class RegenerateHealer(Healer):
    name = "regenerate"

    def __init__(self, registry: Path, target: str = "python", templates: Path | None = None,
                 output_dir: Path | None = None, work_dir: Path = Path("./data/regenerate"),
                 params: Mapping[str, Any] | None = None, charters_dir: Path = Path("./data/charters"),
                 narrator: Narrator | None = None, windows: int = 5, min_count: int = 2,
                 max_examples: int = 3) -> None:
        self.registry, self.target, self.templates = Path(registry), target, templates
        self.output_dir = None if output_dir is None else Path(output_dir)
        self.work_dir, self.params = Path(work_dir), dict(params or {})
        self.charters_dir, self.narrator = Path(charters_dir), narrator
        self.windows, self.min_count, self.max_examples = windows, min_count, max_examples

    def on_alert(self, alert: Alert, connect: Connect) -> ActionResult:
        if alert.state is not AlertState.firing:
            return ActionResult(Outcome.skipped, f"{alert.state.value}: regeneration runs on firing alerts")
        service = charter_subject(alert).get("service")
        if not service or service == OTHER:
            return ActionResult(Outcome.skipped, "the alert names no service (subject or label `service`)")
        try:
            registry = load_registry(self.registry)
            with connect() as con:
                proposal = self._propose(con, registry, service)
                recorded = outcomes.latest_applied(con, alert.fingerprint).get("charter", {})
        except (RegistryError, duckdb.Error) as exc:
            log.exception("regenerate: reading the registry or the findings of %s failed", service)
            return ActionResult(Outcome.failed, f"{type(exc).__name__}: {exc}")
        if not proposal:
            return ActionResult(Outcome.skipped, f"nothing to propose: no unknown attribute, deprecated "
                                                 f"name or new enum value in the latest findings of {service}")
        charter_id = f"CH-{charter_hash(alert)}"
        try:
            return self._apply(alert, registry, proposal, charter_id, recorded.get("artifacts", {}))
        except GenerationError as exc:
            return ActionResult(Outcome.failed, f"generation with the overlay failed: {exc}")
        except OSError as exc:
            log.exception("regenerate: writing under %s failed", self.work_dir)
            return ActionResult(Outcome.failed, f"writing under {self.work_dir} failed: {exc}")

    # -- proposal --------------------------------------------------------------------------------

    def _propose(self, con: duckdb.DuckDBPyConnection, registry: Registry, service: str) -> Proposal:
        proposal = Proposal(service)
        rows, since = latest_findings(con, service, self.windows)
        unknown = [r for r in rows if r["finding_id"] == "missing_attribute" and r["count"] >= self.min_count]
        enums = [r for r in rows if r["finding_id"] == "undefined_enum_variant"]
        values = observed_values(con, service, [r["attribute"] for r in unknown + enums], since)
        for row in unknown:
            key = row["attribute"]
            typed, reason = infer_type(values.get(key, [])), blocked(registry, key)
            if typed is None or reason is not None:
                proposal.left_out.append(f"{key}: {reason or 'its values have no registry type (bytes, maps)'}")
                continue
            examples = pick_examples(values[key], typed, self.max_examples)
            proposal.attributes.append(NewAttribute(key, typed, examples, row["span_names"]))
        for row in rows:
            if row["finding_id"] == "deprecated":
                renamed = _RENAMED.match(row["suggestion"])
                proposal.renames.append(f"{row['attribute']} → {renamed.group(1)}" if renamed
                                        else f"{row['attribute']}: {row['suggestion'] or 'deprecated'}")
        for row in enums:
            new = undefined_values(registry, row["attribute"], values.get(row["attribute"], []))
            if new:
                proposal.enum_values.append(f"{row['attribute']}: {', '.join(new)}")
        return proposal

    # -- files, diff, branch, charter ------------------------------------------------------------

    def _apply(self, alert: Alert, registry: Registry, proposal: Proposal, charter_id: str,
               charter: Mapping[str, str]) -> ActionResult:
        folder = self.work_dir / charter_id
        overlay = folder / "overlay.yaml"
        group_id = overlay_group_id(registry, proposal.service)
        briefs = self._briefs(proposal, overlay)
        write_if_changed(overlay, overlay_text(proposal, group_id, briefs, charter_id, self.registry))
        new = generate([self.registry, overlay], self.templates, self.target, self.params)
        sync_folder(new, folder / "generated")
        old = self._current(registry, new)
        diff = folder / "regenerate.diff"
        write_if_changed(diff, unified_diff(old, new))
        artifacts = {"overlay": str(overlay), "diff": str(diff)}
        counts = (f"{len(proposal.attributes)} new attribute(s), {len(proposal.renames)} rename(s), "
                  f"{len(proposal.enum_values)} enum note(s); {count_files(old, new)} file(s) differ")
        notes = [counts]
        if self.output_dir is not None:
            branch = f"weavergen/regenerate-{charter_id}"
            state = self._branch(self.output_dir, new, branch, folder / "worktree",
                                 commit_message(self.target, proposal, charter_id))
            if state in BRANCHED:
                artifacts["branch"] = branch
            notes.append(f"branch {branch}: {state}" if state in BRANCHED else f"no branch: {state}")
        notes.append(self._link(alert, charter, proposal, artifacts))
        return ActionResult(Outcome.applied, f"overlay {overlay}: " + "; ".join(notes), artifacts)

    def _current(self, registry: Registry, new: Mapping[str, str]) -> dict[str, str | None]:
        """What the regenerated files are compared with: the output folder, else the registry alone."""
        if self.output_dir is None:
            return dict(generate(registry, self.templates, self.target, self.params))
        return {path: read_text(self.output_dir / path) for path in new}

    @staticmethod
    def _branch(output_dir: Path, files: Mapping[str, str], branch: str, worktree: Path, message: str) -> str:
        try:
            return commit_branch(output_dir, files, branch, worktree, message)
        except GitError as exc:
            log.warning("regenerate: branch %s left out: %s", branch, exc)
            return str(exc)

    def _link(self, alert: Alert, charter: Mapping[str, str], proposal: Proposal,
              artifacts: Mapping[str, str]) -> str:
        path = Path(charter["path"]) if charter.get("path") else charter_path(self.charters_dir, alert)
        if not path.exists():
            return "no charter to link from"
        links = [f"[Registry overlay proposed for {proposal.service}]({relative(artifacts['overlay'], path)})",
                 f"[Regenerated {self.target} code: diff]({relative(artifacts['diff'], path)})"]
        if "branch" in artifacts:
            links.append(f"Branch `{artifacts['branch']}` in `{self.output_dir}`: one commit with the "
                         f"regenerated files")
        links += [f"Rename `{a}` → `{b}` (deprecated, still sent)" for a, _, b in
                  (r.partition(" → ") for r in proposal.renames) if b]
        try:
            added = add_develop_links(path, links)
        except CharterError as exc:
            return f"charter not linked: {exc}"
        return f"{added} link(s) added to {path}"

    def _briefs(self, proposal: Proposal, overlay: Path) -> dict[str, str]:
        """Placeholders, or the narrator's wording (kept from the last overlay, so it is asked once)."""
        briefs = {a.key: placeholder_brief(a, proposal.service) for a in proposal.attributes}
        if self.narrator is None:
            return briefs
        earlier = overlay_briefs(overlay)
        for attribute in proposal.attributes:
            kept = earlier.get(attribute.key)
            if kept and kept != briefs[attribute.key]:
                briefs[attribute.key] = kept
                continue
            try:
                worded = first_sentence(self.narrator.narrate(brief_prompt(attribute, proposal.service)))
            except NarrativeError as exc:
                log.warning("regenerate: brief of %s left as a placeholder: %s", attribute.key, exc)
                continue
            briefs[attribute.key] = worded or briefs[attribute.key]
        return briefs


# -- evidence ------------------------------------------------------------------------------------


def latest_findings(con: duckdb.DuckDBPyConnection, service: str,
                    windows: int) -> tuple[list[dict[str, Any]], dt.datetime | None]:
    """Per (finding id, attribute) of FINDINGS: spans counted and span names over the service's latest
    ``windows`` windows with findings, and the start of the earliest of them."""
    sql = f"""
        WITH latest AS (SELECT DISTINCT window_start FROM findings WHERE service = $service
                        ORDER BY window_start DESC LIMIT {int(windows)})
        SELECT finding_id, attribute, sum(count)::BIGINT AS count,
               list(DISTINCT span_name ORDER BY span_name) FILTER (WHERE span_name <> $other) AS span_names,
               min(suggestion) AS suggestion, (SELECT min(window_start) FROM latest) AS since
        FROM findings
        WHERE service = $service AND finding_id IN (SELECT unnest($ids)) AND attribute <> $other
          AND window_start IN (SELECT window_start FROM latest)
        GROUP BY finding_id, attribute ORDER BY finding_id, attribute LIMIT 500"""
    cursor = con.execute(sql, {"service": service, "ids": list(FINDINGS), "other": OTHER})
    columns = [d[0] for d in cursor.description]
    rows = [dict(zip(columns, row)) for row in cursor.fetchall()]
    for row in rows:
        row["span_names"] = tuple(row["span_names"] or ())
    return rows, rows[0]["since"] if rows else None


def observed_values(con: duckdb.DuckDBPyConnection, service: str, keys: Sequence[str],
                    since: dt.datetime | None, per_key: int = 50) -> dict[str, list[tuple[str, Any, int]]]:
    """Per key, its most frequent distinct (stored type, value, spans) on the service's spans since
    ``since``; the span count of the value's type is ``type_spans`` in ``infer_type``'s sense."""
    if not keys:
        return {}
    since_ns = 0 if since is None else (since - dt.datetime(1970, 1, 1)) // dt.timedelta(microseconds=1) * 1000
    sql = f"""
        WITH v AS (
            SELECT a.key, a.type, a.string_value, a.int_value, a.double_value, a.bool_value, a.json_value,
                   count(*) AS n, min(a.span_seq) AS first
            FROM span_attributes a JOIN spans s ON s.seq = a.span_seq
            WHERE s.service_name = ? AND a.key IN (SELECT unnest(?)) AND s.end_time_unix_nano >= ?
            GROUP BY ALL)
        SELECT key, type, string_value, int_value, double_value, bool_value, json_value,
               sum(n) OVER (PARTITION BY key, type) AS type_spans, n
        FROM v QUALIFY row_number() OVER (PARTITION BY key ORDER BY n DESC, first) <= {int(per_key)}
        ORDER BY key, n DESC, first"""
    found: dict[str, list[tuple[str, Any, int]]] = defaultdict(list)
    for key, kind, text, number, real, flag, nested, type_spans, _ in con.execute(
            sql, [service, list(keys), since_ns]).fetchall():
        value = {"string": text, "int": number, "double": real, "bool": flag}.get(kind)
        if kind == "array" and nested:
            value = list(json.loads(nested).get("arrayValue", {}).get("values", []))
        found[key].append((kind, value, int(type_spans)))
    return dict(found)


def infer_type(values: Sequence[tuple[str, Any, int]]) -> str | None:
    """The registry type of the stored type most spans carry: ints and doubles mixed are double;
    arrays take their elements' type (mixed: string[])."""
    spans = Counter({kind: n for kind, _, n in values})
    if not spans:
        return None
    if set(spans) <= {"int", "double"}:
        return "double" if "double" in spans else "int"
    kind = min(spans, key=lambda k: (-spans[k], k))
    if kind == "array":
        elements = {_ELEMENTS.get(next(iter(item), "")) for _, v, _ in values if isinstance(v, list) for item in v}
        element = elements.pop() if len(elements) == 1 else "double" if elements == {"int", "double"} else "string"
        return f"{element or 'string'}[]"
    return _STORED.get(kind)


def pick_examples(values: Sequence[tuple[str, Any, int]], typed: str, limit: int) -> tuple[Any, ...]:
    """Up to ``limit`` distinct values that fit ``typed``, most frequent first; long strings cut."""
    picked: list[Any] = []
    for kind, value, _ in values:
        example = _example(kind, value, typed)
        if example is not None and example not in picked:
            picked.append(example)
        if len(picked) == limit:
            break
    return tuple(picked)


def _example(kind: str, value: Any, typed: str) -> Any:
    if value is None:
        return None
    if typed.endswith("[]"):
        if kind != "array":
            return None
        element = typed[:-2]
        return [_element(item, element) for item in value[:MAX_ARRAY_ITEMS]]
    if typed == "double" and kind in ("int", "double"):
        return float(value)
    if _STORED.get(kind) != typed:
        return None
    return value[:MAX_EXAMPLE_CHARS] if isinstance(value, str) else value


def _element(item: Mapping[str, Any], element: str) -> Any:
    raw = next(iter(item.values()), "")
    try:
        if element == "int":
            return int(raw)
        if element == "double":
            return float(raw)
        if element == "boolean":
            return bool(raw)
    except (TypeError, ValueError):
        pass
    return str(raw)[:MAX_EXAMPLE_CHARS]


def undefined_values(registry: Registry, key: str, values: Sequence[tuple[str, Any, int]]) -> list[str]:
    attribute = registry.attribute(key)
    if attribute is None or not attribute.type.is_enum:
        return []
    members = {str(m.value) for m in attribute.type.members}
    seen = [str(v)[:MAX_EXAMPLE_CHARS] for kind, v, _ in values if kind in ("string", "int") and v is not None]
    return sorted({v for v in seen if v not in members})[:MAX_ENUM_VALUES]


def blocked(registry: Registry, key: str) -> str | None:
    """Why an unknown key cannot become a registry attribute, None when it can."""
    if registry.attribute(key) is not None:
        return "the registry defines it already"
    if "." not in key or not NAME_FORMAT.match(key):
        return f"not a namespaced attribute name ({NAME_FORMAT.pattern})"
    parts = key.split(".")
    for i in range(1, len(parts)):
        if registry.attribute(".".join(parts[:i])) is not None:
            return f"its namespace {'.'.join(parts[:i])} is an attribute"
    return None


# -- overlay -------------------------------------------------------------------------------------


def overlay_group_id(registry: Registry, service: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", "_", service.lower()).strip("_") or "service"
    group_id = f"registry.weavergen.overlay.{slug}"
    taken = set(registry.groups)
    return group_id if group_id not in taken else f"{group_id}_{len(taken)}"


def placeholder_brief(attribute: NewAttribute, service: str) -> str:
    names = ", ".join(attribute.span_names[:3]) + (", …" if len(attribute.span_names) > 3 else "")
    return f"Observed on {names or 'spans'} of {service}; describe it."


def brief_prompt(attribute: NewAttribute, service: str) -> str:
    examples = ", ".join(json.dumps(e) for e in attribute.examples)
    return (f"Write only the one-sentence `brief` of a new OpenTelemetry semantic-convention attribute "
            f"`{attribute.key}` of type {attribute.type}, seen on spans {', '.join(attribute.span_names)} "
            f"of service {service}, with example values {examples}. Say what it holds; no preamble.")


def first_sentence(text: str, limit: int = 200) -> str:
    line = next((line.strip() for line in text.splitlines() if line.strip()), "")
    sentence = re.split(r"(?<=[.!?])\s", line, maxsplit=1)[0]
    return sentence[:limit]


def overlay_briefs(path: Path) -> dict[str, str]:
    try:
        document = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError):
        return {}
    groups = document.get("groups") if isinstance(document, dict) else None
    return {a["id"]: a["brief"] for g in groups or () if isinstance(g, dict)
            for a in g.get("attributes") or () if isinstance(a, dict) and "id" in a and "brief" in a}


def overlay_text(proposal: Proposal, group_id: str, briefs: Mapping[str, str], charter_id: str,
                 registry: Path) -> str:
    service = proposal.service
    lines = [f"# Registry overlay proposed by WeaverGen for service {service} (charter {charter_id}),",
             "# from the attributes its spans carry that the registry does not define. Review each one,",
             "# then move it into the registry. It loads together with the registry, never instead of it:",
             f"#   weavergen generate --registry {registry} --registry overlay.yaml TARGET OUTPUT_DIR"]
    enum_title = ("Enum values sent that the registry does not define. An overlay cannot add members to an "
                  "enum\n# defined in another file (the loader reports a duplicate attribute): add them to its "
                  "definition")
    sections = [
        ("Deprecated names still sent: rename them in the instrumentation", proposal.renames),
        (enum_title, proposal.enum_values),
        ("Unknown keys not proposed", proposal.left_out),
    ]
    for title, items in sections:
        if items:
            lines += ["#", f"# {title}:", *(f"#   - {' '.join(item.split())}" for item in items)]
    attributes = [{"id": a.key, "type": a.type, "stability": "development", "brief": briefs[a.key],
                   "examples": list(a.examples)} for a in proposal.attributes]
    groups = [{"id": group_id, "type": "attribute_group",
               "brief": f"Attributes {service} sends that the registry lacks (proposed by WeaverGen).",
               "attributes": attributes}] if attributes else []
    body = yaml.dump({"groups": groups}, Dumper=_IndentedDumper, sort_keys=False, allow_unicode=True,
                     default_flow_style=None, width=100)
    return "\n".join(lines) + "\n" + body


class _IndentedDumper(yaml.SafeDumper):
    """Lists indented under their key, as the semantic-convention files are written."""

    def increase_indent(self, flow: bool = False, indentless: bool = False) -> None:
        super().increase_indent(flow, False)


# -- files and diff ------------------------------------------------------------------------------


def read_text(path: Path) -> str | None:
    try:
        return path.read_text(encoding="utf-8", errors="replace")
    except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
        return None


def write_if_changed(path: Path, text: str) -> None:
    if read_text(path) != text:
        write_atomic(path, text)


def sync_folder(outputs: Mapping[str, str], folder: Path) -> None:
    """``folder`` holds exactly ``outputs`` (unchanged files untouched, stale ones removed)."""
    write_outputs(outputs, folder)
    for problem in check_outputs(outputs, folder):
        if problem.kind is ProblemKind.EXTRA:
            (folder / problem.path).unlink()


def unified_diff(old: Mapping[str, str | None], new: Mapping[str, str]) -> str:
    """A git-style unified diff, paths relative to the output folder (``patch -p1`` or ``git apply``)."""
    chunks = []
    for path in sorted(set(old) | set(new)):
        before, after = old.get(path), new.get(path)
        if before == after:
            continue
        head = f"diff --git a/{path} b/{path}\n"
        head += "new file mode 100644\n" if before is None else "deleted file mode 100644\n" if after is None else ""
        body = difflib.unified_diff(_lines(before), _lines(after), "/dev/null" if before is None else f"a/{path}",
                                    "/dev/null" if after is None else f"b/{path}")
        chunks.append(head + "".join(body))
    return "".join(chunks)


def count_files(old: Mapping[str, str | None], new: Mapping[str, str]) -> int:
    return sum(old.get(p) != new.get(p) for p in set(old) | set(new))


def _lines(text: str | None) -> list[str]:
    lines = (text or "").splitlines(keepends=True)
    if lines and not lines[-1].endswith("\n"):
        lines[-1] += "\n\\ No newline at end of file\n"
    return lines


def relative(target: str, charter: Path) -> str:
    link = os.path.relpath(Path(target).resolve(), charter.parent.resolve())
    return f"<{link}>" if " " in link else link


# -- git -----------------------------------------------------------------------------------------


class GitError(RuntimeError):
    """A git command failed; the message names it and quotes git."""


def git(cwd: Path, *args: str) -> str:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
    env.update(GIT_AUTHOR_NAME=AUTHOR[0], GIT_AUTHOR_EMAIL=AUTHOR[1], GIT_COMMITTER_NAME=AUTHOR[0],
               GIT_COMMITTER_EMAIL=AUTHOR[1], GIT_TERMINAL_PROMPT="0")
    command = ["git", "-c", "core.hooksPath=/dev/null", "-C", str(cwd), *args]
    try:
        done = subprocess.run(command, capture_output=True, text=True, env=env, timeout=120, check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise GitError(f"git {args[0]}: {exc}") from exc
    if done.returncode != 0:
        raise GitError(f"git {' '.join(args[:2])} in {cwd}: {done.stderr.strip()[:300]}")
    return done.stdout.strip()


def commit_message(target: str, proposal: Proposal, charter_id: str) -> str:
    listed = "\n".join(f"- {a.key} ({a.type})" for a in proposal.attributes) or "- none"
    return (f"Regenerate {target} with the registry overlay for {proposal.service}\n\n"
            f"Proposed by WeaverGen for charter {charter_id}. New attributes (stability: development):\n"
            f"{listed}\n")


def commit_branch(output_dir: Path, files: Mapping[str, str], branch: str, worktree: Path,
                  message: str) -> str:
    """Branch ``branch`` = HEAD of ``output_dir``'s repository + one commit with ``files`` under
    ``output_dir``. Returns created, updated, unchanged, or why there is no branch."""
    if not output_dir.is_dir():
        return f"{output_dir} is not a directory"
    try:
        top = Path(git(output_dir, "rev-parse", "--show-toplevel"))
    except GitError:
        return f"{output_dir} is not in a git repository"
    prefix = git(output_dir, "rev-parse", "--show-prefix") or "."
    with _GIT_LOCK:
        try:
            base = git(top, "rev-parse", "--verify", "HEAD^{commit}")
        except GitError:
            return f"{top} has no commit yet"
        if f"branch refs/heads/{branch}" in git(top, "worktree", "list", "--porcelain").splitlines():
            return f"{branch} is checked out in a working tree; left as it is"
        checkout(top, worktree, base)
        git(worktree, "clean", "-fdq", "--", prefix)
        write_outputs(files, worktree / prefix)
        git(worktree, "add", "-A", "--", prefix)
        tree = git(worktree, "write-tree")
        if tree == git(top, "rev-parse", f"{base}^{{tree}}"):
            return f"the regenerated files are what {top} HEAD holds"
        tip = _resolve(top, f"refs/heads/{branch}")
        if tip and _resolve(top, f"{tip}^{{tree}}") == tree and _resolve(top, f"{tip}^") == base:
            return "unchanged"
        commit = git(worktree, "commit-tree", "--no-gpg-sign", tree, "-p", base, "-m", message)
        git(top, "update-ref", "-m", "weavergen regenerate", f"refs/heads/{branch}", commit, tip or "")
        return "updated" if tip else "created"


def checkout(top: Path, worktree: Path, base: str) -> None:
    """A worktree of ``top`` at ``worktree``, detached at ``base``, its index and files reset."""
    listed = git(top, "worktree", "list", "--porcelain").splitlines()
    if f"worktree {worktree.resolve()}" in listed and worktree.is_dir():
        git(worktree, "checkout", "-q", "--force", "--detach", base)
        return
    git(top, "worktree", "prune")
    if worktree.exists():
        shutil.rmtree(worktree)  # ours, but no longer registered: a worktree that was removed by hand
    worktree.parent.mkdir(parents=True, exist_ok=True)
    git(top, "worktree", "add", "-q", "--force", "--detach", str(worktree.resolve()), base)


def _resolve(top: Path, revision: str) -> str:
    try:
        return git(top, "rev-parse", "--verify", "-q", revision)
    except GitError:
        return ""
