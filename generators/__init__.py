"""Weaver-compatible code generation: pure functions from a registry and templates to files.

`generate(registry, templates_dir, target, params)` reads the target's weaver.yaml files, builds the
registry document Weaver's templates expect, runs each entry's jq `when`/`filter` (with Weaver's
`semconv_*` helpers) and renders the Jinja templates, returning {relative path: text}; nothing is
written. `write_outputs` writes such a result atomically; `check_outputs` lists the files of an
output folder that differ, are missing or are extra. Every failure is a `GenerationError` naming the
file (and line) at fault. Bundled targets live in templates/registry/: `python` and `markdown`.
See docs/generators.md for the supported Weaver features.
"""

from .engine import BUNDLED_TEMPLATES, generate
from .errors import GenerationError
from .outputs import OutputProblem, ProblemKind, check_outputs, write_outputs

__all__ = [
    "BUNDLED_TEMPLATES",
    "GenerationError",
    "OutputProblem",
    "ProblemKind",
    "check_outputs",
    "generate",
    "write_outputs",
]
