"""Moved to the engine layer: :mod:`simulator.engine.controls` (:func:`without`,
:func:`control_return`) and :func:`simulator.engine.run.control_returns`, so that
:func:`simulator.simulate` evaluates the controls itself.

Kept only for the modules that still import these names from here (the command line and the
what-if server); delete once they import from the engine.
"""
from __future__ import annotations

from simulator.engine.controls import without
from simulator.engine.run import control_returns

__all__ = ["control_returns", "without"]
