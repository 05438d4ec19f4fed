"""The regenerate healer end to end: OTLP spans → writer → quality analyzer → findings → alert → runner
with the charter and regenerate healers → overlay, regenerated code, diff, git branch, charter links."""

from __future__ import annotations

import datetime as dt
import json
import shutil
import subprocess
from pathlib import Path

import duckdb
import pytest
import yaml
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.proto.common.v1.common_pb2 import KeyValue
from opentelemetry.proto.trace.v1.trace_pb2 import Span
from prometheus_client import CollectorRegistry
from pydantic import ValidationError

from weavergen.analyzers import build_analyzers
from weavergen.analyzers.engine import AnalysisEngine
from weavergen.analyzers.semconv import load_registry
from weavergen.collector.metrics import IngestMetrics
from weavergen.collector.store.writer import SpanWriter
from weavergen.generators import generate, write_outputs
from weavergen.generators.sources import load_sources
from weavergen.collector.otlp_values import any_value
from weavergen.healers.base import Outcome
from weavergen.healers.charter import read_charter, read_links
from weavergen.healers.regenerate import Proposal, RegenerateHealer, infer_type, overlay_text, unified_diff
from weavergen.healers.runner import ActionRunner
from weavergen.healers.settings import HealersConfig, build_healers
from weavergen.rules.alert import Alert, AlertState

FIXTURE = Path(__file__).parent / "fixtures" / "regen_registry"
NS = 1_000_000_000
START = 1_767_225_600 * NS  # 2026-01-01T00:00:00Z
WINDOWS, SPANS = 3, 4
AUTHOR = "WeaverGen <weavergen@localhost>"


def request(service: str, window: int, spans: list[dict]) -> ExportTraceServiceRequest:
    out = ExportTraceServiceRequest()
    resource_spans = out.resource_spans.add()
    resource_spans.resource.attributes.append(KeyValue(key="service.name", value=any_value(service)))
    scope_spans = resource_spans.scope_spans.add()
    scope_spans.scope.name = "shop"
    for i, attributes in enumerate(spans):
        end = START + window * 60 * NS + (i + 1) * 5 * NS
        seq = (window + 1) * 1000 + i + (0 if service == "checkout" else 500)
        span = Span(trace_id=seq.to_bytes(16, "big"), span_id=seq.to_bytes(8, "big"), name="GET /cart",
                    kind=Span.SPAN_KIND_SERVER, start_time_unix_nano=end - 20_000_000, end_time_unix_nano=end)
        span.attributes.extend(KeyValue(key=k, value=any_value(v)) for k, v in attributes.items())
        scope_spans.spans.append(span)
    return out


def checkout_spans(window: int) -> list[dict]:
    """Unknown shop.cart.items (int), shop.coupon (string), shop.tags (string[]) and debug (no namespace);
    the deprecated http.method; one undefined enum value per window; shop.once on a single span."""
    spans = []
    for i in range(SPANS):
        attributes = {"shop.order.id": f"o-{window}{i}", "http.method": "GET", "shop.cart.items": 1 + (i % 3) * 2,
                      "shop.tags": ["gift", "sale"], "debug": "on"}
        if i % 2 == 0:
            attributes["shop.coupon"] = "SAVE10" if i == 0 else "WELCOME"
        attributes["shop.order.status"] = "refunded" if i == 1 else "open"
        if window == 0 and i == 3:
            attributes["shop.once"] = "x"
        spans.append(attributes)
    return spans


def billing_spans(window: int) -> list[dict]:
    return [{"shop.order.id": f"b-{window}{i}", "http.request.method": "POST"} for i in range(SPANS)]


@pytest.fixture
def registry(tmp_path) -> Path:
    """The user's registry: a copy, so the test can prove it is never written to."""
    return Path(shutil.copytree(FIXTURE, tmp_path / "user-registry"))


@pytest.fixture
def store(tmp_path, registry):
    """A DuckDB file filled by the real writer and the real quality analyzer."""
    path = tmp_path / "spans.duckdb"
    writer = SpanWriter(path, IngestMetrics(CollectorRegistry()))
    engine = AnalysisEngine(writer.con.cursor, build_analyzers(["quality"], load_registry(registry)),
                            grace_seconds=0, idle_close_seconds=3600)
    for window in range(WINDOWS):
        for service, spans in (("checkout", checkout_spans), ("billing", billing_spans)):
            writer.submit_request(request(service, window, spans(window))).result()
        engine.process_available()
    engine.flush()
    engine.stop()
    writer.close()
    con = duckdb.connect(str(path))
    yield con
    con.close()


def git(cwd: Path, *args: str) -> str:
    identity = ["-c", "user.name=Dev", "-c", "user.email=dev@example.com", "-c", "commit.gpgsign=false"]
    return subprocess.run(["git", *identity, "-C", str(cwd), *args], check=True, capture_output=True,
                          text=True).stdout.strip()


@pytest.fixture
def repo(tmp_path, registry) -> Path:
    """The user's project: generated code committed under semconv/, plus uncommitted work."""
    root = tmp_path / "app"
    root.mkdir()
    git(root, "init", "-q", "-b", "main")
    write_outputs(generate(registry, None, "python"), root / "semconv")
    (root / "README.md").write_text("app\n")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "initial")
    (root / "README.md").write_text("app, work in progress\n")  # a change the user has not committed
    (root / "notes.txt").write_text("untracked\n")
    return root


def snapshot(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*"))
            if p.is_file() and ".git" not in p.relative_to(root).parts}


def alert(service: str = "checkout") -> Alert:
    at = dt.datetime(2026, 1, 1, 0, 3, tzinfo=dt.UTC)
    return Alert(labels={"alertname": "RegistryDrift", "service": service, "severity": "ticket"},
                 state=AlertState.firing, annotations={"summary": f"{service} sends unknown attributes"},
                 value=55.0, values={"value": 55.0, "signal": "quality_score"}, subject={"service": service},
                 rule="quality/RegistryDrift", actions=("charter", "regenerate"), active_at=at, fired_at=at)


def config(tmp_path: Path, registry: Path, **regenerate) -> HealersConfig:
    return HealersConfig(charters_dir=tmp_path / "charters",
                         regenerate={"registry": registry, "work_dir": tmp_path / "regen", **regenerate})


def run(healers_config: HealersConfig, con: duckdb.DuckDBPyConnection, the_alert: Alert) -> dict[str, dict]:
    """One runner (a fresh one each time, as after a restart): action → outcome, detail, artifacts."""
    runner = ActionRunner(build_healers(healers_config), con.cursor)
    assert runner.submit(the_alert)
    assert runner.wait_idle(120)
    runner.shutdown()
    rows = con.execute("""SELECT action, outcome, detail, artifacts FROM alert_actions
                          WHERE fingerprint = ? ORDER BY recorded_at DESC""", [the_alert.fingerprint]).fetchall()
    latest: dict[str, dict] = {}
    for action, outcome, detail, artifacts in rows:
        latest.setdefault(action, {"outcome": outcome, "detail": detail, "artifacts": json.loads(artifacts)})
    return latest


def test_findings_come_from_the_real_analyzer(store):
    rows = store.execute("""SELECT DISTINCT finding_id, attribute FROM findings WHERE service = 'checkout'
                            AND finding_id IN ('missing_attribute', 'deprecated', 'undefined_enum_variant')
                            ORDER BY ALL""").fetchall()
    assert rows == [("deprecated", "http.method"), ("missing_attribute", "debug"),
                    ("missing_attribute", "shop.cart.items"), ("missing_attribute", "shop.coupon"),
                    ("missing_attribute", "shop.once"), ("missing_attribute", "shop.tags"),
                    ("undefined_enum_variant", "shop.order.status")]


def test_an_alert_gets_an_overlay_a_diff_a_branch_and_charter_links(tmp_path, store, registry, repo):
    user_registry, user_repo = snapshot(registry), snapshot(repo)
    head, status = git(repo, "rev-parse", "HEAD"), git(repo, "status", "--porcelain")
    results = run(config(tmp_path, registry, output_dir=repo / "semconv"), store, alert())

    assert results["charter"]["outcome"] == "applied"
    regen = results["regenerate"]
    assert regen["outcome"] == "applied", regen["detail"]
    artifacts = regen["artifacts"]
    charter_id = results["charter"]["artifacts"]["id"]
    folder = tmp_path / "regen" / charter_id
    assert artifacts == {"overlay": str(folder / "overlay.yaml"), "diff": str(folder / "regenerate.diff"),
                         "branch": f"weavergen/regenerate-{charter_id}"}

    # The overlay: a separate v1 file that loads with the registry and defines the unknown keys.
    overlay = Path(artifacts["overlay"])
    text = overlay.read_text()
    (group,) = yaml.safe_load(text)["groups"]
    assert group["id"] == "registry.weavergen.overlay.checkout" and group["type"] == "attribute_group"
    assert [a["id"] for a in group["attributes"]] == ["shop.cart.items", "shop.coupon", "shop.tags"]
    merged = load_sources([registry, overlay])
    items = merged.attribute("shop.cart.items")
    assert items.type.name == "int" and str(items.stability) == "development"
    assert set(items.examples) <= {1, 3, 5} and len(items.examples) == 3
    assert items.brief == "Observed on GET /cart of checkout; describe it."
    assert merged.attribute("shop.coupon").examples == ("SAVE10", "WELCOME")
    assert merged.attribute("shop.tags").type.name == "string[]"
    assert merged.attribute("shop.tags").examples == (("gift", "sale"),)
    assert merged.attribute("shop.once") is None and merged.attribute("debug") is None  # once; no namespace
    assert "rename them in the instrumentation:\n#   - http.method → http.request.method" in text
    assert "#   - shop.order.status: refunded" in text and "duplicate attribute" in text
    assert "#   - debug: not a namespaced attribute name" in text

    # The regenerated code and the diff against the user's generated code.
    generated = (folder / "generated" / "shop_attributes.py").read_text()
    assert 'SHOP_CART_ITEMS: Final = "shop.cart.items"' in generated
    diff = Path(artifacts["diff"]).read_text()
    assert diff.startswith("diff --git a/shop_attributes.py b/shop_attributes.py\n--- a/shop_attributes.py\n"
                           "+++ b/shop_attributes.py\n@@")
    assert '+SHOP_CART_ITEMS: Final = "shop.cart.items"' in diff and "+SHOP_COUPON: Final" in diff
    git(repo, "apply", "--check", "--directory=semconv", artifacts["diff"])  # it applies to the user's tree

    # The branch: one commit on main with the regenerated files; the user's tree and branch untouched.
    branch = artifacts["branch"]
    assert git(repo, "rev-list", "--count", f"main..{branch}") == "1"
    assert git(repo, "rev-parse", f"{branch}^") == head
    assert git(repo, "log", "-1", "--format=%an <%ae>", branch) == AUTHOR
    message = git(repo, "log", "-1", "--format=%B", branch)
    assert "- shop.cart.items (int)\n- shop.coupon (string)\n- shop.tags (string[])" in message
    assert git(repo, "diff", "--name-only", "main", branch) == "semconv/shop_attributes.py"
    assert git(repo, "show", f"{branch}:semconv/shop_attributes.py") == generated.rstrip("\n")
    assert git(repo, "symbolic-ref", "--short", "HEAD") == "main" and git(repo, "rev-parse", "HEAD") == head
    assert git(repo, "status", "--porcelain") == status and snapshot(repo) == user_repo
    assert snapshot(registry) == user_registry

    # The charter links the overlay, the diff, the branch and the rename from its Develop section.
    charter = Path(results["charter"]["artifacts"]["path"])
    links = read_links(read_charter(charter)[1])
    assert links == [f"- [Registry overlay proposed for checkout](../regen/{charter_id}/overlay.yaml)",
                     f"- [Regenerated python code: diff](../regen/{charter_id}/regenerate.diff)",
                     f"- Branch `{branch}` in `{repo / 'semconv'}`: one commit with the regenerated files",
                     "- Rename `http.method` → `http.request.method` (deprecated, still sent)"]
    assert (charter.parent / links[0].split("](")[1][:-1]).resolve() == overlay.resolve()


def test_the_same_alert_again_changes_nothing(tmp_path, store, registry, repo):
    healers_config = config(tmp_path, registry, output_dir=repo / "semconv")
    first = run(healers_config, store, alert())["regenerate"]
    folder = Path(first["artifacts"]["overlay"]).parent
    files = {p: (p.read_bytes(), p.stat().st_mtime_ns) for p in sorted(folder.rglob("*"))
             if p.is_file() and "worktree" not in p.parts}
    branch = first["artifacts"]["branch"]
    tip = git(repo, "rev-parse", branch)
    charter = Path(run(healers_config, store, alert())["charter"]["artifacts"]["path"])

    again = run(healers_config, store, alert())["regenerate"]
    assert again["outcome"] == "applied" and again["artifacts"] == first["artifacts"]
    assert "branch weavergen/regenerate-" in again["detail"] and ": unchanged" in again["detail"]
    assert {p: (p.read_bytes(), p.stat().st_mtime_ns) for p in files} == files
    assert {p for p in folder.rglob("*") if p.is_file() and "worktree" not in p.parts} == set(files)
    assert git(repo, "rev-parse", branch) == tip and git(repo, "rev-list", "--count", f"main..{branch}") == "1"
    assert len(read_links(read_charter(charter)[1])) == 4  # no link added twice
    assert "0 link(s) added" in again["detail"]


def test_without_output_dir_the_diff_is_against_the_registry_alone(tmp_path, store, registry):
    regen = run(config(tmp_path, registry), store, alert())["regenerate"]
    assert regen["outcome"] == "applied" and "branch" not in regen["artifacts"]
    diff = Path(regen["artifacts"]["diff"]).read_text()
    assert '+SHOP_CART_ITEMS: Final = "shop.cart.items"' in diff and "--- a/shop_attributes.py" in diff
    assert diff == unified_diff(generate(registry, None, "python"),
                                generate([registry, regen["artifacts"]["overlay"]], None, "python"))


def test_an_output_dir_outside_git_gets_a_diff_and_no_branch(tmp_path, store, registry):
    output = tmp_path / "plain"
    write_outputs(generate(registry, None, "python"), output)
    regen = run(config(tmp_path, registry, output_dir=output), store, alert())["regenerate"]
    assert regen["outcome"] == "applied" and set(regen["artifacts"]) == {"overlay", "diff"}
    assert f"no branch: {output} is not in a git repository" in regen["detail"]


def test_a_service_whose_telemetry_conforms_is_skipped(tmp_path, store, registry):
    regen = run(config(tmp_path, registry), store, alert("billing"))["regenerate"]
    assert regen["outcome"] == "skipped" and regen["detail"].startswith("nothing to propose")
    assert not (tmp_path / "regen").exists()


def test_without_a_charter_the_overlay_and_diff_are_still_produced(tmp_path, store, registry):
    only = Alert(**{**alert().__dict__, "actions": ("regenerate",)})
    regen = run(config(tmp_path, registry), store, only)["regenerate"]
    assert regen["outcome"] == "applied" and "no charter to link from" in regen["detail"]
    assert Path(regen["artifacts"]["overlay"]).is_file() and Path(regen["artifacts"]["diff"]).is_file()


class FakeNarrator:
    def __init__(self) -> None:
        self.prompts: list[str] = []

    def narrate(self, text: str) -> str:
        self.prompts.append(text)
        return "The number of items in the cart. Extra words.\nMore lines."


def test_a_narrator_words_the_briefs_once(tmp_path, store, registry):
    narrator = FakeNarrator()
    healer = RegenerateHealer(registry, work_dir=tmp_path / "regen", charters_dir=tmp_path / "charters",
                              narrator=narrator)
    first = healer.on_alert(alert(), store.cursor)
    assert first.outcome is Outcome.applied and len(narrator.prompts) == 3
    assert "`shop.cart.items` of type int" in narrator.prompts[0]
    overlay = yaml.safe_load(Path(first.artifacts["overlay"]).read_text())
    assert {a["brief"] for a in overlay["groups"][0]["attributes"]} == {"The number of items in the cart."}
    assert healer.on_alert(alert(), store.cursor) == first and len(narrator.prompts) == 3


def test_pending_resolved_and_serviceless_alerts_are_skipped(tmp_path, store, registry):
    healer = RegenerateHealer(registry, work_dir=tmp_path / "regen")
    resolved = Alert(**{**alert().__dict__, "state": AlertState.resolved})
    assert healer.on_alert(resolved, store.cursor).outcome is Outcome.skipped
    nobody = Alert(labels={"alertname": "X"}, state=AlertState.firing, rule="r/X")
    assert "names no service" in healer.on_alert(nobody, store.cursor).detail


def test_config_builds_the_healer_only_with_a_registry(tmp_path, registry):
    assert "regenerate" not in build_healers(HealersConfig())
    built = build_healers(config(tmp_path, registry, target="markdown", params={"metrics": False}))
    healer = built["regenerate"]
    assert isinstance(healer, RegenerateHealer) and healer.name == "regenerate"
    assert (healer.registry, healer.target, healer.params) == (registry, "markdown", {"metrics": False})
    assert healer.charters_dir == tmp_path / "charters" and healer.output_dir is None
    defaults = HealersConfig().regenerate
    assert (defaults.registry, defaults.target, defaults.templates, defaults.output_dir, defaults.work_dir,
            defaults.params) == (None, "python", None, None, Path("./data/regenerate"), {})
    with pytest.raises(ValidationError, match=r"regenerate needs healers\.regenerate\.registry"):
        HealersConfig(routes=[{"actions": ["regenerate"]}])
    assert HealersConfig(regenerate={"registry": registry}, routes=[{"actions": ["charter", "regenerate"]}])


def test_types_are_inferred_from_stored_values():
    assert infer_type([("int", 1, 3), ("double", 1.5, 1)]) == "double"
    assert infer_type([("bool", True, 2)]) == "boolean"
    assert infer_type([("array", [{"intValue": "1"}], 2)]) == "int[]"
    assert infer_type([("array", [{"intValue": "1"}, {"stringValue": "a"}], 2)]) == "string[]"
    assert infer_type([("string", "a", 5), ("int", 1, 2)]) == "string"
    assert infer_type([("kvlist", None, 2)]) is None and infer_type([]) is None



def test_an_overlay_of_notes_only_loads_with_the_registry(tmp_path, registry):
    proposal = Proposal("billing", renames=["http.method → http.request.method"],
                        enum_values=["shop.order.status: refunded"])
    overlay = tmp_path / "overlay.yaml"
    overlay.write_text(overlay_text(proposal, "registry.weavergen.overlay.billing", {}, "CH-1", registry))
    assert yaml.safe_load(overlay.read_text()) == {"groups": []}
    assert generate([registry, overlay], None, "python") == generate(registry, None, "python")
