"""pytest plugin of ferrofuse's suite harness (tests/libfuse_suites.rs).

Loaded into libfuse's own, unmodified pytest suite with
`-p ferrofuse_record` (this directory on PYTHONPATH). For every test it
appends one JSON line to $FERROFUSE_PYTEST_RECORD, written as soon as the
test is over, so a run killed by its timeout still leaves the tests it
finished:

    {"nodeid": ..., "outcome": "passed"|"failed"|"skipped",
     "reason": <skip reason or first line of the failure>,
     "duration": <seconds>, "argv": [[program, arg...], ...], "log": ...}

`argv` lists every command the test started through subprocess (all of
subprocess's helpers go through Popen), which tells the harness which of
the build tree's programs a test runs.

A test running longer than $FERROFUSE_PYTEST_TEST_TIMEOUT seconds (default
120) gets every process below pytest SIGKILLed: a filesystem daemon that
stops answering leaves the test blocked in a syscall on its mount, and only
the daemon's death (which aborts the FUSE connection) gets it out. Such a
test is recorded as failed, with the reason. A failing test's report (traceback
and the captured output of the filesystem daemon) goes to
$FERROFUSE_PYTEST_LOGS/<nodeid, sanitised>.log, named in the record's
"log".
"""

import json
import os
import re
import signal
import subprocess
import threading

_current = {"nodeid": None}
_argv = {}
_reports = {}
_expired = {}
_timer = {"t": None}

_orig_popen_init = subprocess.Popen.__init__


def _recording_popen_init(self, args, *rest, **kwargs):
    nodeid = _current["nodeid"]
    if nodeid is not None:
        try:
            if isinstance(args, (str, bytes, os.PathLike)):
                argv = [args]
            else:
                argv = list(args)
            argv = [os.fsdecode(a) if isinstance(a, (bytes, os.PathLike))
                    else str(a) for a in argv]
            _argv.setdefault(nodeid, []).append(argv)
        except Exception:  # recording must never change the test
            pass
    _orig_popen_init(self, args, *rest, **kwargs)


subprocess.Popen.__init__ = _recording_popen_init


def _log_name(nodeid):
    return re.sub(r'[^A-Za-z0-9_.=-]+', '_', nodeid)[:200] + '.log'


def _descendants(root):
    """Pids of every process below `root`, from /proc."""
    children = {}
    for entry in os.listdir('/proc'):
        if not entry.isdigit():
            continue
        try:
            with open(f'/proc/{entry}/stat', encoding='utf-8') as fh:
                stat = fh.read()
            ppid = int(stat.rsplit(')', 1)[1].split()[1])
        except (OSError, ValueError, IndexError):
            continue
        children.setdefault(ppid, []).append(int(entry))
    found, todo = [], [root]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def _expire(nodeid, limit):
    if _current["nodeid"] != nodeid:
        return
    _expired[nodeid] = limit
    for pid in _descendants(os.getpid()):
        try:
            os.kill(pid, signal.SIGKILL)
        except OSError:
            pass


def pytest_runtest_logstart(nodeid, location):
    _current["nodeid"] = nodeid
    _reports[nodeid] = []
    limit = float(os.environ.get('FERROFUSE_PYTEST_TEST_TIMEOUT', '120'))
    timer = threading.Timer(limit, _expire, (nodeid, limit))
    timer.daemon = True
    timer.start()
    _timer["t"] = timer


def pytest_runtest_logreport(report):
    _reports.setdefault(report.nodeid, []).append(report)


def _first_line(text):
    for line in str(text).splitlines():
        if line.strip():
            return line.strip()[:300]
    return ''


def _verdict(reports):
    """passed, failed or skipped, with a reason, from the phase reports."""
    for rep in reports:
        if rep.failed:
            crash = getattr(rep.longrepr, 'reprcrash', None)
            reason = _first_line(getattr(crash, 'message', '') or
                                 rep.longreprtext)
            if rep.when != 'call':
                reason = f'{rep.when}: {reason}'
            return 'failed', reason
    for rep in reports:
        if rep.skipped:
            longrepr = rep.longrepr
            if isinstance(longrepr, tuple) and len(longrepr) == 3:
                reason = str(longrepr[2])
            else:
                reason = _first_line(getattr(rep, 'longreprtext', ''))
            if reason.startswith('Skipped: '):
                reason = reason[len('Skipped: '):]
            return 'skipped', reason
    return 'passed', ''


def pytest_runtest_logfinish(nodeid, location):
    _current["nodeid"] = None
    if _timer["t"] is not None:
        _timer["t"].cancel()
    reports = _reports.pop(nodeid, [])
    outcome, reason = _verdict(reports)
    if nodeid in _expired:
        outcome = 'failed'
        reason = (f'ran over {_expired.pop(nodeid):.0f} s: the harness killed '
                  f'its processes ({reason or outcome})')
    logs = os.environ.get('FERROFUSE_PYTEST_LOGS')
    log = ''
    if logs and outcome == 'failed':
        os.makedirs(logs, exist_ok=True)
        log = os.path.join(logs, _log_name(nodeid))
        with open(log, 'w', encoding='utf-8', errors='replace') as fh:
            for rep in reports:
                fh.write(f'===== {rep.when}: {rep.outcome}\n')
                if rep.longreprtext:
                    fh.write(rep.longreprtext + '\n')
                for title, text in rep.sections:
                    fh.write(f'----- {title}\n{text}\n')
    line = {
        'nodeid': nodeid,
        'outcome': outcome,
        'reason': reason,
        'duration': round(sum(r.duration for r in reports), 3),
        'argv': _argv.pop(nodeid, []),
        'log': log,
    }
    path = os.environ.get('FERROFUSE_PYTEST_RECORD')
    if path:
        with open(path, 'a', encoding='utf-8') as fh:
            fh.write(json.dumps(line) + '\n')
