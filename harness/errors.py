"""Errors that mean "bad input": the CLI prints their message on one line, no traceback."""


class HarnessError(Exception):
    """A problem the user can fix; str(exc) is the whole message."""

    exit_code = 2


class SandboxUnavailable(HarnessError):
    exit_code = 3
