"""The ``healers`` config section and the table of built-in healers by name."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict, Field, model_validator

from .base import Healer

if TYPE_CHECKING:
    from .llm import Narrator


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class RateLimitConfig(_Section):
    # Per (rule, action): at most max_actions runs per per_seconds (a token bucket).
    max_actions: int = Field(default=10, ge=1)
    per_seconds: float = Field(default=3600.0, gt=0)


class WebhookConfig(_Section):
    url: str | None = None  # unset: no "webhook" healer
    attempts: int = Field(default=5, ge=1)
    backoff_seconds: float = Field(default=0.5, ge=0)  # doubled after every failed attempt
    timeout_seconds: float = Field(default=5.0, gt=0)


class LlmConfig(_Section):
    # A litellm model name ("ollama/llama3", "gpt-4o-mini"…); unset: no narrative, nothing leaves the machine.
    model: str | None = None
    timeout_seconds: float = Field(default=20.0, gt=0)
    # Tests only: litellm answers this text itself instead of calling the model.
    mock_response: str | None = None


class RegenerateConfig(_Section):
    registry: Path | None = None  # the user's registry (never written to); unset: no "regenerate" healer
    target: str = Field(default="python", min_length=1)  # a template target, as in `weavergen generate`
    templates: Path | None = None  # templates root; unset: the bundled templates
    # The current generated code the diff is taken against (a git repository gets a branch); unset:
    # the diff is against the target generated from the registry alone.
    output_dir: Path | None = None
    work_dir: Path = Path("./data/regenerate")  # overlay, generated files, diff and worktree per charter
    params: dict[str, Any] = {}  # generation params, as `--param` (e.g. exclude_root_namespace)


class Route(_Section):
    """Actions for alerts that name none (Alertmanager's): the first route whose labels all match wins
    (alertmanager.route takes ``[r.model_dump() for r in config.routes]``)."""

    match: dict[str, str] = {}
    actions: list[str]


class HealersConfig(_Section):
    dry_run: bool = False
    charters_dir: Path = Path("./data/charters")
    rate_limit: RateLimitConfig = RateLimitConfig()
    webhook: WebhookConfig = WebhookConfig()
    llm: LlmConfig = LlmConfig()
    regenerate: RegenerateConfig = RegenerateConfig()
    routes: list[Route] = []

    @model_validator(mode="after")
    def _routes_name_known_actions(self) -> HealersConfig:
        needs = {"webhook": (self.webhook.url, "healers.webhook.url"),
                 "regenerate": (self.regenerate.registry, "healers.regenerate.registry")}
        available = set(BUILTIN) - {name for name, (value, _) in needs.items() if value is None}
        for i, route in enumerate(self.routes):
            unknown = sorted(set(route.actions) - available)
            if unknown:
                hint = "".join(f" ({name} needs {key})" for name, (_, key) in needs.items() if name in unknown)
                raise ValueError(f"routes[{i}].actions: unknown action(s) {unknown}; "
                                 f"choose from {sorted(available)}{hint}")
        return self


def _narrator(config: HealersConfig) -> Narrator | None:
    from .llm import LlmNarrator

    llm = config.llm
    return LlmNarrator(llm.model, llm.timeout_seconds, llm.mock_response) if llm.model else None


def _charter(config: HealersConfig) -> Healer | None:
    from .charter import CharterHealer

    return CharterHealer(config.charters_dir, narrator=_narrator(config))


def _webhook(config: HealersConfig) -> Healer | None:
    from .webhook import WebhookHealer

    hook = config.webhook
    if hook.url is None:
        return None
    return WebhookHealer(hook.url, attempts=hook.attempts, backoff_seconds=hook.backoff_seconds,
                         timeout_seconds=hook.timeout_seconds)


def _regenerate(config: HealersConfig) -> Healer | None:
    from .regenerate import RegenerateHealer

    regen = config.regenerate
    if regen.registry is None:
        return None
    return RegenerateHealer(regen.registry, regen.target, regen.templates, regen.output_dir, regen.work_dir,
                            regen.params, charters_dir=config.charters_dir, narrator=_narrator(config))


# Built-in healers by action name; each factory returns None when its config leaves it off.
BUILTIN: dict[str, Callable[[HealersConfig], Healer | None]] = {
    "charter": _charter,
    "webhook": _webhook,
    "regenerate": _regenerate,
}


def build_healers(config: HealersConfig) -> dict[str, Healer]:
    built = {name: factory(config) for name, factory in BUILTIN.items()}
    return {name: healer for name, healer in built.items() if healer is not None}
