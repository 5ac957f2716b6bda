"""Token buckets per key (a client address): at most `rate` events a second on average, bursts
up to `burst`. Pure and in memory: each worker process keeps its own, bounded in size."""

from __future__ import annotations

from collections import OrderedDict


class TokenBuckets:
    def __init__(self, *, rate: float, burst: int, max_keys: int = 10_000) -> None:
        self.rate, self.burst, self.max_keys = rate, burst, max_keys
        self._buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()  # key: tokens, at

    def allow(self, key: str, now: float) -> bool:
        """Take one token for `key` at monotonic time `now`; False when none is left."""
        tokens, at = self._buckets.pop(key, (float(self.burst), now))
        tokens = min(float(self.burst), tokens + (now - at) * self.rate)
        allowed = tokens >= 1
        self._buckets[key] = (tokens - 1 if allowed else tokens, now)
        while len(self._buckets) > self.max_keys:  # the least recently seen go first
            self._buckets.popitem(last=False)
        return allowed
