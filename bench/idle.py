"""Idle cost of a server with many jobs that are not due: CPU seconds per minute, and what wakes it.

A server with ``--jobs`` jobs due tomorrow (default 1,000, the default settings, the embedded SQLite
database) is left alone for ``--seconds``. Two figures over that window: the CPU time of the process
in clock ticks (``/proc/<pid>/stat``, what ``compare.py`` reports: 10-ms steps, so 0.01 s/min at
best over a minute), and the sum of its threads' CPU time in nanoseconds
(``/proc/<pid>/task/*/schedstat``), per thread with ``--threads`` (a thread that wakes up
periodically shows there). ``--strace`` also counts the server's system calls over the window
(``strace -f -c``; it slows what it traces, so take the CPU figures from a run without it).

    .venv/bin/python bench/idle.py                   # 1,000 jobs, 60 s
    .venv/bin/python bench/idle.py --strace          # and the system calls made while idle
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import Server, create_jobs, idle_job, load_line


def thread_cpu_ns(pid: int) -> dict[int, int]:
    """CPU time of each thread of ``pid`` so far, in nanoseconds (Linux)."""
    found = {}
    for task in Path(f"/proc/{pid}/task").iterdir():
        try:
            found[int(task.name)] = int((task / "schedstat").read_text().split()[0])
        except (OSError, ValueError):
            continue  # ended meanwhile
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--jobs", type=int, default=1000, help="idle jobs (due in a day)")
    parser.add_argument("--seconds", type=float, default=60.0, help="the idle window")
    parser.add_argument("--threads", action="store_true", help="the CPU time of each thread that used any")
    parser.add_argument("--strace", action="store_true", help="count system calls over the window (strace -f -c)")
    args = parser.parse_args()
    with Server() as server:
        server.write("trivial.py", 'print("ok")\n')
        create_jobs(server.client, [idle_job("trivial.py", index) for index in range(args.jobs)])
        server.client.close()  # an idle server: no connection open
        server.settle()
        time.sleep(5)  # past the start-up work (prestarted interpreter, first syncs)
        tracer, report = None, Path(tempfile.mkstemp(prefix="idle-strace-")[1])
        if args.strace:
            tracer = subprocess.Popen(["strace", "-f", "-c", "-o", str(report), "-p", str(server.process.pid)],
                                      stderr=subprocess.DEVNULL)
            time.sleep(1)
        before, threads_before = server.cpu_seconds(), thread_cpu_ns(server.process.pid)
        time.sleep(args.seconds)
        used, threads_after = server.cpu_seconds() - before, thread_cpu_ns(server.process.pid)
        if tracer is not None:
            tracer.terminate()
            tracer.wait()
        per_thread = {tid: ns - threads_before.get(tid, 0) for tid, ns in threads_after.items()}
        precise = sum(per_thread.values()) / 1e9
        print(f"{args.jobs} idle jobs, {args.seconds:.0f} s ({load_line()}): clock ticks {used * 60 / args.seconds:.3f} "
              f"CPU-s/min; threads {precise * 60 / args.seconds:.4f} CPU-s/min ({precise * 1000:.1f} ms)")
        if args.threads:
            for tid, ns in sorted(per_thread.items()):
                if ns:
                    print(f"  thread {tid}: {ns / 1e6:.2f} ms")
        if tracer is not None:
            print(report.read_text())
        report.unlink(missing_ok=True)


if __name__ == "__main__":
    main()
