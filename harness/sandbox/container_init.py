"""PID 1 of the sandbox container: start the runner, reap orphans, exit with the runner's exit status.

The container's exit code is how the host learns how the run ended, so nothing inside may forge it.
Docker's own init (tini) is dumpable: the sandbox uid could ptrace it or write its /proc/1/mem and
make it exit 0. This init is non-dumpable (no ptrace, no /proc access for the sandbox uid) and keeps
no signal handler, so signals from inside the pid namespace, even SIGKILL, never reach it. If the
runner is killed, that shows as 128 + the signal number.

Standard library only: it runs inside the image, where the harness package is not installed.
"""
from __future__ import annotations

import ctypes
import os
import signal
import sys

PR_SET_DUMPABLE = 4
INIT_FAILED = 125


def main(argv: list[str]) -> int:
    if not argv:
        print("usage: container_init.py COMMAND [ARG...]", file=sys.stderr)
        return INIT_FAILED
    if ctypes.CDLL(None, use_errno=True).prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) != 0:
        print(f"init: prctl failed: {os.strerror(ctypes.get_errno())}", file=sys.stderr)
        return INIT_FAILED
    # Python's KeyboardInterrupt handler is the only one it installs; without it, pid 1 ignores them all.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    child = os.fork()
    if child == 0:
        signal.signal(signal.SIGINT, signal.SIG_DFL)  # an ignored signal would be inherited across exec
        try:
            os.execvp(argv[0], argv)
        finally:
            os._exit(127)
    while True:
        pid, wait_status = os.wait()  # also reaps every orphan re-parented to pid 1
        if pid == child:
            code = os.waitstatus_to_exitcode(wait_status)
            return code if code >= 0 else 128 - code


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
