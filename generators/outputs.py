"""Write generated files atomically, or compare them with what an output folder holds (`--check`)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

from weavergen.collector.files import write_atomic


class ProblemKind(StrEnum):
    DIFFERS = "differs"
    MISSING = "missing"
    EXTRA = "extra"


@dataclass(frozen=True, slots=True, order=True)
class OutputProblem:
    """A file whose content in the output folder is not what generation produces."""

    path: str
    kind: ProblemKind

    def __str__(self) -> str:
        return f"{self.kind}: {self.path}"


def write_outputs(outputs: Mapping[str, str], output_dir: str | os.PathLike[str]) -> list[str]:
    """Write each file (UTF-8, newlines as rendered) through a temporary file and a rename, so a
    reader never sees half a file. Files already holding the right bytes are left untouched.
    Files in the folder that generation does not produce are left alone. Returns the paths written."""
    root = Path(output_dir)
    written = []
    for relative in sorted(outputs):
        data = outputs[relative].encode("utf-8")
        path = root / relative
        if path.is_file() and path.read_bytes() == data:
            continue
        write_atomic(path, data)
        written.append(relative)
    return written


def check_outputs(outputs: Mapping[str, str], output_dir: str | os.PathLike[str]) -> list[OutputProblem]:
    """Files that differ from `outputs`, are missing, or are extra (present but not generated),
    sorted by path. Empty when the folder is up to date. Hidden files (`.name`) and `__pycache__`
    folders are never extra: tools and Python imports put them there."""
    root = Path(output_dir)
    problems = []
    for relative in sorted(outputs):
        path = root / relative
        if not path.is_file():
            problems.append(OutputProblem(relative, ProblemKind.MISSING))
        elif path.read_bytes() != outputs[relative].encode("utf-8"):
            problems.append(OutputProblem(relative, ProblemKind.DIFFERS))
    present = _files(root)
    problems.extend(OutputProblem(p, ProblemKind.EXTRA) for p in sorted(present - set(outputs)))
    return sorted(problems)


def _files(root: Path) -> set[str]:
    if not root.is_dir():
        return set()
    found = set()
    for path in root.rglob("*"):
        relative = path.relative_to(root)
        ignored = any(part.startswith(".") or part == "__pycache__" for part in relative.parts)
        if path.is_file() and not ignored:
            found.add(relative.as_posix())
    return found
