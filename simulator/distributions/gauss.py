"""The standard normal's cdf (``ndtr``) and quantile function (``ndtri``) where validating a
scenario needs them, without importing ``scipy.special`` (0.18 s of ``kposim validate``).

Two kinds of function, kept apart:

- :func:`ndtr` is exact: scipy's own function (Cephes' ``ndtr``, ``erf`` and ``erfc``) done
  step by step in Python floats, which round as C doubles do, so it gives scipy's value bit
  for bit (tested over a million points). Compiling a truncated normal uses it.
- :func:`ndtri` is exact: scipy's own value, bit for bit, from a table of the levels
  validation asks for (the engine's most extreme uniforms, the central ranges of a
  lognormal given as low/high), and scipy's function at any other level. Kernel parameters
  may depend on it.
- :func:`ndtri_near` is close, not exact (Halley steps over :mod:`math`'s erfc). A check
  uses it only to decide what it can decide with its error bound (:data:`NDTRI_ABS`) and
  asks scipy otherwise, so what it reports stays the same.
"""
from __future__ import annotations

import math
from typing import Any

import numpy as np

SQRT1_2 = 0.7071067811865476
"""1 / sqrt(2), rounded as C's ``M_SQRT1_2`` is."""

EXTREME_U = 2.0 ** -53
"""The most extreme uniform (from either end) a draw can take: the streams give multiples of
2^-53 in [0, 1 - 2^-53], and the kernels' normal quantile takes an exact 0 (once in 2^53
draws) as 2^-53 (:func:`simulator.distributions.ppf.norm_ppf`); a table's lowest knot serves
u = 0 as well."""

NDTRI_AT: dict[float, float] = {
    EXTREME_U: -8.209536151601387,
    1.0 - EXTREME_U: 8.209536151601387,
    0.75: 0.6744897501960817,  # 0.5 + confidence / 2 for the usual confidences:
    0.9: 1.2815515655446004,  # 0.8
    0.95: 1.6448536269514722,  # 0.9, a lognormal range's default
    0.975: 1.959963984540054,  # 0.95
    0.99: 2.3263478740408408,  # 0.98
    0.995: 2.5758293035489004,  # 0.99
}
"""``scipy.special.ndtri`` at the levels validation asks for, bit for bit (tested)."""

NDTRI_ABS = 1e-12
"""How far :func:`ndtri_near` may be from ``scipy.special.ndtri`` (an absolute bound; tested)."""


def _special() -> Any:
    from scipy import special  # only where no table value or bound decides

    return special


def ndtri(q: Any) -> Any:
    """``scipy.special.ndtri(q)`` (the standard normal's ``q``-quantile), bit for bit: from
    :data:`NDTRI_AT` for a scalar level it holds (a numpy float64, as scipy's), else scipy's.
    """
    if np.ndim(q) == 0:
        z = NDTRI_AT.get(float(q))
        if z is not None:
            return np.float64(z)
    return _special().ndtri(q)


# Cephes' coefficients (Moshier, Cephes Math Library 2.8; scipy.special's ndtr.c, BSD):
# erfc's rational approximations for 1 <= x < 8 (P/Q) and x >= 8 (R/S), erf's for
# |x| <= 1 (T/U). The leading 1 of Q, S and U is implicit (Cephes' p1evl).
_ERFC_P = (2.46196981473530512524E-10, 5.64189564831068821977E-1, 7.46321056442269912687E0,
           4.86371970985681366614E1, 1.96520832956077098242E2, 5.26445194995477358631E2,
           9.34528527171957607540E2, 1.02755188689515710272E3, 5.57535335369399327526E2)
_ERFC_Q = (1.32281951154744992508E1, 8.67072140885989742329E1, 3.54937778887819891062E2,
           9.75708501743205489753E2, 1.82390916687909736289E3, 2.24633760818710981792E3,
           1.65666309194161350182E3, 5.57535340817727675546E2)
_ERFC_R = (5.64189583547755073984E-1, 1.27536670759978104416E0, 5.01905042251180477414E0,
           6.16021097993053585195E0, 7.40974269950448939160E0, 2.97886665372100240670E0)
_ERFC_S = (2.26052863220117276590E0, 9.39603524938001434673E0, 1.20489539808096656605E1,
           1.70814450747565897222E1, 9.60896809063285878198E0, 3.36907645100081516050E0)
_ERF_T = (9.60497373987051638749E0, 9.00260197203842689217E1, 2.23200534594684319226E3,
          7.00332514112805075473E3, 5.55923013010394962768E4)
_ERF_U = (3.35617141647503099647E1, 5.21357949780152679795E2, 4.59432382970980127987E3,
          2.26290000613890934246E4, 4.92673942608635921086E4)
_MAXLOG = 7.09782712893383996843E2  # log(DBL_MAX): exp(-x^2) underflows beyond


def _horner(x: float, c: tuple[float, ...], leading_one: bool = False) -> float:
    """Cephes' ``polevl`` (coefficients highest power first) or, with ``leading_one``,
    ``p1evl`` (an implicit leading 1): the same operations in the same order.
    """
    a = x + c[0] if leading_one else c[0]
    for k in c[1:]:
        a = a * x + k
    return a


def _erf(x: float) -> float:
    if x < 0.0:
        return -_erf(-x)
    if x > 1.0:
        return 1.0 - _erfc(x)
    z = x * x
    return x * _horner(z, _ERF_T) / _horner(z, _ERF_U, True)


def _erfc(a: float) -> float:
    x = abs(a)
    if x < 1.0:
        return 1.0 - _erf(a)
    z = -a * a
    if z < -_MAXLOG:
        return 2.0 if a < 0 else 0.0
    z = math.exp(z)
    if x < 8.0:
        y = (z * _horner(x, _ERFC_P)) / _horner(x, _ERFC_Q, True)
    else:
        y = (z * _horner(x, _ERFC_R)) / _horner(x, _ERFC_S, True)
    if a < 0:
        y = 2.0 - y
    return y if y != 0.0 else (2.0 if a < 0 else 0.0)


def ndtr(a: float) -> float:
    """``scipy.special.ndtr(a)`` (the standard normal's cdf), bit for bit, without importing
    scipy (0.15-0.2 s of a ``kposim run``).
    """
    if math.isnan(a):
        return math.nan
    x = a * SQRT1_2
    z = abs(x)
    if z < SQRT1_2:
        return 0.5 + 0.5 * _erf(x)
    y = 0.5 * _erfc(z)
    return 1.0 - y if x > 0 else y


def ndtri_near(p: Any) -> np.ndarray:
    """The standard normal's quantiles at levels ``p`` in (0, 1), within :data:`NDTRI_ABS` of
    ``scipy.special.ndtri`` (-inf at 0, inf at 1, nan outside [0, 1]).

    A rational first guess (Abramowitz and Stegun 26.2.23, within 4.5e-4) refined by
    Halley's method on the lower tail's cdf, 0.5 erfc(-z / sqrt(2)): each step triples the
    correct digits, so three reach double precision.
    """
    p = np.asarray(p, dtype=float)
    t = np.minimum(p, 1.0 - p)  # 1 - p is exact for p >= 0.5
    inner = t > 0
    s = np.sqrt(-2.0 * np.log(np.where(inner, t, 0.5)))
    z = -(s - (2.515517 + s * (0.802853 + s * 0.010328))
          / (1.0 + s * (1.432788 + s * (0.189269 + s * 0.001308))))
    erfc = np.frompyfunc(math.erfc, 1, 1)
    with np.errstate(all="ignore"):  # the levels 0, 1 and nan, replaced below
        for _ in range(3):
            cdf = 0.5 * np.asarray(erfc(-z * SQRT1_2), dtype=float)
            pdf = np.exp(-0.5 * z * z) / math.sqrt(2.0 * math.pi)
            step = (cdf - t) / pdf
            z = z - step / (1.0 + 0.5 * z * step)
    z = np.where(inner, z, -np.inf)
    out = np.where(p > 0.5, -z, z)
    out = np.where((p < 0) | (p > 1) | np.isnan(p), np.nan, out)
    return out
