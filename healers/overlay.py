"""The registry overlay file: its group id, its briefs (placeholders or worded) and its YAML text."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from pathlib import Path

import yaml

from weavergen.analyzers.semconv import Registry

from .proposal import NewAttribute, Proposal


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
