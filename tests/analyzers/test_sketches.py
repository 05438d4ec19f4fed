"""The vectorized HyperLogLog: accurate within a few percent, mergeable, picklable."""

from __future__ import annotations

import pickle

import polars as pl
import pytest

from weavergen.analyzers.sketches import HyperLogLog


@pytest.mark.parametrize("n", [0, 1, 7, 100, 5_000, 200_000])
def test_estimate_is_close_and_repeats_do_not_count(n):
    values = pl.Series([f"user-{i}" for i in range(n)], dtype=pl.String)
    sketch = HyperLogLog()
    sketch.update(values)
    sketch.update(values[: n // 2])  # values seen again
    assert sketch.get() == pytest.approx(n, rel=0.05, abs=1)


def test_merge_equals_one_sketch_over_both_halves():
    a, b, both = HyperLogLog(), HyperLogLog(), HyperLogLog()
    first, second = pl.Series([f"a{i}" for i in range(3000)]), pl.Series([f"b{i}" for i in range(3000)])
    a.update(first)
    b.update(second)
    both.update(pl.concat([first, second]))
    a.merge(b)
    assert a.get() == both.get()
    assert pickle.loads(pickle.dumps(a)).get() == a.get()
