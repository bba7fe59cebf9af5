"""Per-modality recommendations for each compression profile, from measured results.

Results are kept apart by what they measured: each ``(modality, preset, array size)``
group is ranked on its own, so figures of tiny smoke-test arrays never pool with (or
average into) figures of the default preset's small arrays.  Within a group each
``(codec, chunks)`` combination gets three figures pooled over the
machines that measured it (the median of each machine's newest value): compression
ratio, write MB/s and read MB/s.  Candidates are the profile's own codecs
(:attr:`CompressionProfile.codecs`) that were measured; when none was, every measured
codec is a candidate and the row says so.  They are ranked by the profile's goal:

``compression``  highest ratio (ties: faster write)
``write``        highest write MB/s
``read``         highest read MB/s
``balanced``     highest geometric mean of ratio, write and read MB/s, each divided
                 by the best candidate's value (so all three count equally)

With ``storage_mb_s`` (the bandwidth of the storage the data will live on, see
:mod:`zarr_benchmarks.suite.storage`), write and read MB/s are the effective figures a
user sees there, ``1 / (1 / measured + 1 / (ratio * storage))``: the measured time
plus the stored bytes crossing the storage. Without it they are the measured
figures (a local disk with a warm page cache), where ``none`` often wins; every
recommendation says which basis it used in ``reason``.
"""

from __future__ import annotations

import math
import statistics
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass, replace
from typing import Any

from zarr_benchmarks.analyse.report.table import Record
from zarr_benchmarks.data.dataset_types import CompressionProfile

__all__ = ["Best", "Combination", "Recommendation", "best_per_goal", "combinations", "recommend"]


@dataclass(frozen=True)
class Combination:
    """Pooled figures of one modality/codec/chunks combination."""

    modality: str
    codec: str
    chunks: str
    ratio: float | None
    write_mb_s: float | None
    read_mb_s: float | None
    machines: int
    #: the preset and array size every pooled figure was measured at
    preset: str = ""
    size: str = ""


@dataclass(frozen=True)
class Recommendation:
    """The best measured combination for one modality and profile."""

    modality: str
    profile: str
    goal: str
    codec: str
    chunks: str
    ratio: float | None
    write_mb_s: float | None
    read_mb_s: float | None
    machines: int
    candidates: int
    #: how the candidates were chosen, shown beside the recommendation
    basis: str
    #: the storage the throughputs are for
    storage: str = "as measured (local disk)"
    #: why this codec, in one sentence
    reason: str = ""
    #: the preset and array size of the group ranked (never pooled across groups)
    preset: str = ""
    size: str = ""

    def to_json(self) -> dict[str, Any]:
        """Plain JSON form."""
        return asdict(self)


def _pool(values: list[float]) -> float | None:
    return float(statistics.median(values)) if values else None


def combinations(records: Iterable[Record]) -> list[Combination]:
    """Pool ``write``/``read``/``ratio`` records (newest per machine) per combination.

    A combination is a modality, codec and chunk layout *at one preset and array size*:
    the same codec measured at two sizes is two combinations, never one average.
    """
    by_key: dict[tuple[str, str, str, str, str], dict[str, dict[str, float]]] = defaultdict(
        lambda: defaultdict(dict)
    )
    for r in records:
        if r.metric not in {"write", "read", "ratio"} or not (r.modality and r.codec and r.chunks):
            continue
        value = r.value if r.metric == "ratio" else r.mb_s
        if value is None or not math.isfinite(value):
            continue
        key = (r.modality, r.preset, r.size, r.codec, r.chunks)
        by_key[key][r.metric][r.machine_id] = value
    out = []
    for (modality, preset, size, codec, chunks), metrics in sorted(by_key.items()):
        machines = set().union(*(m.keys() for m in metrics.values()))
        out.append(
            Combination(
                modality,
                codec,
                chunks,
                ratio=_pool(list(metrics.get("ratio", {}).values())),
                write_mb_s=_pool(list(metrics.get("write", {}).values())),
                read_mb_s=_pool(list(metrics.get("read", {}).values())),
                machines=len(machines),
                preset=preset,
                size=size,
            )
        )
    return out


def _on_storage(c: Combination, storage_mb_s: float | None) -> Combination:
    """``c`` with write/read MB/s as seen on a storage of ``storage_mb_s``."""
    ratio = c.ratio
    if storage_mb_s is None or ratio is None or ratio <= 0:
        return c

    def eff(v: float | None) -> float | None:
        return None if v is None or v <= 0 else 1 / (1 / v + 1 / (ratio * storage_mb_s))

    return replace(c, write_mb_s=eff(c.write_mb_s), read_mb_s=eff(c.read_mb_s))


def _reason(goal: str, top: Combination, storage: str, scored: list[Any]) -> str:
    what = {"write": "write MB/s", "read": "read MB/s"}.get(goal)
    if what is None:
        return f"{top.codec}: the best {goal} score among the candidates, {storage}"
    value = getattr(top, f"{goal}_mb_s") or 0.0
    others = sorted(
        ((getattr(c, f"{goal}_mb_s") or 0.0, c.codec) for _, c in scored if c.codec != top.codec),
        reverse=True,
    )
    text = f"{top.codec}: {value:.0f} {what} {storage}"
    if others:
        text += f", next {others[0][1]} at {others[0][0]:.0f}"
    if top.codec == "none":
        text += "; compression costs more time than the bytes it saves here"
    return text


def _score(goal: str, c: Combination, best: dict[str, float]) -> tuple[float, ...] | None:
    if goal == "compression":
        return None if c.ratio is None else (c.ratio, c.write_mb_s or 0.0)
    if goal == "write":
        return None if c.write_mb_s is None else (c.write_mb_s, c.ratio or 0.0)
    if goal == "read":
        return None if c.read_mb_s is None else (c.read_mb_s, c.ratio or 0.0)
    parts = [p for p in (c.ratio, c.write_mb_s, c.read_mb_s) if p is not None and not p <= 0]
    if len(parts) < 3:
        return None
    norm = [p / best[k] for p, k in zip(parts, ("ratio", "write_mb_s", "read_mb_s"))]
    return (math.prod(norm) ** (1 / 3),)


def _groups(combos: list[Combination]) -> Iterator[tuple[str, str, str, list[Combination]]]:
    """``(modality, preset, size, combinations)`` of each group ranked on its own."""
    for modality, preset, size in sorted({(c.modality, c.preset, c.size) for c in combos}):
        mine = [c for c in combos if (c.modality, c.preset, c.size) == (modality, preset, size)]
        yield modality, preset, size, mine


def _top(goal: str, candidates: list[Combination]) -> tuple[Combination, list[Any]] | None:
    """The best candidate for ``goal`` and every scored one, or None when none scores.

    Scores are relative to the best ratio, write and read MB/s among ``candidates``.
    """
    best = {
        k: max((getattr(c, k) or 0.0 for c in candidates), default=0.0) or 1.0
        for k in ("ratio", "write_mb_s", "read_mb_s")
    }
    scored = [(s, c) for c in candidates if (s := _score(goal, c, best)) is not None]
    if not scored:
        return None
    _, top = max(scored, key=lambda sc: (sc[0], sc[1].codec, sc[1].chunks))
    return top, scored


def recommend(records: Iterable[Record], storage_mb_s: float | None = None) -> list[Recommendation]:
    """One :class:`Recommendation` per modality, preset/size group and profile with data.

    Parameters
    ----------
    records
        Tidy records (see :mod:`zarr_benchmarks.analyse.report.table`).
    storage_mb_s
        Bandwidth of the user's storage in MB/s; ``None`` ranks by the measured
        figures as they are.
    """

    storage = f"on {storage_mb_s:g} MB/s storage" if storage_mb_s else "as measured (local disk)"
    combos = [_on_storage(c, storage_mb_s) for c in combinations(records)]
    out: list[Recommendation] = []
    for modality, preset, size, mine in _groups(combos):
        for profile in CompressionProfile:
            wanted = set(profile.codecs)
            candidates = [c for c in mine if c.codec in wanted]
            basis = "the profile's codecs that were measured"
            if not candidates:
                candidates = mine
                basis = "all measured codecs (none of the profile's codecs was measured)"
            found = _top(profile.goal, candidates)
            if found is None:
                continue
            top, scored = found
            out.append(
                Recommendation(
                    modality=modality,
                    profile=profile.value,
                    goal=profile.goal,
                    codec=top.codec,
                    chunks=top.chunks,
                    ratio=top.ratio,
                    write_mb_s=top.write_mb_s,
                    read_mb_s=top.read_mb_s,
                    machines=top.machines,
                    candidates=len({c.codec for c in candidates}),
                    basis=basis,
                    storage=storage,
                    reason=_reason(profile.goal, top, storage, scored),
                    preset=preset,
                    size=size,
                )
            )
    return out


@dataclass(frozen=True)
class Best:
    """The best measured codec of one modality and group for one goal."""

    modality: str
    preset: str
    size: str
    #: ``write``, ``read``, ``compression`` or ``balanced``
    goal: str
    codec: str
    chunks: str
    ratio: float | None
    write_mb_s: float | None
    read_mb_s: float | None
    #: how many codec/chunks combinations were measured
    candidates: int


#: goal -> what a user reads
GOAL_TITLES = {
    "write": "fastest write",
    "read": "fastest read",
    "compression": "best ratio",
    "balanced": "balanced",
}


def best_per_goal(records: Iterable[Record]) -> list[Best]:
    """The best combination per modality, preset/size group and goal, among all measured.

    Unlike :func:`recommend`, no profile narrows the candidates: this is what a run
    found (the run summary's headline).  ``balanced`` is the geometric mean of ratio,
    write and read MB/s, each relative to the best measured value.
    """
    out: list[Best] = []
    for modality, preset, size, mine in _groups(combinations(records)):
        for goal in GOAL_TITLES:
            found = _top(goal, mine)
            if found is None:
                continue
            top = found[0]
            out.append(
                Best(
                    modality,
                    preset,
                    size,
                    goal,
                    top.codec,
                    top.chunks,
                    top.ratio,
                    top.write_mb_s,
                    top.read_mb_s,
                    len(mine),
                )
            )
    return out
