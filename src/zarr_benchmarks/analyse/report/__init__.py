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

from typing import TYPE_CHECKING

from zarr_benchmarks._once import lazy_attributes

#: public name -> module that defines it; loaded on first use, so that ``table``,
#: ``recommend`` and ``views`` work without matplotlib (the ``report`` extra)
_PUBLIC = {
    "ReportOutput": "zarr_benchmarks.analyse.report.build",
    "build_report": "zarr_benchmarks.analyse.report.build",
    "pareto_front": "zarr_benchmarks.analyse.report.pareto",
    "Record": "zarr_benchmarks.analyse.report.table",
    "ReportInputError": "zarr_benchmarks.analyse.report.table",
    "ResultSet": "zarr_benchmarks.analyse.report.table",
    "latest": "zarr_benchmarks.analyse.report.table",
    "load_results": "zarr_benchmarks.analyse.report.table",
    "records_from_documents": "zarr_benchmarks.analyse.report.table",
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


__getattr__, __dir__ = lazy_attributes(globals(), _PUBLIC)
