"""Monte Carlo errors of a run's mean from its per-chunk moments (batch means): for designs
whose trials are not independent within a chunk (Latin hypercube, Sobol) but whose chunks are
independent replicates. Plain arrays in, numbers out.
"""
from __future__ import annotations

import math

import numpy as np

Z95 = 1.959963984540054
"""The standard normal's 97.5% quantile: a 95% interval is the estimate +- Z95 standard errors.
Defined here once; every module that needs it imports it."""


def batch_means(moments: np.ndarray, shift: float) -> tuple[float, float, float]:
    """Mean of net savings, its standard error and 95% half-width from the spread of chunk
    means (batch means), for designs whose trials are not independent within a chunk (Latin
    hypercube, Sobol) but whose chunks are independent replicates. ``moments``: (k, 3) per
    chunk n, sum and sum of squares of (x - shift); needs k >= 2. The half-width uses
    Student's t with k - 1 degrees of freedom.
    """
    from scipy.special import stdtrit

    n = moments[:, 0]
    k = n.size
    if k < 2:
        raise ValueError("batch means need at least two chunks")
    total = n.sum()
    means = moments[:, 1] / n
    mean = float(np.dot(n, means) / total)
    w = n / total
    stderr = math.sqrt(k / (k - 1) * float(np.dot(w * w, (means - mean) ** 2)))
    return shift + mean, stderr, float(stdtrit(k - 1, 0.975)) * stderr


def running_batch_half_widths(moments: np.ndarray) -> np.ndarray:
    """:func:`batch_means`' 95% half-width after each of the k chunks, shape (k,) (nan after
    the first), in one pass of running sums rather than k calls (a 1B-trial run has 15,000
    chunks). Chunk means are taken relative to the overall mean, so the sums keep their
    precision.
    """
    from scipy.special import stdtrit

    n = moments[:, 0]
    means = moments[:, 1] / n
    d = means - np.dot(n, means) / n.sum()
    total = np.cumsum(n)
    mean_k = np.cumsum(n * d) / total
    n2 = n * n
    ssq = (np.cumsum(n2 * d * d) - 2 * mean_k * np.cumsum(n2 * d)
           + mean_k * mean_k * np.cumsum(n2)) / (total * total)
    k = np.arange(1, n.size + 1, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        stderr = np.sqrt(k / (k - 1) * np.maximum(ssq, 0.0))
        half = stdtrit(k - 1, 0.975) * stderr
    half[0] = np.nan
    return half
