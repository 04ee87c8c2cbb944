"""A team's own CSV, generated: support tickets with an open time, a few features, a yes/no target
(escalated) and a numeric one (handling cost), and a column that must never be sent (email)."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd


def write_tickets_csv(path: Path, *, rows: int = 1500, seed: int = 0) -> Path:
    rng = np.random.default_rng(seed)
    opened = pd.date_range("2024-01-01", periods=rows, freq="12h")
    urgency = rng.normal(size=rows)
    segment = rng.choice(["retail", "business", "public"], rows)
    wait = rng.exponential(2, rows)
    wait[rng.random(rows) < 0.1] = np.nan
    logit = 2.0 * urgency + 1.2 * (segment == "business") - 0.4
    escalated = np.where(rng.random(rows) < 1 / (1 + np.exp(-logit)), "yes", "no")
    cost = 50 + 12 * urgency + 8 * (segment == "public") + rng.normal(0, 4, rows)
    pd.DataFrame({
        "ticket": [f"T{i:05d}" for i in range(rows)], "opened": opened.strftime("%Y-%m-%d %H:%M"),
        "urgency": urgency.round(3), "segment": segment, "wait_hours": wait.round(2),
        "email": [f"person{i}@example.org" for i in range(rows)], "escalated": escalated, "cost": cost.round(2),
    }).to_csv(path, index=False)
    return path
