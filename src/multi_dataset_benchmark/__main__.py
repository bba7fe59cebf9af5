"""``python -m multi_dataset_benchmark ...``: an alias of ``zarr-benchmarks recommend``."""

from multi_dataset_benchmark import main

main()
