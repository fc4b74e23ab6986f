"""One house style for every kposim chart: palette, money and percent formats, figure, save.

Figures are built with :class:`matplotlib.figure.Figure` directly (not pyplot), and every style
setting is passed to the artists explicitly, so drawing changes no global matplotlib state.
matplotlib itself is imported only by the functions that draw, so the text helpers
(:func:`format_money`, :func:`format_percent`, the palette) cost no matplotlib import.
"""
from __future__ import annotations

import math
import sys
from collections.abc import Iterable
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure
    from matplotlib.ticker import FuncFormatter

    from ..chartdata import ChartData

#: Okabe and Ito (2008), safe for the common colour-vision deficiencies.
OKABE_ITO = {
    "black": "#000000", "orange": "#E69F00", "sky_blue": "#56B4E9", "green": "#009E73",
    "yellow": "#F0E442", "blue": "#0072B2", "vermillion": "#D55E00", "purple": "#CC79A7",
}
#: Roles used across the charts.
SAVING = OKABE_ITO["blue"]  #: money kept (savings, totals)
LOSS = OKABE_ITO["vermillion"]  #: money lost (loss region, costs)
GAIN = OKABE_ITO["green"]  #: a cost line that comes out as a credit
TEXT = "#222222"
MUTED = "#666666"  #: secondary text and reference lines
GRID = "#E3E3E3"
#: Line colours for several series, most distinguishable first (black is kept for emphasis,
#: yellow is too faint for thin lines on white).
SERIES = tuple(OKABE_ITO[k] for k in ("orange", "sky_blue", "green", "purple", "blue",
                                      "vermillion"))

FIGSIZE = (10.0, 5.6)  #: inches, 16:9 slide friendly
TITLE_SIZE = 15.0  #: points
SUBTITLE_SIZE = 11.0
LABEL_SIZE = 12.0
TICK_SIZE = 11.0
NOTE_SIZE = 10.5

CURRENCY_SYMBOLS = {"USD": "$", "EUR": "€", "GBP": "£", "INR": "₹"}
_SCALES = ((1e12, "T"), (1e9, "B"), (1e6, "M"), (1e3, "K"), (1.0, ""))


def _round_half_up(v: float, decimals: int) -> Decimal:
    return Decimal(repr(float(v))).quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP)


def format_money(x: float, currency: str = "USD", decimals: int | None = None) -> str:
    """Short money label: ``$1.2M``, ``-$350K``, ``$0``, ``€3.4M``, ``CHF 12.5B``.

    Parameters
    ----------
    x : float
        Amount in currency units (not thousands).
    currency : str
        ISO code; USD, EUR, GBP and INR get their symbol, any other code is used as a prefix.
    decimals : int, optional
        Maximum decimals after scaling to K/M/B/T. Default: one below 100 of the unit
        (``$1.2M``, ``$12.5B``), none from 100 (``$350K``) and for plain amounts under 1,000.
        Trailing zeros are always dropped (``$1M``, not ``$1.0M``); halves round up.
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
        d = decimals if decimals is not None else (1 if v < 100 and scale > 1 else 0)
        r = _round_half_up(v, d)
        if r >= 1000 and i > 0:  # 999.96K rounds to 1000K: say $1M instead
            i -= 1
            continue
        break
    text = f"{r:f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    sign = "-" if x < 0 and r != 0 else ""
    return f"{sign}{prefix}{text}{suffix}"


def money_formatter(currency: str, decimals: int = 2) -> FuncFormatter:
    """Tick formatter for an axis in currency units (``$500K``, ``$1.25M``)."""
    from matplotlib.ticker import FuncFormatter

    return FuncFormatter(lambda x, pos=None: format_money(x, currency, decimals))


def percent_formatter() -> FuncFormatter:
    """Tick formatter for an axis already in percent: ``0%``, ``0.5%``, ``12%`` (no more
    decimals than the tick needs, so 0.5-point steps never print as duplicates)."""
    from matplotlib.ticker import FuncFormatter

    return FuncFormatter(lambda v, pos=None: f"{v:.2f}".rstrip("0").rstrip(".") + "%")


def count_formatter() -> FuncFormatter:
    """Axis ticks for trial counts: 10K, 1M, 100M."""
    from matplotlib.ticker import FuncFormatter


    def fmt(x: float, _pos: int) -> str:
        for scale, suffix in ((1e9, "B"), (1e6, "M"), (1e3, "K")):
            if abs(x) >= scale:
                return f"{x / scale:g}{suffix}"
        return f"{x:g}"

    return FuncFormatter(fmt)


def format_percent(p: float) -> str:
    """A probability in [0, 1] as a short percentage: ``12%``, ``0.4%``, ``<0.1%``, ``>99.9%``."""
    if not math.isfinite(p):
        return "n/a"
    if p <= 0.0 or p >= 1.0:
        return f"{p * 100:.0f}%"
    if p < 0.001:
        return "<0.1%"
    if p > 0.999:
        return ">99.9%"
    if p < 0.01 or p > 0.99:
        return f"{_round_half_up(p * 100, 1)}%"
    return f"{_round_half_up(p * 100, 0)}%"


def years(n: int) -> str:
    """``1 year``, ``3 years``."""
    return f"{n} year" if n == 1 else f"{n} years"


def context_line(d: "ChartData") -> str:
    """Subtitle naming the scenario (cut to 60 characters), the trial count and the money basis."""
    name = d.scenario_name if len(d.scenario_name) <= 60 else d.scenario_name[:59] + "…"
    return f"{name} · {d.trials:,} trials · present values in {d.currency}"


def figure() -> tuple[Figure, Axes]:
    """A white 10 x 5.6 in figure with constrained layout and one axes (not registered with
    pyplot, so it needs no backend and is garbage-collected like any object)."""
    from matplotlib.figure import Figure

    fig = Figure(figsize=FIGSIZE, layout="constrained", facecolor="white")
    fig.get_layout_engine().set(w_pad=0.12, h_pad=0.1)  # inches around the plot
    ax = fig.add_subplot()
    return fig, ax


def style_axes(ax: Axes, value_axis: str = "y") -> None:
    """No top/right spines, a light grid on ``value_axis`` only, slide-sized tick labels."""
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    for side in ("left", "bottom"):
        ax.spines[side].set_color(MUTED)
    ax.tick_params(labelsize=TICK_SIZE, colors=TEXT, length=4, color=MUTED)
    ax.grid(False)
    ax.grid(True, axis=value_axis, color=GRID, linewidth=0.8)
    ax.set_axisbelow(True)


def _may_overflow(ax: Axes, title: str) -> bool:
    """Whether ``title`` could reach the figure edge, so must be allowed to wrap there.

    Wrapping is left to matplotlib, which measures the title word by word, and as mathtext
    whenever it holds two dollar signs (whatever ``parse_math`` says): that costs a fifth of
    a second to set up the mathtext parser in every process that draws. So wrapping is only
    switched on for a title that may not fit: wider than the figure less an inch (room for
    the y-axis labels and margins) by the font's own advance widths.
    """
    from matplotlib.font_manager import FontProperties
    from matplotlib.textpath import text_to_path

    font = FontProperties(size=TITLE_SIZE, weight="bold")
    with quiet_warnings():  # a glyph the font lacks: measured as a box, no warning
        width, _, _ = text_to_path.get_text_width_height_descent(title, font, ismath=False)
    return width / 72.0 > ax.get_figure().get_figwidth() - 1.0


def titles(ax: Axes, title: str, subtitle: str = "") -> None:
    """Left-aligned bold ``title`` stating the finding, and an optional grey ``subtitle`` under
    it (read back with ``ax.get_title(loc="left")``)."""
    ax.set_title(title, loc="left", fontsize=TITLE_SIZE, fontweight="bold", color=TEXT,
                 pad=30 if subtitle else 12, wrap=_may_overflow(ax, title),
                 parse_math=False)  # "$3M ± $1.5K" is money, not mathtext
    if subtitle:
        ax.annotate(subtitle, xy=(0, 1), xycoords="axes fraction", xytext=(0, 10),
                    textcoords="offset points", ha="left", va="bottom",
                    fontsize=SUBTITLE_SIZE, color=MUTED, parse_math=False)


def axis_labels(ax: Axes, xlabel: str = "", ylabel: str = "") -> None:
    """Axis labels in the house size and colour."""
    ax.set_xlabel(xlabel, fontsize=LABEL_SIZE, color=TEXT)
    ax.set_ylabel(ylabel, fontsize=LABEL_SIZE, color=TEXT)


def ignore_drawing_warnings() -> None:
    """Filters for what matplotlib says while kposim draws: UserWarnings about rendering (a
    glyph missing from the font, as for a name in a script DejaVu Sans lacks; constrained
    layout giving up on a crowded figure; identical axis limits), attributed to matplotlib or
    to the kposim module that called it, and numpy's floating-point RuntimeWarnings there.
    They concern looks, never results. For use inside ``warnings.catch_warnings()``."""
    import warnings

    for module in (r"matplotlib(\.|$)", r"simulator\.(plots|report)(\.|$)"):
        warnings.filterwarnings("ignore", category=UserWarning, module=module)
        warnings.filterwarnings("ignore", category=RuntimeWarning, module=module,
                                message=r".*encountered")


def quiet_warnings():  # noqa: ANN201 - a context manager
    """A context in which :func:`ignore_drawing_warnings` apply (and are undone after)."""
    import contextlib
    import warnings

    @contextlib.contextmanager
    def quiet():  # noqa: ANN202
        with warnings.catch_warnings():
            ignore_drawing_warnings()
            yield

    return quiet()


def save(fig: Figure, out_dir: Path, stem: str, formats: Iterable[str] = ("png", "svg"),
         dpi: int = 150) -> list[Path]:
    """Write ``out_dir/stem.<fmt>`` for each format (``dpi`` in pixels per inch for raster
    formats), then close the figure; returns the paths. SVG output is byte-reproducible.
    Rendering warnings are silenced (:func:`ignore_drawing_warnings`)."""
    import matplotlib as mpl

    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = []
    with quiet_warnings(), mpl.rc_context({"svg.hashsalt": "kposim"}):  # restored on exit
        for fmt in formats:
            path = out_dir / f"{stem}.{fmt}"
            metadata = {"svg": {"Date": None}, "pdf": {"CreationDate": None}}.get(fmt)
            fig.savefig(path, format=fmt, dpi=dpi, facecolor="white", metadata=metadata)
            paths.append(path)
    pyplot = sys.modules.get("matplotlib.pyplot")  # only if someone made it a pyplot figure
    if pyplot is not None:
        pyplot.close(fig)
    return paths
