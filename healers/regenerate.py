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

import logging
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import duckdb

from weavergen.analyzers.labels import OTHER
from weavergen.analyzers.semconv import Registry, RegistryError, load_registry
from weavergen.generators import GenerationError, generate
from weavergen.rules.alert import Alert, AlertState

from . import outcomes
from .base import ActionResult, Connect, Healer, Outcome
from .charter import CharterError, add_develop_links, charter_hash, charter_path, charter_subject
from .code_diff import count_files, read_text, sync_folder, unified_diff, write_if_changed
from .git_branch import BRANCHED, GitError, commit_branch
from .llm import NarrativeError, Narrator
from .overlay import (brief_prompt, first_sentence, overlay_briefs, overlay_group_id, overlay_text,
                      placeholder_brief)
from .proposal import Proposal, propose
from .value_types import infer_type

# Re-exported: tests and callers import these from here.
__all__ = ["Proposal", "RegenerateHealer", "commit_message", "infer_type", "overlay_text", "relative",
           "unified_diff"]

log = logging.getLogger(__name__)


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
                proposal = propose(con, registry, service, self.windows, self.min_count, self.max_examples)
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


def commit_message(target: str, proposal: Proposal, charter_id: str) -> str:
    listed = "\n".join(f"- {a.key} ({a.type})" for a in proposal.attributes) or "- none"
    return (f"Regenerate {target} with the registry overlay for {proposal.service}\n\n"
            f"Proposed by WeaverGen for charter {charter_id}. New attributes (stability: development):\n"
            f"{listed}\n")


def relative(target: str, charter: Path) -> str:
    link = os.path.relpath(Path(target).resolve(), charter.parent.resolve())
    return f"<{link}>" if " " in link else link
