"""What the grader prepares beside the sandbox, in one thread of its own: its copy of the data (written and
verified against bundle.json's checksums while the container starts: the sandbox waits for it only when it puts
the data in), then, while the notebook runs, a verified bundle's hidden labels and reference scores and the
imports the report needs. The container has a CPU of its own; none of this would otherwise overlap it."""
from __future__ import annotations

import time
from concurrent.futures import Future, ThreadPoolExecutor, wait
from pathlib import Path
from typing import Any

from takehome_harness.harness.grading_data import Variant, write_grader_data


class GraderSide:
    """Started by the grade's validate step; `data_ready` and `scoring` wait for it (and raise what went wrong
    there), `waited` says how long they did (the report's data phase)."""

    def __init__(self, *, variant: Variant, bundle: dict[str, Any] | None, data_dest: Path | None) -> None:
        self.waited = 0.0
        executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="grader-side")
        # one worker: the scoring inputs are prepared after the data, once the variant is known to be verified
        self._data = (executor.submit(_write_data, variant=variant, bundle=bundle, dest_dir=data_dest)
                      if data_dest is not None else None)
        self._scoring = executor.submit(_scoring_inputs, variant, labels=self._data)
        executor.shutdown(wait=False)

    def data_ready(self) -> None:
        """Once the grader's data/ is complete (nothing to wait for in generic mode)."""
        if self._data is not None:
            self._wait(self._data)

    def scoring(self) -> tuple[Any, Any]:
        """(hidden labels, reference scores) of a verified bundle, else (None, None)."""
        self.data_ready()
        return self._wait(self._scoring)

    def finish(self) -> None:
        """Let the thread's work end, whatever became of the grade: the next grade of a batch must not share the
        machine with it. What it raised is the grade's business (data_ready, scoring), not this."""
        wait([future for future in (self._data, self._scoring) if future is not None])

    def _wait(self, future: Future) -> Any:
        began = time.monotonic()
        try:
            return future.result()
        finally:
            self.waited += time.monotonic() - began


def _write_data(*, variant: Variant, bundle: dict[str, Any] | None, dest_dir: Path) -> Any:
    """The hidden labels of the verified variant (generated with the data, not again), or None."""
    verified = write_grader_data(exercise=variant.exercise, variant=variant, bundle=bundle, dest_dir=dest_dir)
    variant.info.verified = variant.labels_allowed = verified is not None
    return verified.labels if verified is not None else None


def _scoring_inputs(variant: Variant, *, labels: Future | None) -> tuple[Any, Any]:
    import takehome_harness.harness.report.html_report  # noqa: F401 - the report's renderer, imported while we wait
    from takehome_harness.harness.report.plots import load_plotting

    load_plotting()
    # done: this thread wrote the data first; what went wrong there, scoring() has raised already
    if labels is None or labels.exception() is not None or not variant.labels_allowed:
        return None, None
    from takehome_harness.harness.materialize import reference_scores

    return labels.result(), reference_scores(exercise=variant.exercise, seed=variant.seed)
