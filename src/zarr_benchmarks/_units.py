"""Values with their units, as people read them: ``1.23 ms``, ``4.5 GiB``, ``3.1 ratio``.

One formatter for every table the CLI, ``compare`` and ``history`` print.
"""

from __future__ import annotations

import math

__all__ = ["format_value"]


def format_value(value: float | None, unit: str) -> str:
    """Human-readable value: seconds and bytes scaled, other units as they are."""
    if value is None or not math.isfinite(value):
        return "-"
    if unit == "seconds":
        for scale, suffix in ((1.0, "s"), (1e-3, "ms"), (1e-6, "µs")):
            if abs(value) >= scale:
                return f"{value / scale:.3g} {suffix}"
        return f"{value * 1e9:.3g} ns"
    if unit == "bytes":
        for scale, suffix in ((2**30, "GiB"), (2**20, "MiB"), (2**10, "KiB")):
            if abs(value) >= scale:
                return f"{value / scale:.3g} {suffix}"
        return f"{value:.0f} B"
    return f"{value:.4g} {unit}".strip()
