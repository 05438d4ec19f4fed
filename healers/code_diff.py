"""Generated files written only when they change, and the unified diff between two generations."""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from pathlib import Path

from weavergen.collector.files import write_atomic
from weavergen.generators import ProblemKind, check_outputs, write_outputs


def read_text(path: Path) -> str | None:
    try:
        return path.read_text(encoding="utf-8", errors="replace")
    except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
        return None


def write_if_changed(path: Path, text: str) -> None:
    if read_text(path) != text:
        write_atomic(path, text)


def sync_folder(outputs: Mapping[str, str], folder: Path) -> None:
    """``folder`` holds exactly ``outputs`` (unchanged files untouched, stale ones removed)."""
    write_outputs(outputs, folder)
    for problem in check_outputs(outputs, folder):
        if problem.kind is ProblemKind.EXTRA:
            (folder / problem.path).unlink()


def unified_diff(old: Mapping[str, str | None], new: Mapping[str, str]) -> str:
    """A git-style unified diff, paths relative to the output folder (``patch -p1`` or ``git apply``)."""
    chunks = []
    for path in sorted(set(old) | set(new)):
        before, after = old.get(path), new.get(path)
        if before == after:
            continue
        head = f"diff --git a/{path} b/{path}\n"
        head += "new file mode 100644\n" if before is None else "deleted file mode 100644\n" if after is None else ""
        body = difflib.unified_diff(_lines(before), _lines(after), "/dev/null" if before is None else f"a/{path}",
                                    "/dev/null" if after is None else f"b/{path}")
        chunks.append(head + "".join(body))
    return "".join(chunks)


def count_files(old: Mapping[str, str | None], new: Mapping[str, str]) -> int:
    return sum(old.get(p) != new.get(p) for p in set(old) | set(new))


def _lines(text: str | None) -> list[str]:
    lines = (text or "").splitlines(keepends=True)
    if lines and not lines[-1].endswith("\n"):
        lines[-1] += "\n\\ No newline at end of file\n"
    return lines
