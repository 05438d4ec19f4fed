"""Problems found while loading a registry, and the one error type that carries them."""

from __future__ import annotations

from dataclasses import dataclass

from .values import Source


@dataclass(frozen=True, slots=True, order=True)
class Problem:
    file: str
    line: int
    message: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.message}" if self.line else f"{self.file}: {self.message}"


class RegistryError(Exception):
    """A registry could not be loaded; `problems` lists every problem found, not only the first."""

    def __init__(self, root: str, problems: list[Problem]) -> None:
        self.root = root
        self.problems = tuple(problems)
        lines = "\n".join(f"  {p}" for p in self.problems)
        super().__init__(f"{len(self.problems)} problem(s) in registry {root}:\n{lines}")


class Problems:
    """Collects problems while parsing and resolving, so one bad file does not hide the next one."""

    def __init__(self) -> None:
        self._items: list[Problem] = []

    def add(self, where: Source, message: str) -> None:
        self._items.append(Problem(where.file, where.line, message))

    def sorted(self) -> list[Problem]:
        # Files in path order, lines ascending; duplicates (an alias parsed twice) collapse.
        return sorted(set(self._items))

    def __len__(self) -> int:
        return len(self._items)
