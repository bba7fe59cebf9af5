"""Stage 3, run: running the suite on a machine.

The machine and software environment descriptions, the asv wrapper, environments built
for A/B runs, and the direct API (:mod:`.runner`). Depends on data and suite only.
"""
