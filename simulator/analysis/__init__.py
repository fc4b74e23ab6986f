"""Layer 5: analyses that run the engine and return plain results (compare, sensitivity,
sweep, controls, optimise, value of information, pilot, fitting and elicitation).

They compute and never write files; :mod:`simulator.output` writes.
"""
