"""Where a chunk's uniforms come from: one random stream per input, and the sampling designs
(plain Monte Carlo, Latin hypercube, scrambled Sobol) built on them.

Every uncertain input of chunk ``c`` draws from its own stream
``SFC64(SeedSequence(seed, spawn_key=(c, key)))``, ``key`` a hash of the input's name, so a
chunk's numbers depend only on (seed, chunk, name): never on threads, machines or which other
inputs exist. A design is built inside one chunk, so each chunk is an independent replicate of
it: Latin hypercube strata and Sobol points cover the chunk's trials, and chunk means stay
independent, which keeps the engine's batch standard errors honest.
"""
from __future__ import annotations

import functools

import numpy as np

from simulator.defaults import DEFAULT_SEED, SAMPLING
from simulator.engine import kernels as K

SOBOL_KEY = 0x50B01
"""Stream key that scrambles a chunk's Sobol points."""
SEED_BITS = 53
"""Bits of the integer seed a :class:`numpy.random.SeedSequence` is reduced to: exact in JSON,
JavaScript and spreadsheets, which store numbers as doubles."""


def engine_seed(seed: int | np.integer | np.random.SeedSequence | None) -> int:
    """The engine's integer seed for what a caller gave.

    Parameters
    ----------
    seed : int, numpy.random.SeedSequence or None
        ``None``: :data:`~simulator.defaults.DEFAULT_SEED` (always the same, never fresh
        entropy). An integer >= 0: itself. A SeedSequence: reduced deterministically to the
        top :data:`SEED_BITS` bits of its first 64-bit state word,
        ``int(seed.generate_state(1, numpy.uint64)[0]) >> 11``, so the same SeedSequence
        (entropy and spawn key) always gives the same results, and its children from
        ``spawn()`` give different ones. The integer is what the run records as its seed
        (``result.seed``): passing it back reproduces the run.

    Returns
    -------
    int
        A seed >= 0.

    Raises
    ------
    ValueError
        For a negative number, a bool or anything else that is not one of the above.
    """
    if seed is None:
        return DEFAULT_SEED
    if isinstance(seed, np.random.SeedSequence):
        return int(seed.generate_state(1, np.uint64)[0]) >> (64 - SEED_BITS)
    if isinstance(seed, bool) or not isinstance(seed, int | np.integer) or seed < 0:
        raise ValueError(f"seed must be a whole number >= 0, a numpy.random.SeedSequence or "
                         f"None for the default (got {seed!r})")
    return int(seed)


def stream(seed: int, chunk: int, key: int) -> np.random.Generator:
    """The random stream of one input within one chunk."""
    ss = np.random.SeedSequence(seed, spawn_key=(chunk, int(key)))
    return np.random.Generator(np.random.SFC64(ss))


@functools.lru_cache(maxsize=64)
def _run_entropy(seed: int) -> tuple[int, ...]:
    """The seed as SeedSequence assembles it: 32-bit words, low first, padded to four."""
    words = []
    while True:
        words.append(seed & 0xFFFFFFFF)
        seed >>= 32
        if seed == 0:
            break
    return tuple(words + [0] * (4 - len(words)))


def uniforms(seed: int, chunk: int, key: int, out: np.ndarray) -> np.ndarray:
    """Fill ``out`` with the first ``out.size`` uniforms of :func:`stream`: the same numbers,
    seeded and drawn by numba kernels (``chunk`` and ``key`` are below 2^32).
    """
    K.sfc64_uniforms(stream_state(seed, chunk, key), out.reshape(-1))
    return out


def stream_state(seed: int, chunk: int, key: int) -> np.ndarray:
    """The (4,) uint64 SFC64 state that :func:`uniforms` starts drawing from, for kernels that
    draw as they go.
    """
    entropy = np.array((*_run_entropy(seed), chunk, int(key)), dtype=np.uint64)
    state = np.empty(4, dtype=np.uint64)
    K.sfc64_seed(entropy, state)
    return state


def sampling_design(keys: np.ndarray, seed: int, chunk: int, sampling: str, out: np.ndarray,
                    scratch: np.ndarray) -> np.ndarray:
    """Fill ``out`` (D, n) with the uniforms of D inputs (stream ``keys`` (D,)) in one chunk.

    "mc": each row is the first n numbers of the input's stream. "lhs": each row is a Latin
    hypercube column (a random permutation of the n strata of [0, 1), a uniform position in
    each) built from the first 2n numbers of the input's stream. "sobol": the rows are the D
    coordinates of a scrambled Sobol sequence (2^16 points a chunk), scrambled by the chunk's
    own stream. ``scratch``: at least 2n floats.
    """
    n = out.shape[1]
    if sampling == "mc":
        for r in range(out.shape[0]):
            uniforms(seed, chunk, keys[r], out[r])
    elif sampling == "lhs":
        both = scratch[:2 * n]
        for r in range(out.shape[0]):
            uniforms(seed, chunk, keys[r], both)
            K.latin_hypercube(both, out[r])
    elif sampling == "sobol":
        if out.shape[0]:
            out[:] = sobol(seed, chunk, out.shape[0], n)
    else:
        raise ValueError(f"sampling must be one of {', '.join(SAMPLING)} (got {sampling!r})")
    return out


def sobol(seed: int, chunk: int, d: int, n: int) -> np.ndarray:
    """The first n of 2^16 points (d, n) of a scrambled Sobol sequence for one chunk, kept
    inside the open interval (0, 1) so no inverse CDF meets 0 or 1.
    """
    from scipy.stats import qmc  # only Sobol runs pay for importing scipy.stats

    m = max(16, (n - 1).bit_length())
    engine = qmc.Sobol(d, scramble=True, rng=stream(seed, chunk, SOBOL_KEY))
    points = engine.random_base2(m)[:n].T
    return np.clip(points, 2.0 ** -53, 1.0 - 2.0 ** -53)
