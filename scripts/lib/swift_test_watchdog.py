#!/usr/bin/env python3
"""Runs `swift test --skip-build` with a time limit and says what hung when the limit passes.

usage: swift_test_watchdog.py LIMIT_SECONDS EVENTS_FILE [extra swift test arguments...]

The test process writes swift-testing's event stream (JSON Lines) to EVENTS_FILE. When the run
ends in time, its exit status is passed on unchanged. When it does not, this script prints

  * every test that started and has not ended (with how long ago it started), read from the
    event stream, which the test binary writes unbuffered;
  * the stack of every thread of the test binary (gdb, else lldb from the Swift toolchain), so
    a deadlock shows which calls are waiting on which;

then kills the whole process group and exits 124 (as timeout(1) does). A hang becomes a red run
that names the culprit instead of a CI job killed at its hard limit with nothing said.
"""

import json
import os
import shutil
import signal
import subprocess
import sys
import time


def unfinished(events_path):
    """(description, seconds since it started) for every test function, and every argument case
    of a parameterized one, that started and has not ended. Suites are left out: a suite is
    unfinished exactly when one of its tests is. Case events carry no case identifier, only the
    message text, so the cases of one function are matched first in, first out."""
    functions = {}
    cases = {}
    try:
        with open(events_path, encoding="utf-8", errors="replace") as f:
            for line in f:
                try:
                    record = json.loads(line)
                except json.JSONDecodeError:
                    continue  # the last line may be half written when the run is stopped
                if record.get("kind") != "event":
                    continue
                payload = record["payload"]
                kind = payload.get("kind")
                test = payload.get("testID")
                if test is None or "/" not in test:
                    continue
                when = payload["instant"]["since1970"]
                text = " ".join(m.get("text", "") for m in payload.get("messages", []))
                if kind == "testStarted":
                    functions[test] = (when, text)
                elif kind in ("testEnded", "testSkipped"):
                    functions.pop(test, None)
                    cases.pop(test, None)
                elif kind == "testCaseStarted":
                    cases.setdefault(test, []).append((when, text))
                elif kind == "testCaseEnded" and cases.get(test):
                    cases[test].pop(0)
    except FileNotFoundError:
        return []
    now = time.time()
    rows = [(test, now - when) for test, (when, _) in functions.items()]
    rows += [("  case: " + text, now - when) for open_cases in cases.values() for when, text in open_cases]
    return sorted(rows, key=lambda row: -row[1])


def session_members(session):
    """(pid, command line) of every process in the session `session` (swift test is started as
    its leader; it runs the test binary in a process group of its own, in the same session)."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/cmdline", "rb") as f:
                cmdline = f.read().replace(b"\0", b" ").decode(errors="replace")
            with open(f"/proc/{entry}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()  # state ppid pgrp session ...
        except OSError:
            continue
        if int(fields[3]) == session:
            found.append((int(entry), cmdline))
    return found


def dump_stacks(pid):
    # gdb first: the toolchain's lldb needs a libpython the machine may not have.
    gdb = shutil.which("gdb")
    lldb = shutil.which("lldb")
    if gdb:
        cmd = [gdb, "-p", str(pid), "-batch", "-ex", "thread apply all bt"]
    elif lldb:
        cmd = [lldb, "-p", str(pid), "--batch", "-o", "thread backtrace all", "-o", "detach"]
    else:
        print("   (neither gdb nor lldb on PATH: no stacks)")
        return
    try:
        out = subprocess.run(cmd, capture_output=True, text=True, timeout=180)
        print(out.stdout[-400_000:])
        if out.returncode != 0:
            print(out.stderr[-4000:])
    except subprocess.TimeoutExpired:
        print("   (the debugger did not finish within 180 s)")


def main():
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    limit = float(sys.argv[1])
    events = sys.argv[2]
    if os.path.exists(events):
        os.remove(events)
    command = ["swift", "test", "--skip-build", "--event-stream-output-path", events] + sys.argv[3:]
    child = subprocess.Popen(command, start_new_session=True)
    try:
        status = child.wait(timeout=limit)
        sys.exit(status)
    except subprocess.TimeoutExpired:
        pass
    print(f"\n== swift test did not finish within {limit:.0f} s: what had not ended", flush=True)
    for test, age in unfinished(events):
        print(f"   {age:7.1f} s  {test}")
    for pid, cmdline in session_members(child.pid):
        if ".xctest" in cmdline:
            print(f"\n== stacks of the test binary (pid {pid})", flush=True)
            dump_stacks(pid)
    # Everything the run started: swift test, the test binary, the servers the tests spawned.
    for pid, _ in session_members(child.pid):
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    child.wait()
    sys.exit(124)


if __name__ == "__main__":
    main()
