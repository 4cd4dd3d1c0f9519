"""Charts as SVG, drawn with matplotlib, one function per chart so the web page and
printed reports use the same drawing (docs/decisions/0003-charts-matplotlib-svg.md)."""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
from matplotlib.ticker import FixedLocator, FuncFormatter, NullFormatter

BLUE = "#0b4f8a"
RED = "#a4161a"
GREY = "#4a5560"


def _svg(fig: object) -> str:
    buffer = io.StringIO()
    fig.savefig(buffer, format="svg", bbox_inches="tight")  # type: ignore[attr-defined]
    plt.close(fig)  # type: ignore[arg-type]
    text = buffer.getvalue()
    return text[text.index("<svg"):]


def forest_plot(rows: Sequence[tuple[str, float, float, float, bool]], title: str,
                reference_label: str) -> str:
    """Ratio and 95% interval per group on a log scale; a line at 1 (the reference).

    ``rows``: (label, ratio, low, high, significant). Significant rows are red.
    """
    height = 0.9 + 0.45 * max(len(rows), 1)
    fig, ax = plt.subplots(figsize=(6.4, height))
    for y, (label, ratio, low, high, significant) in enumerate(reversed(rows)):
        colour = RED if significant else BLUE
        ax.plot([low, high], [y, y], color=colour, linewidth=2)
        ax.plot([ratio], [y], marker="D" if significant else "o", color=colour, markersize=7)
        del label
    ax.axvline(1.0, color=GREY, linestyle="--", linewidth=1)
    ax.set_yticks(range(len(rows)), [r[0] for r in reversed(rows)])
    ax.set_xscale("log")
    low = min(r[2] for r in rows) if rows else 0.5
    high = max(r[3] for r in rows) if rows else 2.0
    ticks = [t for t in (0.1, 0.2, 0.25, 0.5, 1, 2, 4, 5, 10, 20) if low / 1.2 <= t <= high * 1.2]
    ax.xaxis.set_major_locator(FixedLocator(ticks or [1]))
    ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _pos: f"{v:g}"))
    ax.xaxis.set_minor_formatter(NullFormatter())
    ax.set_xlabel(f"Ratio to {reference_label} (log scale); diamonds: significant after FDR")
    ax.set_title(title, loc="left", fontsize=11)
    ax.grid(axis="x", color="#d0d7de", linewidth=0.6)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    return _svg(fig)


def trend_chart(years: Sequence[str], series: Mapping[str, Sequence[float | None]],
                title: str, ylabel: str) -> str:
    """One line per group across school years (gaps where a value is suppressed)."""
    fig, ax = plt.subplots(figsize=(6.4, 3.2))
    x = list(range(len(years)))
    for label, values in series.items():
        points = [(i, v) for i, v in zip(x, values, strict=True) if v is not None]
        if points:
            ax.plot([p[0] for p in points], [p[1] for p in points], marker="o", label=label)
    ax.set_xticks(x, list(years))
    ax.set_ylabel(ylabel)
    ax.set_title(title, loc="left", fontsize=11)
    ax.grid(axis="y", color="#d0d7de", linewidth=0.6)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    if series:
        ax.legend(fontsize=8, frameon=False, loc="upper left", bbox_to_anchor=(1, 1))
    return _svg(fig)
