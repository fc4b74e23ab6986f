"""Layer 2: the scenario as a validated model (load, paths, choices, labels, schema) and
its compiled plain-array form.

Imports :mod:`simulator.distributions` and the foundation, nothing above.
"""
