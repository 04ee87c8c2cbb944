"""Small notebooks for the sandbox tests (each test builds its own submission folder from these)."""
from __future__ import annotations

from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

SOLVED = [
    "import pandas as pd\ntrain = pd.read_csv('data/train.csv')\ntest = pd.read_csv('data/test.csv')",
    "from sklearn.linear_model import LogisticRegression\n"
    "model = LogisticRegression().fit(train[['x']], train['y'])",
    "pd.DataFrame({'id': test['id'], 'p': model.predict_proba(test[['x']])[:, 1]}).to_csv('predictions.csv', index=False)",
]
INFINITE_LOOP = ["x = 1", "while True:\n    x += 1"]
IGNORES_SIGINT = ["import signal, time\nsignal.signal(signal.SIGINT, signal.SIG_IGN)\nwhile True:\n    time.sleep(0.1)"]
MEMORY_BOMB = ["x = 1", "blocks = []\nwhile True:\n    blocks.append(bytearray(50 * 1024 * 1024))\n    blocks[-1][::4096] = b'x' * len(blocks[-1][::4096])"]
FORK_BOMB = ["import os\nchildren = []\nwhile True:\n    pid = os.fork()\n    if pid == 0:\n        import time\n        time.sleep(600)\n        os._exit(0)\n    children.append(pid)"]
OS_EXIT = ["x = 1", "import os\nos._exit(3)", "print('never')"]
KILLS_RUNNER = ["x = 1", "import os, signal\nos.kill(os.getppid(), signal.SIGKILL)", "print('never')"]
FREEZES_RUNNER = ["x = 1", "import os, signal\nos.kill(os.getppid(), signal.SIGSTOP)\nimport time\ntime.sleep(600)"]


def make_submission(root: Path, cells: list[str], *, with_markdown: bool = True) -> Path:
    """A folder with notebook.ipynb and a decoy data/ (which the sandbox must ignore)."""
    sub = root / "submission"
    (sub / "data").mkdir(parents=True)
    (sub / "data" / "train.csv").write_text("decoy\n")
    front = [new_markdown_cell("# A submission")] if with_markdown else []
    nbformat.write(new_notebook(cells=front + [new_code_cell(c) for c in cells]), sub / "notebook.ipynb")
    return sub


def make_data(root: Path) -> Path:
    data = root / "grader-data"
    data.mkdir()
    rows = "\n".join(f"{i},{i % 7},{int(i % 7 > 3)}" for i in range(60))
    (data / "train.csv").write_text("id,x,y\n" + rows + "\n")
    (data / "test.csv").write_text("id,x\n" + "\n".join(f"{i},{i % 5}" for i in range(20)) + "\n")
    return data
