"""Problems found while loading rule or rule-test files, and the one error type that carries them."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, order=True)
class Problem:
    """One problem, printed as ``FILE:LINE: group G rule R: message``; warnings do not fail a load.

    ``context`` names what the line belongs to: ``group G rule R`` in a rule file, ``test T`` in a
    rule-test file, empty at the top of a file.
    """

    file: str
    line: int
    message: str
    context: str = ""
    warning: bool = False

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        context = f" {self.context}:" if self.context else ""
        kind = "warning: " if self.warning else ""
        return f"{where}:{context} {kind}{self.message}"


class RulesError(Exception):
    """A rule set (or rule-test file) could not be loaded; ``problems`` lists every problem found."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = tuple(problems)
        super().__init__("\n".join(str(p) for p in self.problems))


def errors(problems: list[Problem]) -> list[Problem]:
    return [p for p in problems if not p.warning]
