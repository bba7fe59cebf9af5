"""Values with their units, as people read them: ``1.23 ms``, ``4.5 GiB``, ``3.14x``.

One formatter for every table the CLI, ``compare`` and ``history`` print.
"""

from __future__ import annotations

import math

__all__ = ["RATIO_UNITS", "format_ratio", "format_value"]

#: units whose values are ratios (compression ratio, speed-up), all shown as ``3.14x``
RATIO_UNITS = frozenset({"ratio", "compression ratio", "x"})


def format_ratio(value: float | None) -> str:
    """A ratio as every table shows it: ``3.14x`` (JSON output keeps the number)."""
    if value is None or not math.isfinite(value):
        return "-"
    return f"{value:.2f}x"


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
    if unit in RATIO_UNITS:
        return format_ratio(value)
    return f"{value:.4g} {unit}".strip()
