"""Compression ratio of real volumes shipped in PyPI packages against the synthetic
modalities that model them, each generated at the real volume's shape and dtype.

Usage::

    .venv/bin/python scripts/real_vs_synthetic.py            # volumes installed here
    .venv/bin/python scripts/real_vs_synthetic.py --with-sdist  # + mrcfile's EMD map

``--with-sdist`` downloads mrcfile's source distribution (~52 MB) once into
``$ZARR_BENCHMARKS_DATA_CACHE`` (default: the temp folder). Prints a Markdown table
(the one in docs/data.md).
"""

from __future__ import annotations

import argparse

from zarr_benchmarks.suite.real_volumes import REAL_VOLUMES, compare


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--with-sdist", action="store_true", help="include mrcfile's EMD map")
    args = parser.parse_args()
    print(
        "| real volume (package) | shape, dtype | zeros | codec @ chunks | real ratio "
        "| synthetic ratio at that shape | synthetic / real |"
    )
    print("| --- | --- | --- | --- | --- | --- | --- |")
    for vol in REAL_VOLUMES:
        if "sdist" in vol.package and not args.with_sdist:
            continue
        if "sdist" not in vol.package and not vol.available():
            print(f"| {vol.id} ({vol.package}) | not installed | | | | | |")
            continue
        row = compare(vol)
        synth = row["synthetic"]
        shape = "x".join(map(str, row["shape"]))
        print(
            f"| {vol.id} ({vol.package}) | {shape} {row['dtype']} | {row['zeros']:.0%} "
            f"| {vol.codec} @ {vol.chunks} | {row['real']:.2f} | "
            + "; ".join(f"`{m}` {r:.2f}" for m, r in synth.items())
            + " | "
            + "; ".join(f"{r / row['real']:.2f}" for r in synth.values())
            + " |"
        )


if __name__ == "__main__":
    main()
