from zarr_benchmarks.cli import main

main()
