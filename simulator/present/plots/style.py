"""One house style for every kposim chart: palette, money and percent formats, figure, save.

Figures are built with :class:`matplotlib.figure.Figure` directly (not pyplot), and every style
setting is passed to the artists explicitly, so drawing changes no global matplotlib state.
matplotlib itself is imported only by the functions that draw, so the text helpers
(:func:`format_money`, :func:`format_percent`, the palette) cost no matplotlib import.
"""
from __future__ import annotations

import io
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, Protocol, cast

from simulator.present.formatting import (  # noqa: F401 (the house style's text helpers)
    CURRENCY_SYMBOLS,
    ERROR_SIGNIFICANT,
    SIGNIFICANT,
    format_error,
    format_money,
    format_percent,
    format_points,
    format_signed_percent,
    one_in,
    years,
)

if TYPE_CHECKING:
    from matplotlib.artist import Artist
    from matplotlib.axes import Axes
    from matplotlib.backend_bases import RendererBase
    from matplotlib.figure import Figure
    from matplotlib.layout_engine import ConstrainedLayoutEngine
    from matplotlib.text import Text
    from matplotlib.ticker import FuncFormatter

    from simulator.results.chartdata import ChartData

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

#: Line styles a risk can take: every series colour solid, then dashed.
RISK_STYLES = tuple((c, ls) for ls in ("-", "--") for c in SERIES)


def risk_styles(names: Iterable[str]) -> dict[str, tuple[str, str]]:
    """One (colour, line style) per risk, the same for a risk in every chart and report: each
    name takes the slot its CRC-32 picks among :data:`RISK_STYLES`, or the next free one when
    an earlier name (in the given order, the scenario's) has it. So a risk keeps its colour
    whichever other risks a chart shows, unless two names collide in one chart.
    """
    import zlib

    out: dict[str, tuple[str, str]] = {}
    taken: set[int] = set()
    n = len(RISK_STYLES)
    for name in names:
        if name in out:
            continue
        slot = zlib.crc32(name.encode("utf-8")) % n
        for step in range(n):
            if (slot + step) % n not in taken:
                slot = (slot + step) % n
                break
        if len(taken) < n:
            taken.add(slot)
        else:  # more risks than styles: share, starting afresh
            taken = {slot}
        out[name] = RISK_STYLES[slot]
    return out


FIGSIZE = (10.0, 5.6)  #: inches, 16:9 slide friendly
TITLE_SIZE = 15.0  #: points
SUBTITLE_SIZE = 11.0
LABEL_SIZE = 12.0
TICK_SIZE = 11.0
NOTE_SIZE = 10.5

def money_formatter(currency: str, decimals: int = 2) -> FuncFormatter:
    """Tick formatter for an axis in currency units (``$500K``, ``$1.25M``)."""
    from matplotlib.ticker import FuncFormatter

    return FuncFormatter(lambda x, pos=None: format_money(x, currency, decimals))


def percent_formatter() -> FuncFormatter:
    """Tick formatter for an axis already in percent: ``0%``, ``0.5%``, ``12%`` (no more
    decimals than the tick needs, so 0.5-point steps never print as duplicates).
    """
    from matplotlib.ticker import FuncFormatter

    return FuncFormatter(lambda v, pos=None: f"{v:.2f}".rstrip("0").rstrip(".") + "%")


def log_percent_formatter() -> FuncFormatter:
    """Tick formatter for a log axis in percent: "10%", "1% (1 in 100)", "0.01% (1 in
    10,000)": the odds beside every tick below 10%.
    """
    from matplotlib.ticker import FuncFormatter

    def fmt(v: float, _pos: int | None = None) -> str:
        if v <= 0:
            return ""
        text = f"{v:.10f}".rstrip("0").rstrip(".") + "%"
        return text if v >= 10 else f"{text} ({one_in(v / 100)})"

    return FuncFormatter(fmt)


def count_formatter() -> FuncFormatter:
    """Axis ticks for trial counts: 10K, 1M, 100M."""
    from matplotlib.ticker import FuncFormatter


    def fmt(x: float, _pos: int) -> str:
        for scale, suffix in ((1e9, "B"), (1e6, "M"), (1e3, "K")):
            if abs(x) >= scale:
                return f"{x / scale:g}{suffix}"
        return f"{x:g}"

    return FuncFormatter(fmt)


def context_line(d: ChartData) -> str:
    """Subtitle naming the scenario (cut to 60 characters), the trial count and the money basis."""
    name = d.scenario_name if len(d.scenario_name) <= 60 else d.scenario_name[:59] + "…"
    return f"{name} · {d.trials:,} trials · present values in {d.currency}"


def figure() -> tuple[Figure, Axes]:
    """A white 10 x 5.6 in figure with constrained layout and one axes (not registered with
    pyplot, so it needs no backend and is garbage-collected like any object).
    """
    from matplotlib.figure import Figure

    fig = Figure(figsize=FIGSIZE, layout="constrained", facecolor="white")
    constrained(fig).set(w_pad=0.12, h_pad=0.1)  # inches around the plot
    ax = fig.add_subplot()
    return fig, ax


def constrained(fig: Figure) -> ConstrainedLayoutEngine:
    """The layout engine of a figure made with ``layout="constrained"``."""
    from matplotlib.layout_engine import ConstrainedLayoutEngine

    engine = fig.get_layout_engine()
    assert isinstance(engine, ConstrainedLayoutEngine), "a constrained-layout figure"
    return engine


def figure_of(ax: Axes) -> Figure:
    """The figure ``ax`` is drawn on (never a subfigure here)."""
    from matplotlib.figure import Figure

    fig = ax.get_figure()
    assert isinstance(fig, Figure), "axes on a figure"
    return fig


class _PrivateFigure(Protocol):
    """The private matplotlib figure members :func:`fit_titles` measures with and
    :func:`_pin_titles` reads.
    """

    _align_label_groups: dict[str, Any]

    def _get_renderer(self) -> RendererBase: ...


class _PrivateAxes(Protocol):
    """The private matplotlib axes members :func:`fit_titles` reads and moves, and
    :func:`_pin_titles` switches.
    """

    _left_title: Text
    _right_title: Text
    _autotitlepos: bool | None
    _twinned_axes: Any

    def _set_title_offset_trans(self, title_offset_points: float) -> None: ...


def style_axes(ax: Axes, value_axis: Literal["both", "x", "y"] = "y") -> None:
    """No top/right spines, a light grid on ``value_axis`` only, slide-sized tick labels."""
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    for side in ("left", "bottom"):
        ax.spines[side].set_color(MUTED)
    ax.tick_params(labelsize=TICK_SIZE, colors=TEXT, length=4, color=MUTED)
    ax.grid(False)
    ax.grid(True, axis=value_axis, color=GRID, linewidth=0.8)
    ax.set_axisbelow(True)


def _title_room(ax: Axes) -> float:
    """Inches a left-aligned title over ``ax`` has before the figure's edge, estimated before
    drawing: the figure width less the widest y tick label already set (a bar chart's
    labels), the y-axis label and the margins.
    """
    # The labels ax.get_yticklabels() would give, without making a Tick for each (slow):
    # the formatter's text at every major tick location, in the first tick's font size.
    axis = ax.yaxis
    first = axis.majorTicks[0]
    formatter: Any = axis.get_major_formatter()  # given an array, as matplotlib gives it
    shown = first.label1.get_visible() or first.label2.get_visible()
    labels = formatter.format_ticks(axis.get_majorticklocs()) if shown else []
    size = first.label1.get_fontsize()
    ticks = max((_text_width_in(t, size) for t in labels if t), default=0.6)
    label = 0.35 if ax.get_ylabel() else 0.0
    return figure_of(ax).get_figwidth() - ticks - label - 0.45


def _may_overflow(ax: Axes, title: str) -> bool:
    """Whether ``title`` is wider than the room :func:`_title_room` estimates, by the font's
    own advance widths: such a title is wrapped before drawing.
    """
    return _text_width_in(title, TITLE_SIZE, "bold") > _title_room(ax)


def _text_width_in(text: str, size: float | str, weight: int | str = "normal") -> float:
    """Width in inches of the longest line of ``text`` in the house font (no drawing)."""
    from matplotlib.font_manager import FontProperties
    from matplotlib.textpath import text_to_path

    font = FontProperties(size=size, weight=weight)
    with quiet_warnings():  # a glyph the font lacks: measured as a box, no warning
        return max(text_to_path.get_text_width_height_descent(line, font, ismath=False)[0]
                   for line in text.split("\n")) / 72.0


def wrap_to_width(text: str, width_in: float, size: float | str,
                  weight: int | str = "normal") -> str:
    """``text`` broken between words into lines no wider than ``width_in`` inches (measured
    with the font's advance widths, not guessed from a character count).
    """
    def joined(words: list[str]) -> str:
        line = ""
        for word in words:
            line = f"{line} {word}" if line else word
        return line

    def fits(words: list[str]) -> bool:  # the last word may join the line of the others
        return not joined(words[:-1]) or _text_width_in(joined(words), size, weight) <= width_in

    lines: list[str] = []
    for paragraph in text.split("\n"):
        words = paragraph.split(" ")
        start = 0
        while start < len(words):  # a paragraph has one word at least, if empty
            # The most words from ``start`` that fit, one at least: a line only grows wider
            # word by word, so bisection finds them in a few measurements, not one a word.
            low, high = start + 1, len(words)
            while low < high:
                middle = (low + high + 1) // 2
                if fits(words[start:middle]):
                    low = middle
                else:
                    high = middle - 1
            lines.append(joined(words[start:low]))
            start = low
    return "\n".join(lines)


def titles(ax: Axes, title: str, subtitle: str = "") -> None:
    """Left-aligned bold ``title`` stating the finding, and an optional grey ``subtitle`` under
    it (read back with ``ax.get_title(loc="left")``). A title or subtitle too wide for the
    figure is wrapped between words here; :func:`fit_titles` wraps any that still runs past
    the edge once the layout is known.
    """
    room = _title_room(ax)
    if _text_width_in(title, TITLE_SIZE, "bold") > room:
        title = wrap_to_width(title, room, TITLE_SIZE, "bold")
    if subtitle and _text_width_in(subtitle, SUBTITLE_SIZE) > room:
        subtitle = wrap_to_width(subtitle, room, SUBTITLE_SIZE)
    ax.set_title(title, loc="left", fontsize=TITLE_SIZE, fontweight="bold", color=TEXT,
                 pad=_title_pad(subtitle),
                 parse_math=False)  # "$3M ± $1.5K" is money, not mathtext
    if subtitle:
        ax.annotate(subtitle, xy=(0, 1), xycoords="axes fraction", xytext=(0, 10),
                    textcoords="offset points", ha="left", va="bottom",
                    fontsize=SUBTITLE_SIZE, color=MUTED, parse_math=False, gid="subtitle")


def _title_pad(subtitle: str) -> float:
    """Points between the axes and the title: room for the subtitle's lines."""
    return 12.0 + 18.0 * (subtitle.count("\n") + 1) if subtitle else 12.0


EDGE_IN = 0.08  #: inches a title keeps from the figure's edge


def fit_titles(fig: Figure) -> bool:
    """After a draw: wrap every title, subtitle and figure title that runs past the figure's
    right edge (long labels push the axes right, so a title that fits the figure can still
    overflow once laid out). Returns whether any changed; the figure must then be drawn
    again for the new layout.
    """
    renderer = cast(_PrivateFigure, fig)._get_renderer()
    right = fig.bbox.x1 - EDGE_IN * fig.dpi
    texts: list[tuple[Text, Axes | None]] = [(t, None) for t in (
        getattr(fig, "_suptitle", None), getattr(fig, "_supxlabel", None)) if t is not None]
    for ax in fig.axes:
        private = cast(_PrivateAxes, ax)
        texts += [(ax.title, None), (private._left_title, None), (private._right_title, None)]
        texts += [(c, ax) for c in ax.texts if c.get_gid() == "subtitle"]
    changed = False
    for text, subtitle_of in texts:
        if not text.get_visible() or not text.get_text():
            continue
        box = text.get_window_extent(renderer)
        if box.x1 <= right:
            continue
        room_in = max((right - box.x0) / fig.dpi, 1.0)
        wrapped = wrap_to_width(text.get_text().replace("\n", " "), room_in,
                                text.get_fontsize(), text.get_fontweight())
        if wrapped != text.get_text():
            text.set_text(wrapped)
            changed = True
            if subtitle_of is not None:  # make room above the axes for its lines
                cast(_PrivateAxes, subtitle_of)._set_title_offset_trans(_title_pad(wrapped))
    return changed


def _pin_titles(fig: Figure, axes: Iterable[Axes] | None = None) -> list[Axes]:
    """Switch off matplotlib's automatic title placement on every axes (of ``axes``, default
    all) where it would leave the titles where they are, at the top of the axes; returns
    those axes, to switch it back on (``_autotitlepos = True``) after drawing.

    Placed automatically, a title is placed afresh at every layout pass and drawing, and
    each time the whole y axis is measured (its ticks formatted and placed, their labels
    measured) to find an offset text such as "1e6" that might collide with the title: about
    a tenth of a chart's drawing. With nothing above the axes (x ticks or label on top, an
    offset text, twin or aligned axes) and every title clear of the axes' top (as the
    padding :func:`titles` sets keeps them), that placement is the top of the axes, which
    is where the titles already are. A title's distance from the top of its axes does not
    depend on the layout, so this holds once the figure is laid out too.
    """
    renderer = cast(_PrivateFigure, fig)._get_renderer()
    pinned = []
    for ax in fig.axes if axes is None else axes:
        private = cast(_PrivateAxes, ax)
        titles = (ax.title, private._left_title, private._right_title)
        if (private._autotitlepos is not True or ax.child_axes
                or ax.xaxis.get_ticks_position() in ("top", "unknown")
                or ax.xaxis.get_label_position() == "top"
                or private._twinned_axes.get_siblings(ax) != [ax]
                or cast(_PrivateFigure, fig)._align_label_groups["title"].get_siblings(ax)
                != [ax]
                or _may_offset(ax.yaxis.get_major_formatter())
                or any(title.get_position()[1] != 1.0 for title in titles)):
            continue
        top = ax.spines.get("outline", ax).get_window_extent().ymax
        if top >= 0 and all(title.get_window_extent(renderer).y0 >= top for title in titles):
            private._autotitlepos = False
            pinned.append(ax)
    return pinned


def _may_offset(formatter: Any) -> bool:
    """Whether an axis with this tick formatter may show an offset text ("1e6", "+5.77e6"):
    any but a formatter whose offset is fixed (matplotlib's :class:`FuncFormatter`, or one
    without offsets) and empty.
    """
    from matplotlib.ticker import Formatter, FuncFormatter

    fixed = type(formatter).get_offset in (Formatter.get_offset, FuncFormatter.get_offset)
    return not fixed or bool(formatter.get_offset())


def plain_text(fig: Figure) -> None:
    """Every text of ``fig`` as plain text, never mathtext: a label holding two amounts
    ("$79.7K (95%: $79.4K to $79.9K)") would otherwise be set as a formula between them.
    """
    from matplotlib.axis import Axis
    from matplotlib.text import Text

    stack: list[Artist] = [fig]
    while stack:
        artist = stack.pop()
        if isinstance(artist, Text):
            artist.set_parse_math(False)
        if isinstance(artist, Axis):  # only the ticks it has: get_children() would make more
            ticks = vars(artist)
            stack += [artist.label, artist.offsetText, *ticks.get("majorTicks", ()),
                      *ticks.get("minorTicks", ())]
        else:
            stack += artist.get_children()


def draw_fitted(fig: Figure, write) -> None:  # noqa: ANN001 - write() draws the figure
    """``write()`` (which draws ``fig``: a savefig), then, if a title ran past the figure's
    edge, wrap it (:func:`fit_titles`) and ``write()`` again. Texts are set plain
    (:func:`plain_text`) first.
    """
    plain_text(fig)
    write()
    if fit_titles(fig):
        write()


def axis_labels(ax: Axes, xlabel: str = "", ylabel: str = "") -> None:
    """Axis labels in the house size and colour."""
    ax.set_xlabel(xlabel, fontsize=LABEL_SIZE, color=TEXT)
    ax.set_ylabel(ylabel, fontsize=LABEL_SIZE, color=TEXT)


def ignore_drawing_warnings() -> None:
    """Filters for what matplotlib says while kposim draws: UserWarnings about rendering (a
    glyph missing from the font, as for a name in a script DejaVu Sans lacks; constrained
    layout giving up on a crowded figure; identical axis limits), attributed to matplotlib or
    to the kposim module that called it, and numpy's floating-point RuntimeWarnings there.
    They concern looks, never results. For use inside ``warnings.catch_warnings()``.
    """
    import warnings

    for module in (r"matplotlib(\.|$)", r"simulator\.(present|output)(\.|$)"):
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


#: zlib level of PNG charts: level 3 takes about half the time of level 6, for files 10-20%
#: larger; the pixels are the same.
PNG_LEVEL = 3


def png_bytes(rgba: Any, dpi: float, text: dict[str, str] | None = None) -> bytes:
    """An 8-bit PNG of an ``(height, width, 4)`` uint8 RGBA array: RGB when every pixel is
    opaque (the same pixels, three quarters of the bytes), each row unfiltered and the whole
    deflated at :data:`PNG_LEVEL`, with ``dpi`` (pHYs) and ``text`` (tEXt) chunks.

    Pillow (matplotlib's writer) picks a filter for each row by trying all five, which costs
    more than the deflating itself: on a chart, mostly flat colour, unfiltered rows deflate
    about as small, in well under half the time (some 8 ms for a 1500 x 840 chart, not 25).
    """
    import struct
    import zlib

    import numpy as np

    height, width = rgba.shape[:2]
    opaque = bool(rgba[..., 3].min() == 255)
    channels = 3 if opaque else 4
    rows = np.empty((height, 1 + width * channels), dtype=np.uint8)
    rows[:, 0] = 0  # each row's filter: none
    pixels = rows[:, 1:].reshape(height, width, channels)
    for c in range(channels):  # a channel at a time: four times faster than all at once
        pixels[..., c] = rgba[..., c]

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data)))

    ppm = round(dpi / 0.0254)  # pixels per metre
    parts = [b"\x89PNG\r\n\x1a\n",
             chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2 if opaque else 6,
                                        0, 0, 0)),
             chunk(b"pHYs", struct.pack(">IIB", ppm, ppm, 1))]
    parts += [chunk(b"tEXt", f"{k}\0{v}".encode("latin-1")) for k, v in (text or {}).items()]
    parts += [chunk(b"IDAT", zlib.compress(rows.data, PNG_LEVEL)), chunk(b"IEND", b"")]
    return b"".join(parts)


def write_png(fig: Figure, path: Path, dpi: int) -> None:
    """Write ``fig`` to ``path`` as PNG at ``dpi``, as ``fig.savefig`` would with a white
    background, drawing it once: the layout is computed once, at ``dpi`` (savefig computes
    it in a draw of its own before the one it writes), titles that run past the edge are
    wrapped (:func:`fit_titles`) and only the layout is computed again, and an opaque image
    is stored as RGB (the same pixels, in three quarters of the bytes to compress).
    Texts are set plain (:func:`plain_text`) first.
    """
    import matplotlib as mpl
    import numpy as np
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    plain_text(fig)
    canvas, old_dpi, facecolor = fig.canvas, fig.dpi, fig.get_facecolor()
    engine = fig.get_layout_engine()
    agg = FigureCanvasAgg(fig)  # the figure's canvas until restored below
    try:
        fig.dpi = dpi
        fig.set_facecolor("white")
        pinned = _pin_titles(fig)
        try:
            if engine is not None:
                engine.execute(fig)
            if fit_titles(fig):
                # A wrapped title is taller: check again that it clears the axes.
                for ax in pinned:
                    cast(_PrivateAxes, ax)._autotitlepos = True
                pinned = _pin_titles(fig, pinned)
                if engine is not None:
                    engine.execute(fig)
            if engine is not None:
                fig.set_layout_engine("none")  # laid out: the draw must not do it again
            agg.draw()
        finally:
            if engine is not None:
                fig.set_layout_engine(engine)
            for ax in pinned:
                cast(_PrivateAxes, ax)._autotitlepos = True
        png = png_bytes(np.asarray(agg.buffer_rgba()), dpi, {  # what savefig writes
            "Software": f"Matplotlib version{mpl.__version__}, https://matplotlib.org/"})
        Path(path).write_bytes(png)
    finally:
        fig.set_facecolor(facecolor)
        fig.dpi = old_dpi
        fig.set_canvas(canvas)


def save(fig: Figure, out_dir: Path, stem: str, formats: Iterable[str] = ("png", "svg"),
         dpi: int = 150) -> list[Path]:
    """Write ``out_dir/stem.<fmt>`` for each format (``dpi`` in pixels per inch for raster
    formats), then close the figure; returns the paths. SVG output is byte-reproducible. A
    title that the layout pushed past the figure's edge is wrapped (:func:`fit_titles`), so
    no title is ever cut off: a PNG is laid out again before its one drawing
    (:func:`write_png`), another format is written again. Rendering warnings are silenced
    (:func:`ignore_drawing_warnings`).
    """
    import matplotlib as mpl

    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    formats = tuple(formats)
    paths = [out_dir / f"{stem}.{fmt}" for fmt in formats]

    with quiet_warnings(), mpl.rc_context({"svg.hashsalt": "kposim"}):  # restored on exit
        for k, (fmt, path) in enumerate(zip(formats, paths, strict=False)):
            metadata = {"svg": {"Date": None}, "pdf": {"CreationDate": None}}.get(fmt)

            def write(fmt: str = fmt, path: Path = path, metadata=metadata) -> None:  # noqa: ANN001
                fig.savefig(path, format=fmt, dpi=dpi, facecolor="white", metadata=metadata)

            if fmt == "png":  # lays out once, fits the titles, then draws once
                write_png(fig, path, dpi)
            elif k == 0:  # the first drawing tells whether a title overflows
                draw_fitted(fig, write)
            else:
                write()
    pyplot = sys.modules.get("matplotlib.pyplot")  # only if someone made it a pyplot figure
    if pyplot is not None:
        pyplot.close(fig)
    return paths


def svg_text(fig: Any) -> str:
    """A figure as SVG text (same settings as :func:`simulator.present.plots.style.save`: titles
    fitted to the figure, rendering warnings silenced).
    """
    import matplotlib as mpl

    buf = io.StringIO()

    def write() -> None:
        buf.seek(0)
        buf.truncate()
        fig.savefig(buf, format="svg", facecolor="white", metadata={"Date": None})

    with quiet_warnings(), mpl.rc_context({"svg.hashsalt": "kposim"}):
        draw_fitted(fig, write)
    return buf.getvalue()
