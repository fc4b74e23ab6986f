"""Layer 3: what a run holds (trial arrays, streamed accumulators) and the statistics and
chart data computed from it.

Imports :mod:`simulator.scenario` and below; the engine fills these objects.
"""
