"""gunicorn settings for Optiscape: `gunicorn` (run from the project directory) serves
`app:server` with threaded workers.

Environment (all optional):
    PORT                8050        listen on 0.0.0.0:$PORT
    WEB_CONCURRENCY     cores + 1 (at most 8)  worker processes (each holds its own JAX and
                        compiled code, ~500 MB of its own after the warm-up)
    THREADS             2           threads per worker
    GUNICORN_TIMEOUT    60          seconds a worker may be silent before it is restarted
    KEEPALIVE           30          seconds an idle keep-alive connection stays open
    GUNICORN_PRELOAD    1           import the app once in the master, then fork (see below)
    MAX_REQUESTS        1000        restart a worker after this many requests (+ jitter)
    LOG_LEVEL           info
    JAX_COMPILATION_CACHE_DIR  /tmp/optiscape-jax-cache  persistent XLA compilation cache

JAX and fork: if any JAX array or operation runs before the fork, workers die with SIGSEGV.
Importing jax (and `jax.config.update`) is fine. With GUNICORN_PRELOAD=1 the master imports
the app and then checks that no JAX backend was initialised; if one was, it stops with a
message instead of forking workers that would crash. Warm-up (compiling the default
structures) runs in each worker after the fork, in a background thread, so the worker answers
at once and the gunicorn heartbeat never times out; `/healthz` reports ready only once it is
done (the app's side).
"""

from __future__ import annotations

import importlib
import os
import sys
import threading
import time

# The persistent compilation cache must be configured before jax is imported (the app
# imports it); this file is read by the master before the app is loaded.
os.environ.setdefault("JAX_COMPILATION_CACHE_DIR", "/tmp/optiscape-jax-cache")
os.environ.setdefault("JAX_PERSISTENT_CACHE_MIN_COMPILE_TIME_SECS", "0")
os.environ.setdefault("JAX_PERSISTENT_CACHE_MIN_ENTRY_SIZE_BYTES", "-1")
os.environ.setdefault("JAX_PLATFORMS", "cpu")


def _int_env(name: str, default: int, minimum: int = 1) -> int:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        return max(minimum, int(raw))
    except ValueError:
        raise SystemExit(f"gunicorn.conf.py: {name}={raw!r} is not an integer") from None


def _cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


APP_MODULE = "app"

wsgi_app = f"{APP_MODULE}:server"
bind = [f"0.0.0.0:{_int_env('PORT', 8050)}"]

worker_class = "gthread"
# Each worker is a whole JAX process (~630 MB resident after its warm-up, ~500 MB of it its
# own: PSS; 3 workers and the master 1.7 GB); cap the default even on big hosts,
# where cpu_count() says nothing about the container's CPU quota.
# One worker more than cores, two threads each: a Python worker runs one thread at a time, and
# while its threads wait for each other the extra process keeps the cores busy. On 2 cores with
# a class of 100 (docs/performance.md) 3 × 2 answered with a p95 of 129–164 ms where 2 × 4 gave
# 202–268 ms and 2 × 2 215 ms.
workers = _int_env("WEB_CONCURRENCY", min(_cores() + 1, 8))
threads = _int_env("THREADS", 2)

timeout = _int_env("GUNICORN_TIMEOUT", 60)
graceful_timeout = 30
# Longer than a student thinks between two changes, so a browser (or client) rarely sends on
# a connection the server has just closed.
keepalive = _int_env("KEEPALIVE", 30)

max_requests = _int_env("MAX_REQUESTS", 1000, minimum=0)
max_requests_jitter = max(1, max_requests // 10) if max_requests else 0

preload_app = os.environ.get("GUNICORN_PRELOAD", "1").strip().lower() not in ("0", "false", "no")

# Request limits. The request line may reach gunicorn's maximum (8190 bytes) so that the app
# (security.harden: query string > 6 KiB -> 414 JSON) is the one that answers over-long URLs.
limit_request_line = 8190
limit_request_fields = 100
limit_request_field_size = 8190

# The heartbeat file on tmpfs (a disk-backed /tmp can stall it); no control socket, whose
# default lives in $HOME, which the unprivileged user in the image doesn't have.
worker_tmp_dir = (
    "/dev/shm" if os.path.isdir("/dev/shm") and os.access("/dev/shm", os.W_OK) else None
)
control_socket_disable = True

accesslog = "-"
errorlog = "-"
loglevel = os.environ.get("LOG_LEVEL", "info")
access_log_format = '%(h)s "%(r)s" %(s)s %(b)s %(M)sms "%(a)s"'
proc_name = "optiscape"


def _jax_backend_initialised() -> bool:
    jax = sys.modules.get("jax")
    if jax is None:
        return False
    try:
        from jax._src import xla_bridge
    except ImportError:  # a future layout: nothing to check
        return False
    check = getattr(xla_bridge, "backends_are_initialized", None)
    return bool(check()) if check is not None else bool(getattr(xla_bridge, "_backends", {}))


def when_ready(server):
    """In the master, after the app is preloaded and before any fork."""
    if preload_app and _jax_backend_initialised():
        server.log.error(
            "JAX ran an operation while the app was imported, before the fork: forked "
            "workers would crash (SIGSEGV). Move array creation into warm_up() or a lazy "
            "path, or start with GUNICORN_PRELOAD=0."
        )
        # A clean exit of the master beats a crash loop of workers.
        os._exit(4)


def _warm_up(log) -> None:
    started = time.monotonic()
    try:
        module = importlib.import_module(APP_MODULE)
    except Exception:  # noqa: BLE001 -- the worker's own import of the app reports it
        return
    warm_up = getattr(module, "warm_up", None)
    if not callable(warm_up):
        log.info("warm-up: %s defines no warm_up(); skipped", APP_MODULE)
        return
    try:
        warm_up()
    except Exception:
        log.exception("warm-up failed; requests will compile on demand")
        return
    log.info("warm-up done in %.2f s (pid %d)", time.monotonic() - started, os.getpid())


def post_fork(server, worker):
    """In each new worker: compile the default structures in the background."""
    threading.Thread(
        target=_warm_up, args=(server.log,), name="optiscape-warm-up", daemon=True
    ).start()
