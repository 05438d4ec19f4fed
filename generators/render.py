"""Render one target: match template files against the `templates:` entries, run `when` and `filter`,
and render each template once (single) or once per element (each) with Jinja2.

Templates see `ctx` (the filter result or one element of it), `params` (file-level params, then the
entry's, then the caller's) and `template`, whose `set_file_name(path)` picks the output path.
"""

from __future__ import annotations

import os
import posixpath
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from functools import partial
from typing import Any

from jinja2 import Environment, Template, TemplateError, TemplateSyntaxError

from . import jq_batch
from .config import TargetConfig, TemplateEntry
from .environment import build_environment
from .errors import GenerationError


class TemplateObject:
    """The `template` variable: `{{ template.set_file_name("a/b.py") }}` renders nothing."""

    def __init__(self, file_name: str) -> None:
        self.file_name = file_name

    def set_file_name(self, file_name: str) -> str:
        self.file_name = str(file_name)
        return ""


@dataclass(frozen=True)
class Rendered:
    path: str
    text: str
    origin: str


def render_target(config: TargetConfig, document_json: str, params: Mapping[str, Any]) -> dict[str, str]:
    env = build_environment(config)
    matches = [
        (relative, index)
        for relative in config.template_files()
        for index, entry in enumerate(config.templates)
        if entry.matches(relative)
    ]
    results = _select(config, sorted({index for _, index in matches}), document_json, params)
    outputs: dict[str, Rendered] = {}
    for relative, index in matches:
        entry = config.templates[index]
        for rendered in _render_entry(
            env, config, entry, relative, results[index], _params(config, entry, params)
        ):
            _add(outputs, rendered)
    return {path: outputs[path].text for path in sorted(outputs)}


def _params(config: TargetConfig, entry: TemplateEntry, cli_params: Mapping[str, Any]) -> dict[str, Any]:
    return {**config.params, **entry.params, **cli_params}


def _select(
    config: TargetConfig, indexes: list[int], document_json: str, cli_params: Mapping[str, Any]
) -> dict[int, Any]:
    """Each used entry's `when` + `filter` result, one jq run per distinct set of params."""
    by_params: dict[str, list[int]] = {}
    for index in indexes:
        key = jq_batch.params_key(_params(config, config.templates[index], cli_params))
        by_params.setdefault(key, []).append(index)
    results: dict[int, Any] = {}
    for group in by_params.values():
        entries = [config.templates[i] for i in group]
        selections = [jq_batch.Selection(e.filter, e.when, e.origin) for e in entries]
        params = _params(config, entries[0], cli_params)
        results.update(zip(group, jq_batch.select(selections, document_json, params), strict=True))
    return results


def _render_entry(
    env: Environment,
    config: TargetConfig,
    entry: TemplateEntry,
    relative: str,
    result: Any,
    params: dict[str, Any],
) -> Iterator[Rendered]:
    if result is jq_batch.SKIPPED:
        return
    if entry.application_mode == "single":
        contexts = [] if result is None or result == [] else [result]
    else:
        contexts = result if isinstance(result, list) else [result]
    if not contexts:
        return
    template = _load(env, config, relative)
    name_template = _file_name_template(env, entry)
    for ctx in contexts:
        if name_template is None:
            file_name = relative.removesuffix(".j2")
        else:
            file_name = _guarded(partial(name_template.render, ctx=ctx, params=params), config, entry.origin)
        target = TemplateObject(file_name)
        text = _guarded(partial(template.render, ctx=ctx, params=params, template=target), config, relative)
        yield Rendered(_output_path(target.file_name, relative), text, relative)


def _guarded(render: Callable[[], str], config: TargetConfig, source: str) -> str:
    try:
        return render()
    except GenerationError as exc:
        raise _runtime_error(exc, exc.message, config, source) from exc
    except TemplateError as exc:
        raise _runtime_error(exc, f"{type(exc).__name__}: {exc.message or exc}", config, source) from exc
    except Exception as exc:  # filters may raise anything: re-raised with the template and line
        raise _runtime_error(exc, f"{type(exc).__name__}: {exc}", config, source) from exc


def _load(env: Environment, config: TargetConfig, relative: str) -> Template:
    try:
        return env.get_template(relative)
    except TemplateSyntaxError as exc:
        where = f"{exc.filename or config.target_dir / relative}:{exc.lineno}"
        raise GenerationError(f"template syntax error: {exc.message}", where) from exc
    except TemplateError as exc:
        raise GenerationError(f"cannot load template: {exc}", str(config.target_dir / relative)) from exc


def _file_name_template(env: Environment, entry: TemplateEntry) -> Template | None:
    if entry.file_name is None:
        return None
    try:
        return env.from_string(entry.file_name)
    except TemplateSyntaxError as exc:
        raise GenerationError(f"invalid file_name {entry.file_name!r}: {exc.message}", entry.origin) from exc


def _runtime_error(exc: BaseException, message: str, config: TargetConfig, source: str) -> GenerationError:
    """The error at the innermost template frame Jinja left in the traceback (macros included).

    `source` is the template's path in the target folder, or the weaver.yaml entry of a `file_name`.
    """
    where = source if "#templates[" in source else f"{config.target_dir / source}"
    templates = f"{config.target_dir}{os.sep}"
    tb = exc.__traceback__
    while tb is not None:
        filename = tb.tb_frame.f_code.co_filename
        if filename.startswith(templates) and not filename.endswith(".py"):
            where = f"{filename}:{tb.tb_lineno}"
        tb = tb.tb_next
    return GenerationError(f"template error: {message}", where)


def _output_path(file_name: str, relative: str) -> str:
    path = posixpath.normpath(file_name.replace("\\", "/").strip())
    if not file_name.strip() or path.startswith(("/", "../")) or path in (".", ".."):
        raise GenerationError(
            f"output file name {file_name!r} must be a relative path inside the output folder", relative
        )
    return path


def _add(outputs: dict[str, Rendered], rendered: Rendered) -> None:
    previous = outputs.get(rendered.path)
    if previous is not None and previous.text != rendered.text:
        origins = f"{previous.origin} and {rendered.origin}"
        raise GenerationError(f"two renders write {rendered.path} with different content ({origins})")
    outputs[rendered.path] = rendered
