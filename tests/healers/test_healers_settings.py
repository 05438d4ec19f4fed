"""The healers config section: defaults, validation, and the built-in healers it builds."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from weavergen.healers.charter import CharterHealer
from weavergen.healers.settings import BUILTIN, HealersConfig, build_healers
from weavergen.healers.webhook import WebhookHealer


def test_defaults():
    config = HealersConfig()
    assert config.dry_run is False and config.charters_dir == Path("./data/charters")
    assert (config.rate_limit.max_actions, config.rate_limit.per_seconds) == (10, 3600)
    assert (config.webhook.url, config.webhook.attempts, config.webhook.backoff_seconds,
            config.webhook.timeout_seconds) == (None, 5, 0.5, 5)
    assert (config.llm.model, config.llm.timeout_seconds, config.llm.mock_response) == (None, 20, None)
    assert config.routes == []


def test_unknown_keys_and_bad_values_are_refused():
    with pytest.raises(ValidationError, match="extra"):
        HealersConfig(webhook={"uri": "http://x"})
    with pytest.raises(ValidationError, match="greater than or equal to 1"):
        HealersConfig(rate_limit={"max_actions": 0})
    with pytest.raises(ValidationError, match="frozen"):
        HealersConfig().dry_run = True


def test_routes_name_known_actions():
    config = HealersConfig(routes=[{"match": {"severity": "page"}, "actions": ["charter"]},
                                   {"actions": ["charter"]}])
    assert config.routes[0].model_dump() == {"match": {"severity": "page"}, "actions": ["charter"]}
    with pytest.raises(ValidationError, match=r"routes\[0\].actions: unknown action\(s\) \['regen'\]"):
        HealersConfig(routes=[{"actions": ["regen"]}])
    with pytest.raises(ValidationError, match="webhook needs healers.webhook.url"):
        HealersConfig(routes=[{"actions": ["webhook"]}])
    assert HealersConfig(webhook={"url": "http://127.0.0.1:9/"}, routes=[{"actions": ["webhook"]}])


def test_build_healers_by_name(tmp_path):
    assert set(BUILTIN) == {"charter", "webhook", "regenerate"}
    only_charter = build_healers(HealersConfig(charters_dir=tmp_path))
    assert set(only_charter) == {"charter"} and isinstance(only_charter["charter"], CharterHealer)
    assert only_charter["charter"].directory == tmp_path

    both = build_healers(HealersConfig(webhook={"url": "http://127.0.0.1:9/", "attempts": 2}))
    webhook = both["webhook"]
    assert isinstance(webhook, WebhookHealer) and webhook.attempts == 2 and webhook.url == "http://127.0.0.1:9/"
    for name, healer in both.items():
        assert healer.name == name
