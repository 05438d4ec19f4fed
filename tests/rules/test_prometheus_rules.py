"""Prometheus alerting rules over the daemon's own /metrics (rules/prometheus/), checked with real promtool.

``promtool check rules`` validates them, ``promtool test rules`` runs weavergen.rules.test.yml, every alert
must have a firing and a not-firing case there (and the firing case must really depend on the rule), and
every metric a rule reads must exist on a real daemon's /metrics, so a renamed metric cannot silently turn
an alert into one that never fires.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import time
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
RULES_DIR = REPO / "rules" / "prometheus"
RULES = RULES_DIR / "weavergen.rules.yml"
RULE_TESTS = RULES_DIR / "weavergen.rules.test.yml"

# Series Prometheus itself adds for every scrape target: not on the daemon's /metrics.
SYNTHETIC = {"up", "scrape_duration_seconds", "scrape_samples_scraped",
             "scrape_samples_post_metric_relabeling", "scrape_series_added"}
SEVERITIES = {"critical", "warning", "info"}


@pytest.fixture(scope="module")
def promtool() -> str:
    path = shutil.which("promtool") or ("/usr/bin/promtool" if Path("/usr/bin/promtool").exists() else None)
    if path is None:
        pytest.fail("promtool not found: run `make test` (it installs it), or as root "
                    "`DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends prometheus` "
                    "(the Debian package `prometheus` ships /usr/bin/promtool)")
    return path


def alerting_rules() -> list[dict]:
    groups = yaml.safe_load(RULES.read_text())["groups"]
    return [rule for group in groups for rule in group["rules"] if "alert" in rule]


def run(command: list[str], cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run(command, cwd=cwd, capture_output=True, text=True, timeout=120)


# --- promtool -------------------------------------------------------------------------------------------


def test_promtool_check_rules_accepts_the_rules(promtool):
    result = run([promtool, "check", "rules", RULES.name], RULES_DIR)
    assert result.returncode == 0, result.stdout + result.stderr
    rules = sum(len(group["rules"]) for group in yaml.safe_load(RULES.read_text())["groups"])
    assert f"SUCCESS: {rules} rules found" in result.stdout + result.stderr


def test_promtool_unit_tests_pass(promtool):
    result = run([promtool, "test", "rules", RULE_TESTS.name], RULES_DIR)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "SUCCESS" in result.stdout + result.stderr


@pytest.mark.parametrize("alert", [rule["alert"] for rule in alerting_rules()])
def test_unit_tests_fail_when_an_alert_can_no_longer_fire(promtool, tmp_path, alert):
    """Replace one alert's expression by one that never matches: its firing case must catch it."""
    rules = yaml.safe_load(RULES.read_text())
    for group in rules["groups"]:
        for rule in group["rules"]:
            if rule.get("alert") == alert:
                rule["expr"] = "vector(1) < 0"
    (tmp_path / RULES.name).write_text(yaml.safe_dump(rules, sort_keys=False))
    shutil.copy(RULE_TESTS, tmp_path / RULE_TESTS.name)
    result = run([promtool, "test", "rules", RULE_TESTS.name], tmp_path)
    assert result.returncode != 0, f"the unit tests still pass with {alert} disabled:\n{result.stdout}"
    assert f"alertname: {alert}," in result.stdout + result.stderr


def test_every_alert_has_firing_and_not_firing_cases():
    names = {rule["alert"] for rule in alerting_rules()}
    cases: dict[str, list[bool]] = {}
    for test in yaml.safe_load(RULE_TESTS.read_text())["tests"]:
        for case in test.get("alert_rule_test", []):
            cases.setdefault(case["alertname"], []).append(bool(case.get("exp_alerts")))
    # promtool compares an unknown alertname with [] and passes: a typo would be a test that tests nothing.
    assert set(cases) <= names, f"unit tests for alerts that do not exist: {set(cases) - names}"
    for name in sorted(names):
        assert True in cases.get(name, []), f"{name} has no firing case in {RULE_TESTS.name}"
        assert False in cases.get(name, []), f"{name} has no not-firing case in {RULE_TESTS.name}"


def test_every_alert_has_a_severity_and_a_summary_and_description():
    for rule in alerting_rules():
        assert rule.get("labels", {}).get("severity") in SEVERITIES, rule["alert"]
        annotations = rule.get("annotations", {})
        assert annotations.get("summary") and annotations.get("description"), rule["alert"]


# --- metric names against a real daemon -----------------------------------------------------------------

_KEYWORDS = {"and", "or", "unless", "bool", "offset", "by", "without", "on", "ignoring", "group_left",
             "group_right", "inf", "nan", "start", "end", "atan2"}


def metric_names(expr: str) -> set[str]:
    """The metric names a PromQL expression selects (no functions, keywords, labels or durations)."""
    expr = re.sub(r'"(?:\\.|[^"\\])*"|\'(?:\\.|[^\'\\])*\'|`[^`]*`', '""', expr)  # string literals
    expr = re.sub(r"\{[^}]*\}", " ", expr)  # label matchers
    expr = re.sub(r"\[[^\]]*\]", " ", expr)  # ranges and subqueries
    expr = re.sub(r"\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)", " ", expr)
    tokens = re.findall(r"(?<![\w:.])([A-Za-z_:][\w:]*)(?![\w:])(?!\s*\()", expr)
    return {token for token in tokens if token.lower() not in _KEYWORDS}


def test_metric_names_are_extracted_from_promql():
    assert metric_names(
        'histogram_quantile(0.99, sum by (job, le) (rate(a_bucket{x="b c", le!="1e3"}[5m:30s]))) > 1e3'
    ) == {"a_bucket"}
    assert metric_names("increase(x_total[10m]) > 0 or (x_total > 0 unless x_total offset 10m)"
                        " and on (job, instance) (y offset 5m)") == {"x_total", "y"}
    assert metric_names(
        "a / ignoring(q) group_left(r) b > bool 0.8 and absent(up{job=\"w\"})") == {"a", "b", "up"}
    assert metric_names("sum without (i) (rate (c:d:rate5m[1h])) unless vector(0)") == {"c:d:rate5m"}


def exposed_names(exposition: str) -> set[str]:
    """Every series name a scrape of this text can yield, including families that have no sample yet."""
    names = set()
    suffixes = {"counter": [""], "gauge": [""], "untyped": [""], "histogram": ["_bucket", "_count", "_sum"],
                "summary": ["", "_count", "_sum"]}
    for line in exposition.splitlines():
        if line.startswith("# TYPE "):
            _, _, name, kind = line.split(maxsplit=3)
            names.update(name + suffix for suffix in suffixes.get(kind.strip(), [""]))
        elif line and not line.startswith("#"):
            names.add(re.match(r"[A-Za-z_:][\w:]*", line).group())
    return names


def send_spans(daemon, count: int = 5) -> None:
    from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import OTLPSpanExporter as GrpcExporter
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter as HttpExporter
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor

    provider = TracerProvider(resource=Resource.create({"service.name": "checkout"}))
    provider.add_span_processor(
        SimpleSpanProcessor(GrpcExporter(endpoint=daemon.grpc_endpoint, insecure=True)))
    provider.add_span_processor(SimpleSpanProcessor(HttpExporter(endpoint=f"{daemon.http_url}/v1/traces")))
    tracer = provider.get_tracer("rules-test")
    for i in range(count):
        with tracer.start_as_current_span("GET /cart", attributes={"http.request.method": "GET", "i": i}):
            pass
    provider.shutdown()


def test_every_metric_in_the_rules_exists_on_a_real_daemon(make_daemon):
    daemon = make_daemon(analyzers={"idle_close_seconds": 1, "grace_seconds": 0, "poll_seconds": 0.1})
    send_spans(daemon)
    deadline = time.monotonic() + 30
    while not (daemon.metric("weavergen_spans_accepted_total", transport="grpc") >= 5
               and daemon.metric("weavergen_spans_accepted_total", transport="http_protobuf") >= 5
               and daemon.metric("weavergen_analysis_last_seq") >= 10):
        assert time.monotonic() < deadline, f"spans not accepted and analysed:\n{daemon.log()[-3000:]}"
        time.sleep(0.1)
    exposed = exposed_names(daemon.metrics())
    assert {"weavergen_spans_accepted_total", "weavergen_commit_duration_seconds_bucket"} <= exposed

    used = {rule["alert"]: metric_names(rule["expr"]) for rule in alerting_rules()}
    assert all(used.values()), f"no metric found in some expressions: {used}"
    missing = {alert: sorted(names - exposed - SYNTHETIC)
               for alert, names in used.items() if names - exposed - SYNTHETIC}
    assert not missing, f"rules read metrics the daemon does not expose: {missing}"
