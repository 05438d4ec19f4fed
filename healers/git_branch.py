"""A branch of one commit with regenerated files, built in a detached worktree of the user's repository."""

from __future__ import annotations

import os
import shutil
import subprocess
import threading
from collections.abc import Mapping
from pathlib import Path

from weavergen.generators import write_outputs

AUTHOR = ("WeaverGen", "weavergen@localhost")
BRANCHED = ("created", "updated", "unchanged")  # commit_branch's answers when the branch exists
# Git runs one at a time in this process: worktrees and refs of one repository are shared state.
_GIT_LOCK = threading.Lock()


class GitError(RuntimeError):
    """A git command failed; the message names it and quotes git."""


def git(cwd: Path, *args: str) -> str:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
    env.update(GIT_AUTHOR_NAME=AUTHOR[0], GIT_AUTHOR_EMAIL=AUTHOR[1], GIT_COMMITTER_NAME=AUTHOR[0],
               GIT_COMMITTER_EMAIL=AUTHOR[1], GIT_TERMINAL_PROMPT="0")
    command = ["git", "-c", "core.hooksPath=/dev/null", "-C", str(cwd), *args]
    try:
        done = subprocess.run(command, capture_output=True, text=True, env=env, timeout=120, check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise GitError(f"git {args[0]}: {exc}") from exc
    if done.returncode != 0:
        raise GitError(f"git {' '.join(args[:2])} in {cwd}: {done.stderr.strip()[:300]}")
    return done.stdout.strip()


def commit_branch(output_dir: Path, files: Mapping[str, str], branch: str, worktree: Path,
                  message: str) -> str:
    """Branch ``branch`` = HEAD of ``output_dir``'s repository + one commit with ``files`` under
    ``output_dir``. Returns created, updated, unchanged, or why there is no branch."""
    if not output_dir.is_dir():
        return f"{output_dir} is not a directory"
    try:
        top = Path(git(output_dir, "rev-parse", "--show-toplevel"))
    except GitError:
        return f"{output_dir} is not in a git repository"
    prefix = git(output_dir, "rev-parse", "--show-prefix") or "."
    with _GIT_LOCK:
        try:
            base = git(top, "rev-parse", "--verify", "HEAD^{commit}")
        except GitError:
            return f"{top} has no commit yet"
        if f"branch refs/heads/{branch}" in git(top, "worktree", "list", "--porcelain").splitlines():
            return f"{branch} is checked out in a working tree; left as it is"
        checkout(top, worktree, base)
        git(worktree, "clean", "-fdq", "--", prefix)
        write_outputs(files, worktree / prefix)
        git(worktree, "add", "-A", "--", prefix)
        tree = git(worktree, "write-tree")
        if tree == git(top, "rev-parse", f"{base}^{{tree}}"):
            return f"the regenerated files are what {top} HEAD holds"
        tip = _resolve(top, f"refs/heads/{branch}")
        if tip and _resolve(top, f"{tip}^{{tree}}") == tree and _resolve(top, f"{tip}^") == base:
            return "unchanged"
        commit = git(worktree, "commit-tree", "--no-gpg-sign", tree, "-p", base, "-m", message)
        git(top, "update-ref", "-m", "weavergen regenerate", f"refs/heads/{branch}", commit, tip or "")
        return "updated" if tip else "created"


def checkout(top: Path, worktree: Path, base: str) -> None:
    """A worktree of ``top`` at ``worktree``, detached at ``base``, its index and files reset."""
    listed = git(top, "worktree", "list", "--porcelain").splitlines()
    if f"worktree {worktree.resolve()}" in listed and worktree.is_dir():
        git(worktree, "checkout", "-q", "--force", "--detach", base)
        return
    git(top, "worktree", "prune")
    if worktree.exists():
        shutil.rmtree(worktree)  # ours, but no longer registered: a worktree that was removed by hand
    worktree.parent.mkdir(parents=True, exist_ok=True)
    git(top, "worktree", "add", "-q", "--force", "--detach", str(worktree.resolve()), base)


def _resolve(top: Path, revision: str) -> str:
    try:
        return git(top, "rev-parse", "--verify", "-q", revision)
    except GitError:
        return ""
