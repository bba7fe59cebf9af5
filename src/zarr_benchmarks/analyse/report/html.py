"""The report page: a Jinja2 template shipped in the package, rendered to ``index.html``."""

from __future__ import annotations

import math
from typing import Any

__all__ = ["fmt", "mbs", "render_report"]


def fmt(value: Any, digits: int = 1, suffix: str = "") -> str:
    """A number for a table cell: thousands separators, ``—`` for missing values."""
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "—"
    if isinstance(value, int | float):
        return f"{value:,.{digits}f}{suffix}"
    return str(value)


def mbs(value: Any) -> str:
    """Throughput for a table cell: 3 significant digits below 100, whole numbers above."""
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "—"
    return f"{value:,.0f}" if abs(value) >= 100 else f"{value:.3g}"


def pct(value: Any) -> str:
    """A share (0..1+) as a percentage."""
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "—"
    return f"{100 * value:.0f}%"


def gib(value: Any) -> str:
    """Bytes as GiB."""
    if not isinstance(value, int | float):
        return "—"
    return f"{value / 2**30:.1f} GiB"


def render_report(context: dict[str, Any]) -> str:
    """Render ``templates/report.html.j2`` with ``context`` (autoescaped)."""
    from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

    env = Environment(
        loader=PackageLoader("zarr_benchmarks.analyse.report", "templates"),
        autoescape=select_autoescape(["html", "j2"], default=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(fmt=fmt, mbs=mbs, pct=pct, gib=gib)
    return env.get_template("report.html.j2").render(**context)
