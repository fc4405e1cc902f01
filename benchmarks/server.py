"""Start Optiscape under gunicorn on loopback (the project's gunicorn.conf.py) for benchmarks."""

from __future__ import annotations

import os
import re
import runpy
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Self

import requests

ROOT = Path(__file__).resolve().parent.parent


def _config_defaults() -> tuple[int, int]:
    """gunicorn.conf.py's own worker and thread counts on this machine (its module-level code
    only reads the environment)."""
    config = runpy.run_path(str(ROOT / "gunicorn.conf.py"))
    return config["workers"], config["threads"]


WORKERS, THREADS = _config_defaults()
_WARM = re.compile(r"warm-up done in ([\d.]+) s \(pid (\d+)\)")
_ACCESS = re.compile(r'"(GET|POST) (\S+) HTTP/[\d.]+" (\d{3}) (\S+) (\d+)ms')


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Gunicorn:
    """A gunicorn master serving `app:server` on 127.0.0.1, with its log in a file."""

    workers: int = WORKERS
    threads: int = THREADS
    cache_dir: str | None = None  # JAX persistent compilation cache (None: a fresh empty one)
    env: dict[str, str] = field(default_factory=dict)
    port: int = 0
    process: subprocess.Popen | None = None
    log_path: Path | None = None
    started: float = 0.0
    final_log: str = ""  # the whole log, kept when the server stops
    ready_s: float | None = None  # process start → first /healthz 200
    all_warm_s: float | None = None  # process start → every worker logged "warm-up done"
    _tmp: tempfile.TemporaryDirectory | None = None

    @property
    def url(self) -> str:
        """The server's base URL."""
        return f"http://127.0.0.1:{self.port}"

    def start(self, deadline_s: float = 180.0) -> Gunicorn:
        """Start gunicorn and wait (at most `deadline_s`) until every worker has finished its
        whole warm-up (it reports ready sooner)."""
        self._tmp = tempfile.TemporaryDirectory(prefix="optiscape-bench-")
        self.port = self.port or free_port()
        self.log_path = Path(self._tmp.name) / "gunicorn.log"
        env = {
            **os.environ,
            "WEB_CONCURRENCY": str(self.workers),
            "THREADS": str(self.threads),
            "JAX_COMPILATION_CACHE_DIR": self.cache_dir or str(Path(self._tmp.name) / "jax-cache"),
            "MAX_REQUESTS": "0",  # no planned restarts in the middle of a measurement
            **self.env,
        }
        command = [
            sys.executable, "-m", "gunicorn", "-c", str(ROOT / "gunicorn.conf.py"),
            "-b", f"127.0.0.1:{self.port}",
        ]
        log = open(self.log_path, "wb")  # noqa: SIM115 -- closed with the process
        self.started = time.monotonic()
        self.process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
        log.close()
        self._wait_ready(deadline_s)
        return self

    def _wait_ready(self, deadline_s: float) -> None:
        end = self.started + deadline_s
        while time.monotonic() < end:
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn exited with {self.process.returncode}:\n{self.log()[-3000:]}")
            if self.ready_s is None:
                try:
                    if requests.get(self.url + "/healthz", timeout=1).status_code == 200:
                        self.ready_s = time.monotonic() - self.started
                except requests.RequestException:
                    pass
            if self.ready_s is not None and len(self.warm_ups()) >= self.workers:
                self.all_warm_s = time.monotonic() - self.started
                return
            time.sleep(0.05)
        self.stop()
        raise TimeoutError(f"gunicorn not ready within {deadline_s:.0f} s:\n{self.log()[-3000:]}")

    def log(self) -> str:
        """Everything gunicorn has written so far."""
        if self.log_path and self.log_path.exists():
            return self.log_path.read_text(errors="replace")
        return self.final_log

    def errors(self) -> list[str]:
        """The last line of every traceback gunicorn logged (an app error, a worker crash)."""
        lines = (self.final_log or self.log()).splitlines()
        ends = [i for i, line in enumerate(lines) if line.startswith("Traceback")]
        out = []
        for start in ends:
            tail = next((l for l in lines[start + 1:] if l and not l.startswith((" ", "Traceback"))), "")
            out.append(tail[:200])
        out += [l[:200] for l in lines if "WORKER TIMEOUT" in l or "was sent SIGKILL" in l]
        return out

    def warm_ups(self) -> list[tuple[float, int]]:
        """(seconds, pid) of every "warm-up done" line so far."""
        return [(float(s), int(p)) for s, p in _WARM.findall(self.log())]

    def access(self, since: int = 0) -> list[tuple[str, str, int, int]]:
        """(method, path, status, ms) of each access-log line after character `since`."""
        return [(m, p, int(s), int(ms)) for m, p, s, _, ms in _ACCESS.findall(self.log()[since:])]

    def worker_pids(self) -> list[int]:
        """The master's child processes (the workers)."""
        pid = self.process.pid
        try:
            text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
        except OSError:
            return []
        return [int(p) for p in text.split()]

    def kill_worker(self) -> int | None:
        """SIGKILL one worker; its pid (None if there was none)."""
        pids = self.worker_pids()
        if not pids:
            return None
        os.kill(pids[0], signal.SIGKILL)
        return pids[0]

    def stop(self) -> None:
        """Stop gunicorn (TERM, then KILL after 20 s) and remove its temporary files."""
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)
        if self._tmp:
            self.final_log = self.log()
            self._tmp.cleanup()
            self._tmp = None

    def __enter__(self) -> Self:
        return self.start() if self.process is None else self

    def __exit__(self, *exc) -> None:
        self.stop()
