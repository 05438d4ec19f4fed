"""Optional narrative wording of a charter's evidence through litellm (the ``llm`` extra).

Off unless ``healers.llm.model`` is set: litellm is imported only then, so nothing leaves the machine
otherwise. Importing litellm would also fetch a model price list from the internet; it is told to use
its bundled copy (``LITELLM_LOCAL_MODEL_COST_MAP``) unless the environment says otherwise. A failure,
a timeout or a missing package is a ``NarrativeError``: the charter is written without the narrative.
"""

from __future__ import annotations

import os
from typing import Any, Protocol

SYSTEM = (
    "You write the narrative of a DMEDI improvement charter opened by an observability alert. "
    "In at most five plain sentences, say what changed, how much (quote the numbers), where "
    "(service, span names, attributes) and which candidate fix to try first. Use only the evidence "
    "given; do not invent causes."
)
MAX_PROMPT_CHARS = 12_000
MAX_ERROR_CHARS = 300


class NarrativeError(RuntimeError):
    """The narrative could not be written; the message says why."""


class Narrator(Protocol):
    def narrate(self, charter: str) -> str:
        """A short narrative of the charter's Markdown; raises NarrativeError."""
        ...


def import_litellm() -> Any:
    """litellm, told to stay offline until a completion is asked for."""
    os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
    import litellm
    litellm.suppress_debug_info = True
    return litellm


class LlmNarrator:
    """``mock_response`` (a text, or an exception to raise) makes litellm answer without any provider."""

    def __init__(self, model: str, timeout_seconds: float = 20.0,
                 mock_response: str | Exception | None = None, max_tokens: int = 400) -> None:
        self.model, self.timeout, self.mock_response, self.max_tokens = (
            model, timeout_seconds, mock_response, max_tokens)

    def narrate(self, charter: str) -> str:
        try:
            litellm = import_litellm()
        except ImportError as exc:
            raise NarrativeError(f"litellm is not installed (pip install 'weavergen[llm]'): {exc}") from exc
        messages = [{"role": "system", "content": SYSTEM},
                    {"role": "user", "content": charter[:MAX_PROMPT_CHARS]}]
        extra = {} if self.mock_response is None else {"mock_response": self.mock_response}
        try:
            response = litellm.completion(model=self.model, messages=messages, timeout=self.timeout,
                                          max_tokens=self.max_tokens, **extra)
            text = response.choices[0].message.content
        except Exception as exc:  # litellm raises provider-specific types; all mean "no narrative"
            raise NarrativeError(f"{self.model}: {type(exc).__name__}: {exc}"[:MAX_ERROR_CHARS]) from exc
        if not isinstance(text, str) or not text.strip():
            raise NarrativeError(f"{self.model}: empty answer")
        return text.strip()
