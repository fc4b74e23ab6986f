"""Layer 1: the distribution catalogue (families, closed forms, the inverse-CDF kernels).

Imports only the foundation modules (:mod:`simulator.codes`, :mod:`simulator.defaults`).
"""
