"""Terminal text made plain: shared by the checks (graders/) and the report, which both read run output."""
from __future__ import annotations

import re

_ANSI = re.compile(r"\x1b\[[0-9;?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(\x07|\x1b\\)|\x1b[@-Z\\-_]")
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


def strip_ansi(text: str) -> str:
    """Terminal escape sequences and other control characters out; newlines and tabs stay."""
    return _CONTROL.sub("", _ANSI.sub("", text))
