"""A HyperLogLog distinct-value counter that takes a whole batch of hashes at once.

river.sketch.NUnique is the same algorithm, but it is updated one Python call per value (~3 µs each);
an attribute whose value is unique per span (ids) would then cost more than ingesting the span. Here
the registers are a numpy array and a batch of polars hashes updates them in one vectorized step.
Registers of two counters merge by element-wise maximum.
"""

from __future__ import annotations

import numpy as np
import polars as pl

_BITS = 64


class HyperLogLog:
    def __init__(self, precision: int = 12) -> None:
        self.precision = precision
        self.registers = np.zeros(1 << precision, dtype=np.uint8)

    def update_hashes(self, hashes: np.ndarray) -> None:
        """Add 64-bit hashes (e.g. ``polars.Series.hash()``) of the values seen."""
        if not len(hashes):
            return
        hashes = hashes.astype(np.uint64, copy=False)
        p = self.precision
        index = (hashes >> np.uint64(_BITS - p)).astype(np.int64)
        rest = hashes << np.uint64(p)
        # Rank = position of the first 1-bit in the remaining bits (leading zeros + 1), capped.
        rank = np.full(len(hashes), _BITS - p + 1, dtype=np.uint8)
        nonzero = rest != 0
        leading = _BITS - np.floor(np.log2(rest[nonzero].astype(np.float64))).astype(np.int64) - 1
        rank[nonzero] = np.minimum(leading + 1, _BITS - p + 1).astype(np.uint8)
        np.maximum.at(self.registers, index, rank)

    def update(self, values: pl.Series) -> None:
        self.update_hashes(values.hash(seed=0x5EED).to_numpy())

    def get(self) -> float:
        m = float(len(self.registers))
        alpha = 0.7213 / (1 + 1.079 / m)
        estimate = alpha * m * m / np.sum(np.power(2.0, -self.registers.astype(np.float64)))
        zeros = int(np.count_nonzero(self.registers == 0))
        if estimate <= 2.5 * m and zeros:
            return m * np.log(m / zeros)  # linear counting is exact-ish for small sets
        return float(estimate)

    def merge(self, other: HyperLogLog) -> None:
        np.maximum(self.registers, other.registers, out=self.registers)
