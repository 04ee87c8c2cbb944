"""Errors that mean "bad input": the CLI prints their message on one line, no traceback."""


class HarnessError(Exception):
    """A problem the user can fix; str(exc) is the whole message."""

    exit_code = 2


class SandboxUnavailable(HarnessError):
    exit_code = 3


class SubmissionRejected(HarnessError):
    """The submission cannot be graded as given (broken zip, no notebook, ...); still gets a report."""


class SandboxLost(SandboxUnavailable):
    """The Docker engine went away during a run: not the submission's fault, and the same command grades it
    once the engine is back. `outcome` is the report written for the interrupted submission, if any."""

    outcome = None


class OutputUnwritable(HarnessError):
    """The output folder is full or not writable: the batch stops, what is complete stays, a re-run resumes."""

    exit_code = 5
