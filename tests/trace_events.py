"""Hand-made trace events (the format of docs/trace-format.md) for unit tests of the trace analysis and checks."""
from __future__ import annotations

from typing import Any


def rows(start: int, stop: int, *, via: list[str] | None = None) -> dict[str, Any]:
    """A row set whose fingerprints are start..stop-1 (mod 1: every row sampled)."""
    out: dict[str, Any] = {"n": stop - start, "mod": 1, "uniq": stop - start, "h": list(range(start, stop))}
    if via:
        out["via"] = via
    return out


def fit(id: int, est: str, cls: str, r: dict, *, kind: str = "classifier", cell: int = 1, **extra: Any) -> dict:
    return {"ev": "call", "id": id, "depth": 0, "cell": cell, "line": 1, "method": "fit", "cls": cls, "est": est,
            "kind": kind, "final_cls": extra.pop("final_cls", cls), "params": extra.pop("params", ""), "rows": r,
            "has_y": extra.pop("has_y", True), **extra}


def predict(id: int, est: str, cls: str, r: dict, *, cell: int = 2, constant: bool = False) -> dict:
    return {"ev": "call", "id": id, "depth": 0, "cell": cell, "line": 1, "method": "predict_proba", "cls": cls,
            "est": est, "kind": "classifier", "rows": r, "constant": constant}


def metric(id: int, pred_call: int, value: float, *, name: str = "roc_auc_score", cell: int = 2,
           labels: str | None = None) -> dict:
    """A metric call scoring prediction `pred_call`; `labels` is the content hash of y_true (None: not hashed)."""
    return {"ev": "metric", "id": id, "depth": 0, "cell": cell, "line": 2, "name": name, "value": value,
            "y_true": {"n": 10, **({"hash": labels} if labels else {})},
            "y_pred": {"n": 10, "hash": "b", "link": {"call": pred_call}}}


def span(first: str, last: str, *, sorted: bool = False) -> dict[str, Any]:
    """A `times` entry for rows spread evenly over the days first..last (ISO dates)."""
    from datetime import date

    a, b = date.fromisoformat(first), date.fromisoformat(last)
    pick = lambda q: date.fromordinal(a.toordinal() + int(q * (b.toordinal() - a.toordinal()))).isoformat()  # noqa: E731
    return {"min": first, "p05": pick(0.05), "p95": pick(0.95), "max": last, "n": 100, "sorted": sorted}


def timed(r: dict[str, Any], column: str, first: str, last: str, *, sorted: bool = False) -> dict[str, Any]:
    """Row set `r` whose rows carry `column` spread over first..last."""
    return {**r, "times": {column: span(first, last, sorted=sorted)}}
