"""Compare two sets of benchmark results with verdicts that hold on real runs.

BASE and NEW are reduced result files (docs/formats.md), folders of them, or raw
asv result files (reduced in memory through :mod:`zarr_benchmarks.results.reduce`; a plain
``asv run`` result compares with a ``zarr-benchmarks run`` result when the benchmark
names and parameters match). Benchmarks are paired by name, parameters and asv version
hash, and each pair is judged by what its results are (:func:`compare_entries`):

- results measured in independent **blocks** (the A/B drivers record them): paired
  block statistics with a confidence interval, against the benchmark's own noise
  threshold (learned from A/A runs, :mod:`zarr_benchmarks.analyse.noise`) -- regression,
  improvement, unchanged or inconclusive;
- **deterministic** values (compression ratio, stored bytes): any change beyond
  rounding is a behaviour change;
- **single values** (peak memory, rates; timings of one process per side, labelled
  lower confidence): ratio of the medians against a factor.

Whether a change is a regression depends on the benchmark: times and memory should go
down, throughputs (``.../s``) and compression ratios (unit ``ratio``) should go up. A
benchmark that ran in BASE and fails in NEW is a regression.

Results from different machines are refused unless ``cross_machine=True``; then each
side's figures are divided by that side's own reference measurements from the same
run (``bench_reference.*``: raw codec encode/decode time for the same modality and
codec when both sides have it, memory-copy bandwidth otherwise).
"""

from zarr_benchmarks.analyse.compare._entries import (
    DEFAULT_ALPHA,
    DEFAULT_FACTOR,
    DEFAULT_VALUE_FACTOR,
    DETERMINISTIC_RTOL,
    PRESET_SIZES,
    REFERENCE_PREFIX,
    STATUS_ORDER,
    CompareInputError,
    Entry,
    References,
    entries_from_docs,
    extract_references,
    format_params,
    load_results,
    params_key,
)
from zarr_benchmarks.analyse.compare._judge import (
    METHODS,
    Comparison,
    Row,
    compare_docs,
    compare_entries,
    compare_paths,
    higher_is_better,
    is_deterministic,
    judge_pairs,
    new_row,
)
from zarr_benchmarks.analyse.compare._render import (
    WIDE_MIN_COLUMNS,
    ComparisonView,
    WidthLayout,
    format_value,
    label_lines,
    label_tokens,
    label_width,
    pack_cells,
    plain_lines,
    render_markdown,
    render_rich,
    summary_line,
    wrap_words,
)

__all__ = [
    "DEFAULT_ALPHA",
    "DEFAULT_FACTOR",
    "DEFAULT_VALUE_FACTOR",
    "DETERMINISTIC_RTOL",
    "METHODS",
    "PRESET_SIZES",
    "REFERENCE_PREFIX",
    "STATUS_ORDER",
    "WIDE_MIN_COLUMNS",
    "CompareInputError",
    "Comparison",
    "ComparisonView",
    "Entry",
    "References",
    "Row",
    "WidthLayout",
    "compare_docs",
    "compare_entries",
    "compare_paths",
    "entries_from_docs",
    "extract_references",
    "format_params",
    "format_value",
    "higher_is_better",
    "is_deterministic",
    "judge_pairs",
    "label_lines",
    "label_tokens",
    "label_width",
    "load_results",
    "new_row",
    "pack_cells",
    "params_key",
    "plain_lines",
    "render_markdown",
    "render_rich",
    "summary_line",
    "wrap_words",
]
