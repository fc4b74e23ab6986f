"""The warnings kposim issues through Python's :mod:`warnings` machinery.

A model that is valid but suspicious (a correlation matrix repaired to the nearest valid one, a
distribution with an extreme tail, a growth rate or a capped loss worth a second look) is
reported by :func:`simulator.simulate` as a :class:`ModelWarning`, once per warning and call,
so a Python user sees it, can filter it (``warnings.simplefilter("ignore", ModelWarning)``) or
turn it into an error (``"error"``). The same texts are in ``summary()["warnings"]``, which the
command line prints in its own words (it filters these classes out to avoid saying it twice).

Foundation layer: no imports from the package.
"""
from __future__ import annotations


class KposimWarning(UserWarning):
    """Base class of every warning kposim issues."""


class ModelWarning(KposimWarning):
    """A scenario or its compiled model is valid but suspicious; the message says which field
    and why (the texts of ``summary()["warnings"]``).
    """
