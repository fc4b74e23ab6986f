"""Money, percent and value formatting: the one rounding rule of every figure kposim shows
(three significant figures, halves up), in charts, the report, workbooks and the terminal.

Plain text only: no matplotlib, so the terminal and the report format figures without it.
"""
from __future__ import annotations

import math
from decimal import ROUND_HALF_UP, Decimal

CURRENCY_SYMBOLS = {"USD": "$", "EUR": "€", "GBP": "£", "INR": "₹"}
_SCALES = ((1e12, "T"), (1e9, "B"), (1e6, "M"), (1e3, "K"), (1.0, ""))


SIGNIFICANT = 3  #: significant figures of every money amount and percentage shown
ERROR_SIGNIFICANT = 2  #: significant figures of a 95% half-width shown beside a figure


def _round_half_up(v: float, decimals: int) -> Decimal:
    return Decimal(repr(float(v))).quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP)


def _significant(v: float, sig: int) -> tuple[Decimal, int]:
    """``v`` (>= 0) rounded half up to ``sig`` significant figures, and the decimals used
    (never negative: 12,345 to three figures is 12345, the caller scales first).
    """
    if v == 0:
        return Decimal(0), 0
    e = math.floor(math.log10(v))
    d = max(sig - 1 - e, 0)
    r = _round_half_up(v, d)
    if r >= Decimal(10) ** (e + 1) and d > 0:  # 9.996 -> 10.00: one figure too many
        d -= 1
        r = _round_half_up(v, d)
    return r, d


def format_money(x: float, currency: str = "USD", decimals: int | None = None,
                 sig: int = SIGNIFICANT, trim: bool = False) -> str:
    """Short money label to three significant figures (the one rounding rule of every
    figure kposim shows): ``$1.20M``, ``-$350K``, ``$45.8K``, ``$0``, ``€3.40M``,
    ``CHF 12.5B``; amounts under 1,000 in whole units (``$999``).

    Parameters
    ----------
    x : float
        Amount in currency units (not thousands).
    currency : str
        ISO code; USD, EUR, GBP and INR get their symbol, any other code is used as a prefix.
    decimals : int, optional
        Instead of significant figures: at most this many decimals after scaling to K/M/B/T,
        trailing zeros dropped (``$1M``, ``$1.25M``): for axis ticks.
    sig : int
        Significant figures when ``decimals`` is not given (:data:`ERROR_SIGNIFICANT` for a
        half-width). Halves round up.
    trim : bool
        Drop trailing zeros (``$30K``, not ``$30.0K``): for a value the user typed, such as a
        distribution's parameter, which is exact rather than rounded.
    """
    x = float(x)
    if not math.isfinite(x):
        return "n/a"
    code = currency.upper()
    prefix = CURRENCY_SYMBOLS.get(code, code + " ")
    mag = abs(x)
    i = next(k for k, (scale, _) in enumerate(_SCALES) if mag >= scale or scale == 1.0)
    while True:
        scale, suffix = _SCALES[i]
        v = mag / scale
        if decimals is not None:
            r = _round_half_up(v, decimals)
        elif scale == 1.0:
            r = _round_half_up(v, 0)
        else:
            r, _ = _significant(v, sig)
        if r >= 1000 and i > 0:  # 999.96K rounds to 1000K: say $1.00M instead
            i -= 1
            continue
        break
    text = f"{r:f}"
    if (decimals is not None or trim) and "." in text:
        text = text.rstrip("0").rstrip(".")
    sign = "-" if x < 0 and r != 0 else ""
    return f"{sign}{prefix}{text}{suffix}"


def format_error(half: float, currency: str) -> str:
    """A money figure's 95% half-width, to two significant figures: ``± $5.7K``."""
    return f"± {format_money(abs(half), currency, sig=ERROR_SIGNIFICANT)}"


def one_in(p: float) -> str:
    """A probability as odds a meeting reads at once: 0.05 -> "1 in 20", 0.0123 -> "1 in 81"
    (the nearest whole number, two significant figures above 100).
    """
    if not (0 < p <= 1):
        return "never" if p == 0 else "n/a"
    n = 1.0 / p
    r, _ = _significant(n, 2) if n >= 100 else (round(n), 0)
    return f"1 in {int(r):,}"


def format_percent(p: float, sig: int = SIGNIFICANT) -> str:
    """A probability in [0, 1] as a percentage to three significant figures (the one rounding
    rule): ``1.55%``, ``12.0%``, ``0.0412%``; exactly 0 and 1 are ``0%`` and ``100%``, and a
    probability below 1 never rounds up to 100% (``99.95%``).
    """
    if not math.isfinite(p):
        return "n/a"
    if p <= 0.0 or p >= 1.0:
        return f"{p * 100:.0f}%"
    v = p * 100.0
    r, d = _significant(v, sig)
    while r >= 100 and d < 12:  # 99.95% is not 100%
        d += 1
        r = _round_half_up(v, d)
    return f"{r:f}%"


def format_signed_percent(x: float) -> str:
    """Any real share as a signed percentage to three significant figures: a tolerance
    margin ``+8.45%``, ``-0.300%``; a return on a control ``+250%``.
    """
    if not math.isfinite(x):
        return "n/a"
    if x == 0:
        return "0%"
    r, _ = _significant(abs(x) * 100.0, SIGNIFICANT)
    return f"{'-' if x < 0 else '+'}{r:f}%"


def format_points(half_points: float) -> str:
    """A probability's 95% half-width in percentage points, to two significant figures:
    ``± 0.054 points``.
    """
    if not (math.isfinite(half_points) and half_points > 0):
        return "± 0 points" if half_points == 0 else ""
    r, _ = _significant(abs(half_points), ERROR_SIGNIFICANT)
    return f"± {r:f} points"


def years(n: int) -> str:
    """``1 year``, ``3 years``."""
    return f"{n} year" if n == 1 else f"{n} years"


def _num(v: float) -> str:
    return f"{v:,.0f}" if abs(v) >= 1000 else f"{v:.3g}"


def format_value(v: float, unit: str, currency: str = "USD") -> str:
    """A value in its unit, to three significant figures: "$45.8K", "3.5%", "6.2 months",
    "43.2 FTE", "0.03 events a year".
    """
    if unit == "money":
        return format_money(v, currency)
    if unit == "percent":
        return format_percent(v)
    if unit == "months":
        return f"{v:.3g} months"
    if unit == "fte":
        return f"{_num(v)} FTE"
    if unit == "events":
        return f"{v:.3g} a year"
    if unit == "years":
        return f"{v:.3g} years" if v != 1 else "1 year"
    return _num(v)
