"""`weavergen generate`: Weaver-compatible code generation from a semantic-convention registry.

    weavergen generate --registry model/ [--registry overlay.yaml] [--templates templates/] \\
        python out/ [--param key=yaml]... [--check]

Exit codes: 0 done (or up to date), 1 `--check` found differences, 2 bad arguments or a generation error.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
import yaml

from .engine import BUNDLED_TEMPLATES, generate
from .errors import GenerationError
from .outputs import check_outputs, write_outputs

RegistryOption = Annotated[
    list[Path],
    typer.Option(
        "--registry", "-r", metavar="PATH", help="Registry directory; repeat to add overlay files or folders."
    ),
]
TemplatesOption = Annotated[
    Path | None,
    typer.Option("--templates", "-t", metavar="DIR", help="Templates root (default: the bundled templates)."),
]
ParamOption = Annotated[
    list[str] | None,
    typer.Option("--param", "-D", metavar="KEY=YAML", help="key=value, the value read as YAML; repeatable."),
]


def parse_params(values: list[str]) -> dict[str, Any]:
    params: dict[str, Any] = {}
    for value in values:
        key, separator, text = value.partition("=")
        if not separator or not key.strip():
            raise typer.BadParameter(f"expected key=value, got {value!r}", param_hint="--param")
        try:
            params[key.strip()] = yaml.safe_load(text)
        except yaml.YAMLError as exc:
            raise typer.BadParameter(
                f"{key}: the value is not valid YAML: {exc}", param_hint="--param"
            ) from exc
    return params


def generate_command(
    target: Annotated[
        str, typer.Argument(metavar="TARGET", help="Target folder under <templates>/registry/, e.g. python.")
    ],
    output_dir: Annotated[
        Path, typer.Argument(metavar="OUTPUT_DIR", help="Where the files go (compared with, under --check).")
    ],
    registry: RegistryOption,
    templates: TemplatesOption = None,
    param: ParamOption = None,
    check: Annotated[
        bool, typer.Option("--check", help="Write nothing; exit 1 if OUTPUT_DIR is not up to date.")
    ] = False,
) -> None:
    """Generate files from a semantic-convention registry with Weaver templates (weaver.yaml + Jinja)."""
    params = parse_params(param or [])
    try:
        outputs = generate(registry, templates or BUNDLED_TEMPLATES, target, params)
    except GenerationError as exc:
        typer.echo(f"generation failed: {exc}", err=True)
        raise typer.Exit(2) from None
    if check:
        _check(outputs, output_dir)
        return
    written = write_outputs(outputs, output_dir)
    typer.echo(
        f"{len(outputs)} file(s) generated in {output_dir} ({len(written)} written, "
        f"{len(outputs) - len(written)} unchanged)"
    )


def _check(outputs: dict[str, str], output_dir: Path) -> None:
    problems = check_outputs(outputs, output_dir)
    for problem in problems:
        typer.echo(str(problem))
    if problems:
        typer.echo(
            f"{len(problems)} file(s) out of date in {output_dir}; run without --check to regenerate",
            err=True,
        )
        raise typer.Exit(1)
    typer.echo(f"{len(outputs)} file(s) up to date in {output_dir}")


def register(app: typer.Typer) -> None:
    app.command("generate")(generate_command)
