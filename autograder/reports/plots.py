"""The class report's charts as PNG ``data:`` images (matplotlib ``Figure`` drawn by Agg), each
with a text alternative that gives its numbers: an alt text, and rows for a table.

pyplot is never imported: no global figures, no GUI backend, and no ``matplotlib.use`` that
would switch the backend (and close the figures) of a notebook that calls the report's API.
"""

from __future__ import annotations

import base64
import io
from dataclasses import dataclass

from ..safety import terminal

DPI = 100
WIDTH_IN = 7.0
BLUE, GREEN, ORANGE, RED = "#3b6ea5", "#1a7f37", "#9a6700", "#cf222e"


@dataclass(frozen=True)
class Chart:
    src: str  # data:image/png;base64,...
    width: int  # pixels
    height: int
    alt: str  # the chart in words, with its numbers
    headers: tuple  # the text alternative as a table: its column headers
    rows: tuple  # and its rows (tuples of text)


def label(text, limit=40) -> str:
    """A label matplotlib draws as it is: printable (no lone surrogate, no control character),
    no mathtext (``$`` escaped), at most ``limit`` characters."""
    text = terminal(text)
    text = text if len(text) <= limit else text[:limit - 1] + "…"
    return text.replace("$", r"\$")


def _figure(height_in):
    from matplotlib.figure import Figure

    fig = Figure(figsize=(WIDTH_IN, height_in), dpi=DPI, layout="constrained")
    return fig, fig.add_subplot()


def _png(fig) -> str:
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    FigureCanvasAgg(fig)
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=DPI)
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def _size(height_in):
    return round(WIDTH_IN * DPI), round(height_in * DPI)


def rate_color(rate) -> str:
    return GREEN if rate >= 0.8 else ORANGE if rate >= 0.5 else RED


def score_histogram(bins, *, max_points_text, mean_percent, median_percent) -> Chart:
    """A histogram of scores in percent of one maximum; ``bins`` as ``aggregate.histogram``
    gives them: ``[(low, high, count)]``."""
    height = 3.0
    fig, ax = _figure(height)
    lefts = [low for low, _, _ in bins]
    widths = [high - low for low, high, _ in bins]
    counts = [count for _, _, count in bins]
    ax.bar(lefts, counts, width=widths, align="edge", color=BLUE, edgecolor="white")
    ax.axvline(mean_percent, color=RED, linewidth=1.5, label=f"mean {mean_percent:.1f} %")
    ax.axvline(median_percent, color=GREEN, linewidth=1.5, linestyle="--",
               label=f"median {median_percent:.1f} %")
    ax.legend(loc="upper left", frameon=False, fontsize=9)
    ax.set_xlim(0, 100)
    ax.set_xlabel(f"score (% of {max_points_text} points)")
    ax.set_ylabel("students")
    ax.yaxis.get_major_locator().set_params(integer=True)
    ax.spines[["top", "right"]].set_visible(False)
    total = sum(counts)
    rows = tuple((f"{low}–{high} %" if high < 100 else f"{low}–100 %", str(count))
                 for low, high, count in bins)
    alt = (f"Histogram of {total} score{'s' * (total != 1)} out of {max_points_text} points: "
           f"mean {mean_percent:.1f} %, median {median_percent:.1f} %; "
           + ", ".join(f"{label}: {count}" for label, count in rows if count != "0") + ".")
    width, pixels = _size(height)
    return Chart(_png(fig), width, pixels, alt, ("score", "students"), rows)


def rate_bars(labels, rates, *, what, label_header, xlabel) -> Chart:
    """Horizontal bars, one per label: a rate (0..1) as a percent."""
    height = 0.8 + 0.32 * len(labels)
    fig, ax = _figure(height)
    positions = list(range(len(labels)))
    ax.barh(positions, [100 * r for r in rates], color=[rate_color(r) for r in rates])
    for y, rate in zip(positions, rates, strict=True):
        ax.text(min(100 * rate + 1, 88), y, f"{100 * rate:.0f} %", va="center", fontsize=8)
    ax.set_yticks(positions, [label(text) for text in labels], fontsize=9)
    ax.invert_yaxis()
    ax.set_xlim(0, 100)
    ax.set_xlabel(xlabel)
    ax.spines[["top", "right"]].set_visible(False)
    rows = tuple((label, f"{100 * rate:.0f} %") for label, rate in zip(labels, rates,
                                                                         strict=True))
    alt = f"Bar chart of {what}: " + ", ".join(f"{label} {value}" for label, value in rows) + "."
    width, pixels = _size(height)
    return Chart(_png(fig), width, pixels, alt, (label_header, xlabel), rows)
