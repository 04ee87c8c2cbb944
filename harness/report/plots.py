"""Report plots as PNG data URIs. Uses matplotlib's object API (no pyplot state), so batch workers are safe.

matplotlib and numpy are imported when a plot is drawn, not with this module: importing them is most of a grader's
start-up time and memory, and a rejected submission or a batch's parent process never needs them. The curves come
from takehome_harness.harness.metric_functions, not scikit-learn, which would cost the grader 71 MiB and about 1 s
more."""
from __future__ import annotations

import base64
import io
import math

from typing import TYPE_CHECKING

from takehome_harness.harness.report.model import Scores

if TYPE_CHECKING:
    import numpy as np
    from matplotlib.figure import Figure

_INK, _MUTED, _ACCENT, _WARN = "#1f2933", "#9aa5b1", "#2563eb", "#d97706"


def load_plotting() -> None:
    """Import what drawing the plots needs, ahead of time (a grade does it while the sandbox runs)."""
    import matplotlib.backends.backend_agg  # noqa: F401
    import matplotlib.figure  # noqa: F401


def _data_uri(fig: Figure) -> str:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=110)
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode()


def _style(ax) -> None:
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    ax.tick_params(colors=_INK, labelsize=9)


def score_plot(scores: Scores) -> str | None:
    """Primary metric: candidate's hidden score and claim next to the exercise's baseline and reference."""
    metric = scores.primary_metric
    if metric is None:
        return None
    bars = [(label, values.get(metric), colour) for label, values, colour in (
        ("baseline", scores.baseline or {}, _MUTED),
        ("reference", scores.reference or {}, _INK),
        ("candidate (hidden test)", scores.hidden or {}, _ACCENT),
    )]
    bars.append(("candidate's claim", scores.claimed_primary, _WARN))
    # an absurd prediction (1e308 minutes) makes an error metric infinite: that bar cannot be drawn
    bars = [(label, value, colour) for label, value, colour in bars if value is not None and math.isfinite(value)]
    if not bars:
        return None
    import numpy as np
    from matplotlib.figure import Figure

    height = 0.45 * len(bars) + 0.9
    fig = Figure(figsize=(6.4, height))
    ax = fig.subplots()
    fig.subplots_adjust(left=0.27, right=0.97, bottom=0.62 / height, top=1 - 0.36 / height)
    labels, values, colours = zip(*bars)
    positions = np.arange(len(bars))[::-1]
    ax.barh(positions, values, color=colours, height=0.6)
    ax.set_yticks(positions, labels)
    for y, value in zip(positions, values):
        ax.text(value, y, f" {value:.3f}", va="center", fontsize=9, color=_INK)
    low = min(values)
    ax.set_xlim(min(0.5, low - 0.05) if metric == "roc_auc" else min(0, low), max(values) * 1.12 or 1)
    ax.set_xlabel(metric)
    ax.set_title(f"{metric}: candidate vs. baseline and reference", fontsize=10, loc="left")
    _style(ax)
    return _data_uri(fig)


def curve_plot(y_true: np.ndarray, y_score: np.ndarray) -> str | None:
    """ROC and precision-recall on the hidden test (binary classification only)."""
    import numpy as np

    if len(np.unique(y_true)) != 2:
        return None
    from matplotlib.figure import Figure

    from takehome_harness.harness.metric_functions import precision_recall_curve, roc_curve

    fig = Figure(figsize=(8.4, 3.6))
    roc_ax, pr_ax = fig.subplots(1, 2)
    fig.subplots_adjust(left=0.08, right=0.98, bottom=0.15, top=0.9, wspace=0.25)
    fpr, tpr, _ = roc_curve(y_true, y_score)
    roc_ax.plot(fpr, tpr, color=_ACCENT)
    roc_ax.plot([0, 1], [0, 1], color=_MUTED, linestyle="--", linewidth=1)
    roc_ax.set(xlabel="false positive rate", ylabel="true positive rate", title="ROC (hidden test)")
    precision, recall, _ = precision_recall_curve(y_true, y_score)
    pr_ax.plot(recall, precision, color=_ACCENT)
    pr_ax.axhline(float(np.mean(y_true == np.max(y_true))), color=_MUTED, linestyle="--", linewidth=1)
    pr_ax.set(xlabel="recall", ylabel="precision", title="Precision-recall (hidden test)", ylim=(0, 1.02))
    for ax in (roc_ax, pr_ax):
        ax.title.set_fontsize(10)
        _style(ax)
    return _data_uri(fig)


def cell_times_plot(cell_seconds: list[float | None]) -> str | None:
    timed = [(i, s) for i, s in enumerate(cell_seconds) if s is not None]
    if not timed:
        return None
    from matplotlib.figure import Figure

    fig = Figure(figsize=(8.4, 2.4))
    ax = fig.subplots()
    fig.subplots_adjust(left=0.08, right=0.98, bottom=0.22, top=0.86)
    index, seconds = zip(*timed)
    ax.bar(index, seconds, color=_ACCENT, width=0.7)
    ax.set(xlabel="cell", ylabel="seconds", title="Run time per cell")
    ax.title.set_fontsize(10)
    _style(ax)
    return _data_uri(fig)
