"""Layer 4: the Monte Carlo engine (numba kernels, sampling, chunked runs, Dask).

Imports :mod:`simulator.results` and below.
"""
