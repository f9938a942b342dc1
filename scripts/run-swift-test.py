#!/usr/bin/env python3
"""Runs one `swift test` command so that a stuck process can neither hang CI nor go unexplained.

`make test` runs the suites through this. It passes the output through unchanged and adopts
every process the tests leave behind (it is their child subreaper). It steps in only when
something is stuck, and then says what:

- the test run printed its verdict ("Test run with N tests ... passed/failed") but the test
  process has not ended STUCK_EXIT seconds later: the threads of every process still running are
  printed (name, kernel wait channel, and gdb's stacks when gdb is installed), they are killed,
  and the printed verdict is the result, with a warning saying the exit was stuck (every test
  ran and asserted; what hung is the process's teardown, and the report says where). With
  AUTHSIM_TEST_STRICT_EXIT=1 a stuck exit fails the run instead;
- the run has not ended DEADLINE seconds after it started: the same report, then failure;
- the tests ended but left processes behind (a daemon that ignored SIGTERM, say): they are
  listed and killed; that alone does not change the result.

The tests' temporary files (tenants, stores, module folders: several hundred directories and a
few hundred MB per run) go to a directory of this run's own (TMPDIR for the test process and
everything it starts), removed when the run passes; when it fails it is kept and named, for
looking into.

Usage: run-swift-test.py swift test ARGS...
"""
import ctypes
import os
import re
import signal
import shutil
import subprocess
import sys
import tempfile
import threading
import time

STUCK_EXIT = int(os.environ.get("AUTHSIM_TEST_STUCK_EXIT", "300"))
DEADLINE = int(os.environ.get("AUTHSIM_TEST_DEADLINE", "1200"))
STRICT_EXIT = os.environ.get("AUTHSIM_TEST_STRICT_EXIT") == "1"
VERDICT = re.compile(r"Test run with \d+ tests?.* (passed|failed)")
PR_SET_CHILD_SUBREAPER = 36
STARTED = {}  # the test command, once started


def descendants(zombies=False):
    """Every process whose parent chain reaches this one (orphans included: we are their reaper);
    the live ones, or only the zombies."""
    parents, states = {}, {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                stat = f.read()
            fields = stat[stat.rindex(")") + 2:].split()
            parents[int(entry)], states[int(entry)] = int(fields[1]), fields[0]
        except (OSError, ValueError, IndexError):
            continue
    found, frontier = [], [os.getpid()]
    while frontier:
        p = frontier.pop()
        kids = [c for c, parent in parents.items() if parent == p]
        found += kids
        frontier += kids
    return [p for p in found if (states.get(p) == "Z") == zombies]


def reap_orphans(child):
    """Collects the adopted processes that have ended (daemons the tests stopped without
    waiting), never the test command itself (Popen collects that one)."""
    for pid in descendants(zombies=True):
        if pid != child.pid:
            try:
                os.waitpid(pid, os.WNOHANG)
            except ChildProcessError:
                pass


def read(path):
    try:
        with open(path, "rb") as f:
            return f.read().replace(b"\0", b" ").decode(errors="replace").strip()
    except OSError:
        return "?"


def report(why):
    out = [f"\n===== run-swift-test: {why}; what is still running ====="]
    for pid in descendants():
        out.append(f"-- pid {pid}: {read(f'/proc/{pid}/cmdline')[:300]}")
        try:
            tids = sorted(os.listdir(f"/proc/{pid}/task"), key=int)
        except OSError:
            continue
        for tid in tids[:80]:
            t = f"/proc/{pid}/task/{tid}"
            out.append(f"   thread {tid} {read(t + '/comm')!r} wchan={read(t + '/wchan')} syscall={read(t + '/syscall').split(' ')[0]}")
        if subprocess.run(["which", "gdb"], capture_output=True).returncode == 0:
            try:
                gdb = subprocess.run(["gdb", "-p", str(pid), "-batch", "-ex", "thread apply all bt 14"],
                                     capture_output=True, text=True, timeout=120)
                out += [l for l in gdb.stdout.splitlines() if l.startswith(("#", "Thread"))][:600]
            except subprocess.TimeoutExpired:
                out.append("   (gdb did not answer within 120 s)")
    out.append("===== end of report =====\n")
    print("\n".join(out), flush=True)


def kill_all(child):
    for _ in range(3):
        pids = descendants()
        if not pids:
            return
        for pid in pids:
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass
        time.sleep(1)
        reap_orphans(child)


def main():
    scratch = tempfile.mkdtemp(prefix="authsim-run-")
    rc = 1

    # A cancelled run (SIGTERM, Ctrl-C) ends the tests' processes and says where its files are.
    def stop(signum, frame):
        raise KeyboardInterrupt
    signal.signal(signal.SIGTERM, stop)
    try:
        rc = run(dict(os.environ, TMPDIR=scratch))
    except KeyboardInterrupt:
        print("run-swift-test: stopped; ending the tests' processes", flush=True)
        if "child" in STARTED:
            kill_all(STARTED["child"])
        rc = 130
    finally:
        if rc == 0:
            shutil.rmtree(scratch, ignore_errors=True)
        else:
            print(f"run-swift-test: the tests' temporary files are kept in {scratch}", flush=True)
    return rc


def run(env):
    ctypes.CDLL(None, use_errno=True).prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)
    child = subprocess.Popen(sys.argv[1:], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=env)
    STARTED["child"] = child
    verdict = {}

    def pump():
        for line in iter(child.stdout.readline, b""):
            sys.stdout.buffer.write(line)
            sys.stdout.buffer.flush()
            m = VERDICT.search(line.decode(errors="replace"))
            if m:
                verdict["result"], verdict["at"] = m.group(1), time.monotonic()

    reader = threading.Thread(target=pump, daemon=True)
    reader.start()
    start = time.monotonic()
    while child.poll() is None:
        reap_orphans(child)
        now = time.monotonic()
        if "at" in verdict and now - verdict["at"] > STUCK_EXIT:
            report(f"the tests {verdict['result']} but the test process has not exited {STUCK_EXIT} s later")
            kill_all(child)
            try:
                child.wait(timeout=30)
            except subprocess.TimeoutExpired:
                pass
            if STRICT_EXIT:
                print("run-swift-test: the test process's exit was stuck (AUTHSIM_TEST_STRICT_EXIT=1): failing", flush=True)
                return 1
            print(f"run-swift-test: WARNING: stuck exit killed; result as printed: {verdict['result']}", flush=True)
            return 0 if verdict["result"] == "passed" else 1
        if now - start > DEADLINE:
            report(f"the run has not ended {DEADLINE} s after it started")
            kill_all(child)
            return 1
        time.sleep(1)
    reader.join(timeout=30)
    left = descendants()
    if left:
        report(f"the tests ended (exit {child.returncode}) but left {len(left)} process(es) running")
        kill_all(child)
    return child.returncode


if __name__ == "__main__":
    sys.exit(main())
