"""The recruitment funnel as a PNG chart (matplotlib, no display needed)."""

from __future__ import annotations

import io

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from commands.i18n import Translator
from storage.stats import STAGES, Funnel

TOP_SOURCES = 6


def funnel_png(funnel: Funnel, t: Translator) -> bytes:
    """Grouped bars: for the busiest sources, how many people reached each stage.

    CPU work: callers run it in a worker thread. It builds its own Figure and canvas rather
    than going through pyplot, whose global figure registry is not safe across threads.
    """
    sources = sorted(funnel.by_source, key=lambda s: -funnel.by_source[s]["started"])
    sources = sources[:TOP_SOURCES]
    figure = Figure(figsize=(9, 4.8), dpi=100)
    FigureCanvasAgg(figure)
    axes = figure.subplots()
    width = 0.8 / max(len(sources), 1)
    for index, source in enumerate(sources):
        counts = [funnel.by_source[source][stage] for stage in STAGES]
        positions = [stage + index * width for stage in range(len(STAGES))]
        axes.bar(positions, counts, width=width, label=source)
    axes.set_xticks([i + 0.4 - width / 2 for i in range(len(STAGES))])
    axes.set_xticklabels([t(f"stats.stage.{stage}") for stage in STAGES], fontsize=8)
    axes.set_ylabel(t("stats.chart_people"))
    axes.set_title(t("stats.chart_title"))
    if sources:
        axes.legend(fontsize=8)
    figure.tight_layout()
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()
