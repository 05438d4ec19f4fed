"""Attribute values and texts that look like sensitive data (Instrumentation Score RES-010 and SPA-006).

A value is sensitive when it matches one of ``SENSITIVE_PATTERNS``, holds a payment card (13–19 digits
starting with 2–6 that pass Luhn, ints in decimal too), or is non-empty under a ``SENSITIVE_KEY``.
"""

from __future__ import annotations

import polars as pl

# The value after "=" or ":" of a key-value pair, unless it is a query placeholder (?, $1, :name, %s).
_VALUE = r"""["']?\s*[=:]\s*["']?[^\s&;,'"?$:%][^\s&;,'"]*"""
SENSITIVE_PATTERNS = {
    "an email address": r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}",
    "a national id number": r"(?-u:\b)[0-9]{3}-[0-9]{2}-[0-9]{4}(?-u:\b)",
    "a credential": r"(?i:bearer\s+[A-Za-z0-9._~+/-]{8,})|(?-u:\b)sk-[A-Za-z0-9_-]{8,}"
                    r"|(?-u:\b)AKIA[0-9A-Z]{16}|(?-u:\b)gh[pousr]_[A-Za-z0-9]{20,}"
                    r"|(?-u:\b)xox[abprs]-[A-Za-z0-9-]{10,}|eyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}",
    "a secret in a key-value pair": r"(?i:password|passwd|pwd|secret|token|api[_-]?key|access[_-]?key"
                                    r"|private[_-]?key|credentials?)" + _VALUE,
    "a financial identifier": r"(?i:iban|account[_-]?(?:number|no)|routing[_-]?number|tax[_-]?id"
                              r"|vat[_-]?(?:id|number)|ssn)" + _VALUE,
    "health data": r"(?i:diagnosis|patient[_-]?id|insurance[_-]?id|medical[_-]?record(?:[_-]?number)?"
                   r"|mrn)" + _VALUE,
}
SENSITIVE_KEY = (r"(?i)(?:^|[._-])(?:password|passwd|pwd|secret|token|api[_-]?key|apikey|private[_-]?key"
                 r"|ssn|authorization|cookie|credit[_-]?card|card[_-]?number)$")
_CARD = r"[0-9](?:[ -]?[0-9]){12,}"
_ANY_SENSITIVE = "|".join([*SENSITIVE_PATTERNS.values(), _CARD])


def _luhn(digits: pl.Expr) -> pl.Expr:
    values = digits.str.reverse().str.split("").list.eval(pl.element().cast(pl.Int32))
    doubled = pl.element() * 2 - pl.when(pl.element() > 4).then(9).otherwise(0)
    summed = values.list.eval(pl.when(pl.int_range(pl.len()) % 2 == 1).then(doubled).otherwise(pl.element()))
    return summed.list.sum() % 10 == 0


def _card_rows(texts: pl.Series) -> pl.Series:
    """Per text: does it hold a 13–19 digit number that starts with 2–6 and passes Luhn?"""
    frame = pl.DataFrame({"text": texts}, schema={"text": pl.String}).with_row_index("row")
    candidates = (
        frame.select("row", pl.col("text").str.extract_all(_CARD).alias("number")).explode("number")
        .with_columns(pl.col("number").str.replace_all(r"[ -]", ""))
        .filter(pl.col("number").str.len_chars().is_between(13, 19) & pl.col("number").str.contains("^[2-6]"))
    )
    cards = candidates.filter(_luhn(pl.col("number")))["row"]
    return frame.select(pl.col("row").is_in(cards.implode()))["row"]


def sensitive_reason(texts: pl.Series) -> pl.Series:
    """Why each text looks sensitive, or null."""
    frame = pl.DataFrame({"text": texts, "card": _card_rows(texts)})
    reason = pl.when(pl.col("card")).then(pl.lit("a payment card number"))
    for name, pattern in SENSITIVE_PATTERNS.items():
        reason = reason.when(pl.col("text").str.contains(pattern)).then(pl.lit(name))
    return frame.select(reason.otherwise(None).alias("reason"))["reason"]


def sensitive_values(attributes: pl.DataFrame, owner: str) -> pl.DataFrame:
    """Attribute rows that look sensitive: the ``owner`` column, key and reason, one row per (owner, key).

    One combined regex pass over the string values; each pattern and Luhn only run on its hits."""
    keys = attributes["key"].unique()
    secret_keys = keys.filter(keys.str.contains(SENSITIVE_KEY)).implode()
    has_value = (pl.col("string_value").str.len_chars() > 0) | pl.col("int_value").is_not_null()
    found = [attributes.filter(pl.col("key").is_in(secret_keys) & has_value)
             .select(owner, "key", pl.lit("a value under a secret's key").alias("reason"))]
    texts = ["string_value", "json_value"] if "json_value" in attributes.columns else ["string_value"]
    for text in texts:
        hits = attributes.filter(pl.col(text).str.contains(_ANY_SENSITIVE)).select(owner, "key", text)
        found.append(hits.with_columns(sensitive_reason(hits[text])).drop(text))
    numbers = attributes.filter(pl.col("int_value").abs().is_between(10**12, 10**19 - 1)).select(
        owner, "key", pl.col("int_value").abs().cast(pl.String).alias("number"))
    found.append(numbers.filter(_card_rows(numbers["number"]))
                 .select(owner, "key", pl.lit("a payment card number").alias("reason")))
    return pl.concat(found).drop_nulls("reason").unique([owner, "key"], keep="first")
