"""write_outputs writes atomically and leaves unchanged files alone; check_outputs finds every difference."""

from __future__ import annotations

import os

from weavergen.generators import OutputProblem, ProblemKind, check_outputs, write_outputs

OUTPUTS = {"a.txt": "alpha\n", "sub/b.py": "B = 'é'\n", "sub/deep/c.md": "# c\n"}


def test_writes_every_file_with_its_folders(tmp_path):
    assert write_outputs(OUTPUTS, tmp_path / "out") == sorted(OUTPUTS)
    for relative, text in OUTPUTS.items():
        assert (tmp_path / "out" / relative).read_bytes() == text.encode("utf-8")


def test_no_temporary_files_are_left_behind(tmp_path):
    write_outputs(OUTPUTS, tmp_path)
    assert sorted(p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*") if p.is_file()) == sorted(
        OUTPUTS
    )


def test_unchanged_files_are_not_rewritten(tmp_path):
    write_outputs(OUTPUTS, tmp_path)
    stamp = tmp_path / "a.txt"
    os.utime(stamp, ns=(1, 1))
    assert write_outputs({**OUTPUTS, "sub/b.py": "B = 2\n"}, tmp_path) == ["sub/b.py"]
    assert stamp.stat().st_mtime_ns == 1


def test_a_replaced_file_is_a_new_inode(tmp_path):
    # os.replace: a reader holding the old file keeps reading the old content, never half a file.
    write_outputs(OUTPUTS, tmp_path)
    with (tmp_path / "a.txt").open() as old:
        write_outputs({"a.txt": "changed\n"}, tmp_path)
        assert old.read() == "alpha\n"
    assert (tmp_path / "a.txt").read_text() == "changed\n"


def test_check_passes_on_fresh_output(tmp_path):
    write_outputs(OUTPUTS, tmp_path)
    assert check_outputs(OUTPUTS, tmp_path) == []


def test_check_reports_edited_deleted_and_extra_files(tmp_path):
    write_outputs(OUTPUTS, tmp_path)
    (tmp_path / "a.txt").write_text("edited\n")
    (tmp_path / "sub" / "deep" / "c.md").unlink()
    (tmp_path / "sub" / "stale.py").write_text("")
    assert check_outputs(OUTPUTS, tmp_path) == [
        OutputProblem("a.txt", ProblemKind.DIFFERS),
        OutputProblem("sub/deep/c.md", ProblemKind.MISSING),
        OutputProblem("sub/stale.py", ProblemKind.EXTRA),
    ]
    assert str(check_outputs(OUTPUTS, tmp_path)[0]) == "differs: a.txt"


def test_check_of_a_missing_folder_reports_every_file_missing(tmp_path):
    problems = check_outputs(OUTPUTS, tmp_path / "nowhere")
    assert [(p.path, p.kind) for p in problems] == [(path, ProblemKind.MISSING) for path in sorted(OUTPUTS)]


def test_hidden_files_and_bytecode_caches_are_not_extra(tmp_path):
    write_outputs(OUTPUTS, tmp_path)
    (tmp_path / ".gitignore").write_text("*\n")
    (tmp_path / "sub" / "__pycache__").mkdir()
    (tmp_path / "sub" / "__pycache__" / "b.cpython-311.pyc").write_bytes(b"\0")
    assert check_outputs(OUTPUTS, tmp_path) == []


def test_line_endings_count_as_differences(tmp_path):
    write_outputs(OUTPUTS, tmp_path)
    (tmp_path / "a.txt").write_bytes(b"alpha\r\n")
    assert check_outputs(OUTPUTS, tmp_path) == [OutputProblem("a.txt", ProblemKind.DIFFERS)]
