"""The Jinja2 environment of one target: Weaver's syntax and whitespace settings, filters and tests.

Differences from MiniJinja that templates would notice are smoothed where cheap: dict keys win over
dict methods (`ctx.items` is the key, not `dict.items`), booleans and null print as `true`, `false`
and `none`, and MiniJinja's `split`/`lines` filters and `startingwith`/`endingwith`/`containing`
tests exist.
"""

from __future__ import annotations

from typing import Any

from jinja2 import Environment, FileSystemLoader, Undefined

from . import semconv_filters, text_filters
from .case import CASE_FILTERS, CONST_FILTERS
from .comment import CommentFilter
from .config import TargetConfig


class _Environment(Environment):
    def getattr(self, obj: Any, attribute: str) -> Any:
        if isinstance(obj, dict) and attribute in obj:
            return obj[attribute]
        return super().getattr(obj, attribute)


def _finalize(value: Any) -> Any:
    if value is True:
        return "true"
    if value is False:
        return "false"
    if value is None:
        return "none"
    return value


def build_environment(config: TargetConfig) -> Environment:
    syntax = config.template_syntax
    html = {
        name
        for name in config.template_files()
        if any(e.auto_escape == "html" and e.matches(name) for e in config.templates)
    }
    env = _Environment(
        loader=FileSystemLoader(str(config.target_dir), encoding="utf-8"),
        undefined=Undefined,
        autoescape=lambda name: name in html,
        trim_blocks=config.whitespace_control.get("trim_blocks", False),
        lstrip_blocks=config.whitespace_control.get("lstrip_blocks", False),
        keep_trailing_newline=config.whitespace_control.get("keep_trailing_newline", False),
        extensions=["jinja2.ext.loopcontrols", "jinja2.ext.do"],
        finalize=_finalize,
        auto_reload=False,
        block_start_string=syntax.get("block_start", "{%"),
        block_end_string=syntax.get("block_end", "%}"),
        variable_start_string=syntax.get("variable_start", "{{"),
        variable_end_string=syntax.get("variable_end", "}}"),
        comment_start_string=syntax.get("comment_start", "{#"),
        comment_end_string=syntax.get("comment_end", "#}"),
    )
    env.filters.update(CASE_FILTERS)
    env.filters.update(CONST_FILTERS)
    env.filters.update(semconv_filters.FILTERS)
    env.filters.update(text_filters.ansi_filters())
    env.filters.update(
        acronym=text_filters.acronym(config.acronyms),
        map_text=text_filters.map_text(config.text_maps),
        type_mapping=text_filters.type_mapping(config.type_mapping),
        regex_replace=text_filters.regex_replace,
        comment=CommentFilter(config.comment_formats, config.default_comment_format),
        comment_with_prefix=text_filters.comment_with_prefix,
        split=text_filters.split,
        lines=text_filters.lines,
    )
    env.tests.update(semconv_filters.TESTS)
    env.tests.update(
        startingwith=text_filters.startingwith,
        endingwith=text_filters.endingwith,
        containing=text_filters.containing,
    )
    env.globals["concat_if"] = text_filters.concat_if
    return env
