"""The optional litellm narrative, with litellm's own ``mock_response`` only: no provider is ever called."""

from __future__ import annotations

import importlib.util
import os

import pytest
from healer_store import make_alert

from weavergen.healers.base import Outcome
from weavergen.healers.charter import CharterHealer
from weavergen.healers.llm import LlmNarrator, NarrativeError, import_litellm
from weavergen.healers.settings import HealersConfig, build_healers

pytestmark = [
    # Not importorskip: importing litellm before llm.py configures it would fetch a price list online.
    pytest.mark.skipif(importlib.util.find_spec("litellm") is None,
                       reason="the llm extra is not installed: pip install 'weavergen[llm]'"),
    # litellm imports provider modules lazily inside completion(); one (github_copilot) builds a pydantic
    # TypeAdapter over TypedDicts with ReadOnly items, and pydantic warns about that. Not ours to fix.
    pytest.mark.filterwarnings(
        r"ignore:Items? .* (is|are) using the `ReadOnly` qualifier\. Pydantic will not protect:UserWarning"),
]

STORY = "The error rate of checkout rose from 0.1 to 0.9 in the 12:11 window; rename http.method first."


def charter_text(result) -> str:
    with open(result.artifacts["path"], encoding="utf-8") as f:
        return f.read()


def test_narrative_from_the_configured_model(tmp_path, store):
    config = HealersConfig(charters_dir=tmp_path / "charters",
                           llm={"model": "gpt-4o-mini", "mock_response": STORY, "timeout_seconds": 5})
    healer = build_healers(config)["charter"]

    result = healer.on_alert(make_alert(), store.cursor)

    assert result.outcome is Outcome.applied and result.detail.endswith("(with narrative)")
    text = charter_text(result)
    assert f"\n## Narrative\n\n{STORY}\n\n## Define\n" in text
    assert text.count("## Narrative") == 1
    again = healer.on_alert(make_alert(value=0.95), store.cursor)
    assert charter_text(again).count("## Narrative") == 1


def test_a_failing_model_leaves_the_narrative_out_with_a_note(tmp_path, store):
    narrator = LlmNarrator("gpt-4o-mini", timeout_seconds=5, mock_response=Exception("provider unreachable"))
    healer = CharterHealer(tmp_path / "charters", narrator=narrator)

    result = healer.on_alert(make_alert(), store.cursor)

    assert result.outcome is Outcome.applied
    assert "narrative left out: gpt-4o-mini:" in result.detail and "provider unreachable" in result.detail
    text = charter_text(result)
    assert "## Narrative" not in text and "## Define" in text


def test_a_timeout_leaves_the_narrative_out(tmp_path, store):
    litellm = import_litellm()
    timeout = litellm.Timeout(message="no answer within 5 s", model="gpt-4o-mini", llm_provider="openai")
    healer = CharterHealer(tmp_path / "charters", narrator=LlmNarrator("gpt-4o-mini", 5, mock_response=timeout))

    result = healer.on_alert(make_alert(), store.cursor)

    assert result.outcome is Outcome.applied and "narrative left out: gpt-4o-mini: Timeout:" in result.detail
    assert "## Narrative" not in charter_text(result)
    assert os.environ["LITELLM_LOCAL_MODEL_COST_MAP"]  # litellm was told not to fetch its price list


def test_the_prompt_is_the_charter_without_its_sql(tmp_path, store):
    prompts: list[str] = []

    class Recording(LlmNarrator):
        def narrate(self, charter: str) -> str:
            prompts.append(charter)
            return super().narrate(charter)

    healer = CharterHealer(tmp_path / "charters", narrator=Recording("gpt-4o-mini", mock_response=STORY))
    healer.on_alert(make_alert(), store.cursor)

    (prompt,) = prompts
    assert "| `error_rate` | 0.1 | 0.9 |" in prompt and "Rename `http.method` to `http.request.method`" in prompt
    assert "```sql" not in prompt and "FROM spans" not in prompt and "<details>" not in prompt


def test_the_narrator_sends_the_charter_and_raises_its_own_error():
    assert LlmNarrator("gpt-4o-mini", mock_response="  short story \n").narrate("# charter") == "short story"
    with pytest.raises(NarrativeError, match="empty answer"):
        LlmNarrator("gpt-4o-mini", mock_response="   ").narrate("# charter")


def test_off_by_default():
    assert build_healers(HealersConfig())["charter"].narrator is None
