"""Errors that mean "bad input": the CLI prints their message on one line, no traceback."""


class HarnessError(Exception):
    """A problem the user can fix; str(exc) is the whole message."""

    exit_code = 2


class SandboxUnavailable(HarnessError):
    exit_code = 3


class SubmissionRejected(HarnessError):
    """The submission cannot be graded as given (broken zip, no notebook, ...); still gets a report."""
