"""`make demo` and its signals: a hang-up, SIGTERM or Ctrl-C stops every process it started, and a
demo killed outright leaves nothing that keeps the next one from starting.

The demo runs as `python -m demo`, as make starts it; the processes it started are found in the
kernel's process table (its descendants, and the database server that pg_ctl detached), not in
anything the demo itself records.
"""
from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(600)]

ROOT = Path(__file__).resolve().parents[2]


def _stat(pid: int) -> tuple[int, str, int] | None:
    """(parent, state, start time) of a process, None when it no longer exists."""
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
    except (FileNotFoundError, ProcessLookupError):
        return None
    fields = raw[raw.rindex(")") + 2:].split()
    return int(fields[1]), fields[0], int(fields[19])


def _descendants(root: int) -> set[int]:
    parents: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit() and (stat := _stat(int(entry))) is not None:
            parents[int(entry)] = stat[0]
    found, frontier = set(), {root}
    while frontier:
        frontier = {pid for pid, parent in parents.items() if parent in frontier} - found
        found |= frontier
    return found


def _started_processes(demo: subprocess.Popen, workdir: Path) -> dict[int, int]:
    """Every process the demo runs, by pid, with its start time (a reused pid is another process)."""
    pids = _descendants(demo.pid)
    postmaster = workdir / "pgdata" / "postmaster.pid"
    server = int(postmaster.read_text().split()[0])
    pids |= {server} | _descendants(server)
    return {pid: stat[2] for pid in pids if (stat := _stat(pid)) is not None}


def _alive(processes: dict[int, int]) -> list[str]:
    left = []
    for pid, started in processes.items():
        stat = _stat(pid)
        if stat is not None and stat[2] == started and stat[1] != "Z":
            command = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ")[:120]
            left.append(f"{pid}: {command!r}")
    return left


def _start_demo(workdir: Path, *extra: str) -> subprocess.Popen:
    # A session of its own, as a terminal gives a foreground job; output to a file, as a terminal
    # would show it.
    out_path = workdir.parent / f"demo-{len(list(workdir.parent.glob('demo-*.out')))}.out"
    out = open(out_path, "ab")
    demo = subprocess.Popen([sys.executable, "-m", "demo", "--workdir", str(workdir), "--port", "0",
                             "--no-page", "--speed", "60", *extra],
                            cwd=ROOT, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    out.close()
    demo.out_path = out_path
    return demo


def _output(demo: subprocess.Popen) -> str:
    """What the demo printed to its terminal."""
    return demo.out_path.read_text(errors="replace")


def _read(path: Path) -> str:
    return path.read_text(errors="replace") if path.exists() else ""


def _wait_running(demo: subprocess.Popen, timeout_s: float = 180) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if "Ctrl-C stops everything" in _output(demo):
            return
        assert demo.poll() is None, f"the demo exited with {demo.returncode}:\n{_output(demo)}"
        time.sleep(0.5)
    raise AssertionError(f"the demo did not come up:\n{_output(demo)}")


def _wait_gone(processes: dict[int, int], timeout_s: float) -> list[str]:
    deadline = time.monotonic() + timeout_s
    while (left := _alive(processes)) and time.monotonic() < deadline:
        time.sleep(0.5)
    return left


@pytest.fixture
def workdir():
    base = Path(tempfile.mkdtemp(prefix="heating-demo-signals-"))
    os.chmod(base, 0o755)
    yield base / "demo"
    server = base / "demo" / "pgdata" / "postmaster.pid"
    if server.exists():  # a failed test must not leave a server behind either
        pid = int(server.read_text().split()[0])
        try:
            os.kill(pid, signal.SIGQUIT)
        except ProcessLookupError:
            pass
    shutil.rmtree(base, ignore_errors=True)


@pytest.mark.parametrize("signum", [signal.SIGHUP, signal.SIGTERM, signal.SIGINT],
                         ids=["SIGHUP", "SIGTERM", "SIGINT"])
def test_a_stop_signal_stops_every_process(workdir, signum):
    demo = _start_demo(workdir, "--fresh")
    _wait_running(demo)
    processes = _started_processes(demo, workdir)
    names = {Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")[2:3][0] for pid in processes
             if len(Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")) > 3}
    # The simulator, API, readers, control loop and notifier, and the database server.
    assert {b"simulator", b"thermostat_reader", b"p1_reader", b"onoff", b"controller_api.watch"} <= names, names
    assert len(processes) >= 8

    demo.send_signal(signum)
    assert demo.wait(timeout=120) == 128 + signum, _output(demo)
    assert _wait_gone(processes, 10) == []
    # Each part was stopped, not killed (the control loop hands the house back on its way out);
    # after a hang-up the demo says so in its log instead of the closed terminal.
    said = _output(demo) + _read(workdir / "logs" / "demo.log")
    assert "stopping (" in said and "did not stop within" not in said, said


def test_after_a_crash_the_next_demo_starts(workdir):
    demo = _start_demo(workdir, "--fresh")
    _wait_running(demo)
    processes = _started_processes(demo, workdir)
    server = int((workdir / "pgdata" / "postmaster.pid").read_text().split()[0])

    demo.kill()
    demo.wait()
    # Its children follow it (the kernel tells them); the detached database server stays.
    left = _wait_gone({pid: t for pid, t in processes.items() if pid != server and pid not in
                       _descendants(server)}, 60)
    assert left == []
    assert _alive({server: processes[server]}), "the crashed demo's database server is expected to remain"

    again = _start_demo(workdir)
    _wait_running(again)
    assert "did not stop cleanly was still running; stopping it" in _output(again)
    assert not _alive({server: processes[server]})
    processes = _started_processes(again, workdir)
    again.send_signal(signal.SIGTERM)
    assert again.wait(timeout=120) == 128 + signal.SIGTERM
    assert _wait_gone(processes, 10) == []


def test_a_second_demo_in_the_same_folder_says_what_to_do(workdir):
    demo = _start_demo(workdir, "--fresh")
    try:
        _wait_running(demo)
        second = subprocess.run([sys.executable, "-m", "demo", "--workdir", str(workdir), "--port", "0",
                                 "--no-page"], cwd=ROOT, capture_output=True, text=True, timeout=60)
        assert second.returncode == 1
        assert f"another demo is running from {workdir} (process {demo.pid})" in second.stderr
        assert f"kill {demo.pid}" in second.stderr
        assert "Traceback" not in second.stderr
        assert demo.poll() is None, "the running demo was disturbed"
    finally:
        demo.send_signal(signal.SIGINT)
        demo.wait(timeout=120)
