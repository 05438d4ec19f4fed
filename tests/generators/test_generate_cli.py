"""`weavergen generate`, in process: the sub-command mounted on a fresh typer app."""

from __future__ import annotations

import pytest
import typer
from typer.testing import CliRunner

from weavergen.generators.cli import register


@pytest.fixture
def run():
    app = typer.Typer()
    register(app)

    @app.command()
    def other() -> None:  # a second command, so `generate` stays a named sub-command as when mounted
        """Unused."""

    runner = CliRunner()
    return lambda *args: runner.invoke(app, [str(a) for a in args])


def generate_args(registry, templates, out, *extra):
    return ("generate", "--registry", registry, "--templates", templates, "tiny", out, *extra)


def test_generate_writes_the_files(run, tiny_registry, fixture_templates, tmp_path):
    result = run(*generate_args(tiny_registry, fixture_templates, tmp_path / "out"))
    assert result.exit_code == 0, result.output
    assert "7 file(s) generated" in result.output
    assert (tmp_path / "out" / "summary.txt").read_text() == "Tiny shop: 7 attributes in cart, shop\n"


def test_params_are_yaml_values(run, tiny_registry, fixture_templates, tmp_path):
    result = run(
        *generate_args(
            tiny_registry,
            fixture_templates,
            tmp_path,
            "--param",
            "excluded=[cart]",
            "-D",
            "title=From the CLI",
        )
    )
    assert result.exit_code == 0, result.output
    assert not (tmp_path / "ns" / "cart.txt").exists()
    assert (tmp_path / "summary.txt").read_text().startswith("From the CLI: ")


def test_repeated_registry_adds_an_overlay(run, tiny_registry, overlay_file, fixture_templates, tmp_path):
    result = run(
        "generate", "-r", tiny_registry, "-r", overlay_file, "-t", fixture_templates, "tiny", tmp_path
    )
    assert result.exit_code == 0, result.output
    assert "SHOP_COUPON_CODE" in (tmp_path / "ns" / "shop.txt").read_text()


def test_check_passes_on_fresh_output_and_writes_nothing(run, tiny_registry, fixture_templates, tmp_path):
    run(*generate_args(tiny_registry, fixture_templates, tmp_path))
    before = {p: p.stat().st_mtime_ns for p in tmp_path.rglob("*")}
    result = run(*generate_args(tiny_registry, fixture_templates, tmp_path, "--check"))
    assert result.exit_code == 0, result.output
    assert "7 file(s) up to date" in result.output
    assert {p: p.stat().st_mtime_ns for p in tmp_path.rglob("*")} == before


@pytest.mark.parametrize(
    "change, expected",
    [
        (lambda out: (out / "ns" / "shop.txt").write_text("edited\n"), "differs: ns/shop.txt"),
        (lambda out: (out / "summary.txt").unlink(), "missing: summary.txt"),
        (lambda out: (out / "ns" / "old.txt").write_text(""), "extra: ns/old.txt"),
    ],
)
def test_check_fails_naming_the_file(run, tiny_registry, fixture_templates, tmp_path, change, expected):
    run(*generate_args(tiny_registry, fixture_templates, tmp_path))
    change(tmp_path)
    result = run(*generate_args(tiny_registry, fixture_templates, tmp_path, "--check"))
    assert result.exit_code == 1
    assert expected in result.output
    assert "1 file(s) out of date" in result.output


def test_check_on_an_empty_folder_fails(run, tiny_registry, fixture_templates, tmp_path):
    result = run(*generate_args(tiny_registry, fixture_templates, tmp_path / "empty", "--check"))
    assert result.exit_code == 1
    assert "missing: summary.txt" in result.output


def test_generation_error_exits_2_naming_the_template(run, tiny_registry, fixture_templates, tmp_path):
    templates = tmp_path / "templates"
    target = templates / "registry" / "tiny"
    target.mkdir(parents=True)
    (target / "weaver.yaml").write_text("templates:\n  - template: a.j2\n    application_mode: single\n")
    (target / "a.j2").write_text("\n{{ ctx.groups | enum_type }}\n")
    result = run(*generate_args(tiny_registry, templates, tmp_path / "out"))
    assert result.exit_code == 2
    assert f"{target}/a.j2:2" in result.output
    assert not (tmp_path / "out").exists()


def test_bad_param_is_a_usage_error(run, tiny_registry, fixture_templates, tmp_path):
    result = run(*generate_args(tiny_registry, fixture_templates, tmp_path, "--param", "no-equals-sign"))
    assert result.exit_code == 2
    assert "expected key=value" in result.output


def test_registry_is_required(run, fixture_templates, tmp_path):
    result = run("generate", "--templates", fixture_templates, "tiny", tmp_path)
    assert result.exit_code == 2
    assert "--registry" in result.output


def test_default_templates_are_the_bundled_ones(run, tiny_registry, tmp_path):
    result = run("generate", "--registry", tiny_registry, "markdown", tmp_path)
    assert result.exit_code == 0, result.output
    assert (tmp_path / "attributes" / "shop.md").is_file()
