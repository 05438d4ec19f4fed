"""``python -m weavergen.collector.ci check|live-check …``: the CI commands without the rest of the CLI."""

import typer

from .cli import register

app = typer.Typer(help="WeaverGen CI checks: spans in, verdict out.", no_args_is_help=True,
                  pretty_exceptions_enable=False)
register(app)

if __name__ == "__main__":
    app()
