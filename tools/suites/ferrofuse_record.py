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
the build tree's programs a test runs. A failing test's report (traceback
and the captured output of the filesystem daemon) goes to
$FERROFUSE_PYTEST_LOGS/<nodeid, sanitised>.log, named in the record's
"log".
"""

import json
import os
import re
import subprocess

_current = {"nodeid": None}
_argv = {}
_reports = {}

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


def pytest_runtest_logstart(nodeid, location):
    _current["nodeid"] = nodeid
    _reports[nodeid] = []


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
    reports = _reports.pop(nodeid, [])
    outcome, reason = _verdict(reports)
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
