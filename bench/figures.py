"""How every benchmark states latency: p50, p99 and the worst, in milliseconds."""

from __future__ import annotations

import statistics


def latency(samples: list[float]) -> str:
    """'p50 1.23 ms   p99 4.56 ms   max 7.89 ms' for samples in seconds."""
    ordered = sorted(samples)
    p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]
    return (
        f"p50 {statistics.median(ordered) * 1000:7.3f} ms   p99 {p99 * 1000:7.3f} ms   "
        f"max {ordered[-1] * 1000:7.3f} ms"
    )
