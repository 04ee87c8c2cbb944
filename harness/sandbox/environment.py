"""The environment a notebook runs with: the same for the Docker and the local backend."""
from __future__ import annotations

import math

# Every BLAS/OpenMP flavour reads its own variable; unset ones default to "all cores" and
# oversubscribe the CPU quota (and, in the local fallback, the virtual-memory limit).
THREAD_VARIABLES = (
    "OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "VECLIB_MAXIMUM_THREADS",
    "NUMEXPR_NUM_THREADS", "NUMEXPR_MAX_THREADS", "BLIS_NUM_THREADS", "LOKY_MAX_CPU_COUNT",
)


def thread_count(cpus: float) -> int:
    return max(1, math.floor(cpus))


def sandbox_environment(*, home: str, tmp: str, cpus: float, path: str) -> dict[str, str]:
    """A minimal environment built from scratch: nothing of the grader's own (secrets!) leaks in."""
    threads = str(thread_count(cpus))
    env = {
        "PATH": path,
        "HOME": home,
        "TMPDIR": tmp,
        "IPYTHONDIR": f"{home}/.ipython",
        "MPLCONFIGDIR": f"{home}/.config/matplotlib",
        "JUPYTER_RUNTIME_DIR": f"{home}/.local/share/jupyter/runtime",
        "JUPYTER_PLATFORM_DIRS": "1",
        "MPLBACKEND": "agg",
        "PYTHONDONTWRITEBYTECODE": "1",
        "MALLOC_ARENA_MAX": "2",  # glibc reserves 64 MB of address space per thread arena otherwise
        "PYTHONUNBUFFERED": "1",
        "LANG": "C.UTF-8",
        "LC_ALL": "C.UTF-8",
    }
    env.update({name: threads for name in THREAD_VARIABLES})
    return env
