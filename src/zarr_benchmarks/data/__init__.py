"""Stage 1, data: what is benchmarked.

Synthetic modalities (one module per modality, a registry), readers of the user's own
files (one module per format, a registry), the user-data loader, dataset types and
metadata, and chunk/shard layouts (the data's geometry). Imports nothing from the later
stages (suite, run, results, share, analyse, cli).
"""
