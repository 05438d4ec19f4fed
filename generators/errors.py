"""The one error type of code generation."""

from __future__ import annotations


class GenerationError(Exception):
    """Generation could not complete: a bad weaver.yaml, jq filter, template or output path.

    `where` names the file (and line, when known) at fault, e.g. `templates/registry/py/a.j2:12`.
    """

    def __init__(self, message: str, where: str | None = None) -> None:
        self.where = where
        self.message = message
        super().__init__(f"{where}: {message}" if where else message)
