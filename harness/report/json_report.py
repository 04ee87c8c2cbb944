"""report.json: the report as JSON, validated against harness/schemas/report.schema.json."""
from __future__ import annotations

import json
import math
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import jsonschema

from takehome_harness.harness.atomic_files import write_text_atomic
from takehome_harness.harness.report.model import Report


@cache
def report_schema() -> dict[str, Any]:
    """The shipped schema, with run.backend's names taken from the sandbox registry (the file lists the same
    names for readers of the file alone; a test keeps the two equal)."""
    from takehome_harness.harness.sandbox.registry import names

    schema = json.loads(resources.files("takehome_harness.harness.schemas").joinpath("report.schema.json").read_text())
    schema["properties"]["run"]["properties"]["backend"]["enum"] = [*names(), None]
    return schema


def _plain(value: Any) -> Any:
    """Checks may hand back numpy scalars/arrays or paths; JSON gets plain values (NaN -> null)."""
    if hasattr(value, "tolist"):
        return _plain(value.tolist())
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set)):
        return [_plain(v) for v in value]
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    return str(value)


def report_document(report: Report) -> dict[str, Any]:
    return _plain(report.to_dict())


def validation_errors(document: Any) -> list[str]:
    validator = jsonschema.Draft202012Validator(report_schema(), format_checker=jsonschema.FormatChecker())
    return [f"{'/'.join(str(p) for p in err.absolute_path) or '(top level)'}: {err.message}"
            for err in sorted(validator.iter_errors(document), key=lambda e: list(e.absolute_path))]


def write_json_report(report: Report, path: Path) -> dict[str, Any]:
    """Validate, then write; a report that breaks the schema is our bug and must not be written silently."""
    document = report_document(report)
    errors = validation_errors(document)
    if errors:
        raise ValueError("report.json does not match its schema: " + "; ".join(errors[:5]))
    write_text_atomic(path, json.dumps(document, indent=2, ensure_ascii=False, allow_nan=False) + "\n")
    return document
