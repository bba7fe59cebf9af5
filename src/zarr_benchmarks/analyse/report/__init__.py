"""See the results: a tidy table, Pareto fronts, figures, recommendations, an HTML report.

>>> from zarr_benchmarks.analyse.report import build_report
>>> build_report("results", "report")  # doctest: +SKIP

Modules
-------
table       reduced result files -> :class:`~zarr_benchmarks.analyse.report.table.Record` rows
pareto      Pareto front (maximise ratio and throughput)
views       series for each figure (shared with the service dashboard)
recommend   best measured codec/chunks per modality and compression profile
figures     matplotlib figures (Agg), PNG and SVG
html        the Jinja2 report page
build       all of the above into an output folder
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

#: public name -> module; loaded on first use, so that ``table``, ``recommend`` and
#: ``views`` work without matplotlib (the ``report`` extra) until a figure is drawn
_PUBLIC = {
    "ReportOutput": "build",
    "build_report": "build",
    "pareto_front": "pareto",
    "Record": "table",
    "ReportInputError": "table",
    "ResultSet": "table",
    "latest": "table",
    "load_results": "table",
    "records_from_documents": "table",
}

if TYPE_CHECKING:
    from zarr_benchmarks.analyse.report.build import ReportOutput, build_report
    from zarr_benchmarks.analyse.report.pareto import pareto_front
    from zarr_benchmarks.analyse.report.table import (
        Record,
        ReportInputError,
        ResultSet,
        latest,
        load_results,
        records_from_documents,
    )

__all__ = [
    "Record",
    "ReportInputError",
    "ReportOutput",
    "ResultSet",
    "build_report",
    "latest",
    "load_results",
    "pareto_front",
    "records_from_documents",
]


def __getattr__(name: str) -> Any:
    module = _PUBLIC.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    globals()[name] = value
    return value
