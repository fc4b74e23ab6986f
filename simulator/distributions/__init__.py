"""Layer 1: the distribution catalogue (families, closed forms, the inverse-CDF kernels).

Imports only the foundation modules (:mod:`simulator.codes`, :mod:`simulator.defaults`).

- :mod:`~simulator.distributions.base`: the :class:`~.base.Distribution` base class, the
  :class:`~.base.DataBuilder` of compiled tables, :class:`~.base.FieldError`, shared helpers;
- one module per family group: :mod:`~.continuous` (constant, uniform, triangular, PERT,
  normal, beta), :mod:`~.scaled` (lognormal, gamma), :mod:`~.counts` (poisson, bernoulli,
  negative binomial), :mod:`~.tables` (discrete, empirical), :mod:`~.mixture`;
- :mod:`~simulator.distributions.registry`: ``FAMILIES``, ``AnyDistribution`` and the
  uncertain-parameter helpers;
- :mod:`~simulator.distributions.ppf`: the numba inverse-CDF kernels.

In a scenario file a distribution is an inline table with a ``dist`` key, or a bare number
(a constant)::

    amount = { dist = "lognormal", low = 150_000, high = 600_000 }
    onshore_fte = 20
"""
# The registry completes the families' forward references (an uncertain parameter may be
# a distribution of any non-count family), so that each family works from its own module.
from simulator.distributions import registry as _registry  # noqa: F401
