"""Helpers for fault tests and benchmarks: real processes, started and ended by their own ids.

- :class:`TcpProxy` forwards a loopback port to an upstream (the S3 endpoint) and can be cut
  off (``down()``: the listener closes, so new connections are refused, and every open
  connection is reset) and brought back (``up()``) on the same port. moto keeps objects only in
  memory, so the S3 endpoint is made unreachable this way rather than by restarting it.
- :class:`RedisServer` runs a private ``redis-server`` on a free port with no persistence
  (like the machines' Redis: a restart loses every queued message); ``kill()`` and ``start()``
  restart it on the same port.
- :class:`CeleryWorker` runs ``celery -A hostedpbx worker`` in its own process group, so that
  ``kill9()`` takes the main process and its pool children down at once.
- :class:`MotoServer` and :class:`Gunicorn` for the benchmark.

Every class ends only the processes it started (by process id or its own process group).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_port(port: int, timeout: float = 20.0, host: str = "127.0.0.1") -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection((host, port), timeout=0.2):
                return True
        except OSError:
            time.sleep(0.05)
    return False


def tail(path, lines: int = 60) -> str:
    try:
        text = Path(path).read_text(errors="replace")
    except OSError:
        return "(no log)"
    return "\n".join(text.splitlines()[-lines:])


def _kill_group(pgid: int, sig: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, sig)


# --- TCP proxy ------------------------------------------------------------------------------
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


@dataclass(frozen=True)
class ProcStat:
    pid: int
    pgid: int
    state: str
    comm: str
    cpu_seconds: float
    started: int = 0  # clock ticks after boot: with the pid, tells a reused pid apart


def proc_stats():
    """Every process from /proc (used for process groups here and CPU accounting in bench/)."""
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        comm = stat[stat.index("(") + 1:stat.rindex(")")]
        fields = stat.rsplit(")", 1)[1].split()
        yield ProcStat(int(entry.name), int(fields[2]), fields[0], comm,
                       (int(fields[11]) + int(fields[12])) / CLOCK_TICKS, int(fields[19]))


class TcpProxy:
    """``127.0.0.1:<port>`` → ``target``. ``down()`` refuses and resets; ``up()`` listens
    again on the same port. ``throttle`` (bytes per second towards the target, shared by all
    connections like one network link; None for no limit) makes uploads slow enough to be cut
    off in the middle, or emulates a remote endpoint; ``largest_upload()`` tells how far the
    biggest open upload has got. While ``hold_responses`` is set, nothing is passed back from
    the target (requests arrive and are acted on, their answers wait): a client then dies, or
    gives up, after the endpoint did the work."""

    def __init__(self, target_host: str, target_port: int, port: int | None = None):
        self.target = (target_host, target_port)
        self.port = port or free_port()
        self._lock = threading.Lock()
        self._conns: dict[tuple[socket.socket, socket.socket], int] = {}
        self._listener: socket.socket | None = None
        self._stop: threading.Event | None = None
        self.accepted = 0
        self.bytes_up = 0
        self.throttle: float | None = None
        self._link_free_at = 0.0
        self.hold_responses = False

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def is_up(self) -> bool:
        return self._listener is not None

    def start(self) -> TcpProxy:
        self.up()
        return self

    def up(self) -> None:
        if self._listener is not None:
            return
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        deadline = time.monotonic() + 10
        while True:
            try:
                listener.bind(("127.0.0.1", self.port))
                break
            except OSError:
                if time.monotonic() > deadline:
                    listener.close()
                    raise
                time.sleep(0.1)
        listener.listen(256)
        listener.settimeout(0.1)
        stop = threading.Event()
        self._listener, self._stop = listener, stop
        threading.Thread(target=self._accept_loop, args=(listener, stop), daemon=True,
                         name=f"proxy-{self.port}").start()

    def down(self) -> None:
        """Stop listening (new connections are refused) and reset every open connection."""
        listener, stop = self._listener, self._stop
        self._listener = self._stop = None
        if stop is not None:
            stop.set()
        if listener is not None:
            listener.close()
        with self._lock:
            conns = list(self._conns)
            self._conns.clear()
        for pair in conns:
            for sock in pair:
                _reset(sock)

    close = down

    def _accept_loop(self, listener, stop):
        while not stop.is_set():
            try:
                client, _addr = listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            client.settimeout(None)
            try:
                upstream = socket.create_connection(self.target, timeout=5)
                upstream.settimeout(None)
            except OSError:
                _reset(client)
                continue
            pair = (client, upstream)
            with self._lock:
                if stop.is_set():
                    for sock in pair:
                        _reset(sock)
                    return
                self._conns[pair] = 0
                self.accepted += 1
            for src, dst, up in ((client, upstream, True), (upstream, client, False)):
                threading.Thread(target=self._pump, args=(src, dst, pair, up),
                                 daemon=True).start()

    def largest_upload(self) -> int:
        """Bytes sent so far towards the target on the busiest open connection (a connection
        carries one request at a time, plus earlier ones when kept alive)."""
        with self._lock:
            return max(self._conns.values(), default=0)

    def _pump(self, src, dst, pair, up):
        try:
            while True:
                data = src.recv(64 * 1024)
                if not data:
                    break
                while not up and self.hold_responses:
                    time.sleep(0.01)
                if up:
                    with self._lock:
                        if pair in self._conns:
                            self._conns[pair] += len(data)
                        self.bytes_up += len(data)
                    rate = self.throttle
                    if rate:
                        with self._lock:
                            now = time.monotonic()
                            until = max(now, self._link_free_at) + len(data) / rate
                            self._link_free_at = until
                        time.sleep(max(0.0, until - now))
                dst.sendall(data)
        except OSError:
            pass
        finally:
            with self._lock:
                self._conns.pop(pair, None)
            for sock in pair:
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)
                with contextlib.suppress(OSError):
                    sock.close()


def _reset(sock):
    """Close with RST rather than FIN, like a crashed endpoint."""
    with contextlib.suppress(OSError):
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
    with contextlib.suppress(OSError):
        sock.shutdown(socket.SHUT_RDWR)
    with contextlib.suppress(OSError):
        sock.close()


# --- Redis ----------------------------------------------------------------------------------
def redis_server_binary() -> str | None:
    return shutil.which("redis-server")


class RedisServer:
    """A private, non-persistent redis-server; ``kill()`` + ``start()`` is a restart that
    loses everything, as on the machines' Redis."""

    def __init__(self, workdir, port: int | None = None):
        self.workdir = Path(workdir)
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.port = port or free_port()
        self.proc: subprocess.Popen | None = None
        self.log_path = self.workdir / f"redis-{self.port}.log"

    def url(self, db: int = 0) -> str:
        return f"redis://127.0.0.1:{self.port}/{db}"

    def start(self, timeout: float = 10.0) -> RedisServer:
        binary = redis_server_binary()
        if binary is None:
            raise RuntimeError("redis-server is not installed")
        self.proc = subprocess.Popen(
            [binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no", "--dir", str(self.workdir), "--logfile",
             str(self.log_path), "--daemonize", "no"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.ping():
                return self
            if self.proc.poll() is not None:
                break
            time.sleep(0.05)
        raise RuntimeError(f"redis-server on port {self.port} did not start:\n"
                           f"{tail(self.log_path)}")

    def ping(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=0.5) as s:
                s.sendall(b"PING\r\n")
                return s.recv(16).startswith(b"+PONG")
        except OSError:
            return False

    def client(self, db: int = 0):
        import redis

        return redis.Redis(host="127.0.0.1", port=self.port, db=db, socket_timeout=5)

    def kill(self) -> None:
        """SIGKILL: nothing is saved (and there is nothing on disk anyway)."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=10)
        self.proc = None

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)
        self.proc = None


# --- Celery worker --------------------------------------------------------------------------
class CeleryWorker:
    """``celery -A hostedpbx worker`` in a process group of its own."""

    def __init__(self, env: dict, log_path, *, concurrency: int = 2, name: str | None = None,
                 extra_args=(), repo: Path = REPO):
        self.env = env
        self.repo = Path(repo)
        self.log_path = Path(log_path)
        self.concurrency = concurrency
        self.name = name or f"w{uuid.uuid4().hex[:8]}@%h"
        self.extra_args = list(extra_args)
        self.proc: subprocess.Popen | None = None
        self._log = None
        self._offset = 0

    def start(self) -> CeleryWorker:
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        self._log = open(self.log_path, "ab")  # noqa: SIM115 - closed in stop()/kill9()
        self._offset = self.log_path.stat().st_size
        self.proc = subprocess.Popen(
            [str(BIN / "celery"), "-A", "hostedpbx", "worker", "--concurrency",
             str(self.concurrency), "--loglevel", "INFO", "-n", self.name, "--without-gossip",
             "--without-mingle", *self.extra_args],
            cwd=str(self.repo), env=self.env, stdout=self._log, stderr=subprocess.STDOUT,
            start_new_session=True)
        return self

    def wait_ready(self, timeout: float = 60.0) -> CeleryWorker:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with open(self.log_path, "rb") as fh:
                fh.seek(self._offset)
                if b" ready." in fh.read():
                    return self
            if self.proc.poll() is not None:
                raise RuntimeError(f"the worker exited with {self.proc.returncode}:\n"
                                   f"{tail(self.log_path)}")
            time.sleep(0.1)
        raise TimeoutError(f"the worker was not ready within {timeout} s:\n{tail(self.log_path)}")

    @property
    def running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def group_pids(self) -> list[int]:
        """The live processes of the worker's group (main process and pool children)."""
        if self.proc is None:
            return []
        pgid = self.proc.pid
        return [p.pid for p in proc_stats() if p.pgid == pgid and p.state != "Z"]

    def kill9(self) -> list[int]:
        """SIGKILL the main process and every child at once; returns the pids killed."""
        if self.proc is None:
            return []
        pids = self.group_pids()
        _kill_group(self.proc.pid, signal.SIGKILL)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.proc.wait(timeout=10)
        self._wait_group_gone(5)
        self._close_log()
        return pids

    def stop(self, timeout: float = 15.0) -> None:
        """Warm shutdown (SIGTERM), then SIGKILL for whatever is left of the group."""
        if self.proc is None:
            return
        if self.proc.poll() is None:
            _kill_group(self.proc.pid, signal.SIGTERM)
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.proc.wait(timeout=timeout)
        if self.group_pids():
            _kill_group(self.proc.pid, signal.SIGKILL)
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.proc.wait(timeout=10)
            self._wait_group_gone(5)
        self._close_log()

    def _wait_group_gone(self, timeout):
        deadline = time.monotonic() + timeout
        while self.group_pids() and time.monotonic() < deadline:
            time.sleep(0.05)

    def _close_log(self):
        if self._log is not None:
            self._log.close()
            self._log = None

    def log_tail(self, lines: int = 60) -> str:
        return tail(self.log_path, lines)


# --- benchmark processes --------------------------------------------------------------------
class MotoServer:
    def __init__(self, log_path=None, port: int | None = None):
        self.port = port or free_port()
        self.log_path = log_path
        self.proc: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> MotoServer:
        out = open(self.log_path, "ab") if self.log_path else subprocess.DEVNULL  # noqa: SIM115
        self.proc = subprocess.Popen([str(BIN / "moto_server"), "-H", "127.0.0.1", "-p",
                                      str(self.port)], stdout=out, stderr=subprocess.STDOUT,
                                     start_new_session=True)
        if not wait_port(self.port, 30):
            self.stop()
            raise RuntimeError("moto_server did not start")
        return self

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)


class Gunicorn:
    """``gunicorn hostedpbx.wsgi`` on a free loopback port, in a process group of its own."""

    def __init__(self, env: dict, log_path, *, workers: int = 2, threads: int = 4,
                 port: int | None = None, repo: Path = REPO):
        self.env = env
        self.repo = Path(repo)
        self.log_path = Path(log_path)
        self.workers = workers
        self.threads = threads
        self.port = port or free_port()
        self.proc: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 60.0) -> Gunicorn:
        log = open(self.log_path, "ab")  # noqa: SIM115 - the child keeps it
        self.proc = subprocess.Popen(
            [str(BIN / "gunicorn"), "hostedpbx.wsgi:application", "--bind",
             f"127.0.0.1:{self.port}", "--workers", str(self.workers), "--threads",
             str(self.threads), "--timeout", "600", "--access-logfile", "-"],
            cwd=str(self.repo), env=self.env, stdout=log, stderr=subprocess.STDOUT,
            start_new_session=True)
        log.close()
        if not wait_port(self.port, timeout):
            self.stop()
            raise RuntimeError(f"gunicorn did not start:\n{tail(self.log_path)}")
        return self

    def stop(self) -> None:
        if self.proc is None:
            return
        if self.proc.poll() is None:
            _kill_group(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                _kill_group(self.proc.pid, signal.SIGKILL)
                self.proc.wait(timeout=10)


def database_url(db_settings: dict) -> str:
    """A ``DATABASE_URL`` for Django's database settings (e.g. pytest-django's test DB)."""
    from urllib.parse import quote

    engine = db_settings["ENGINE"]
    if not engine.endswith("postgresql"):
        raise ValueError(f"not PostgreSQL: {engine}")
    user = quote(db_settings.get("USER") or "", safe="")
    password = quote(db_settings.get("PASSWORD") or "", safe="")
    auth = f"{user}:{password}@" if password else (f"{user}@" if user else "")
    host = db_settings.get("HOST") or "127.0.0.1"
    port = db_settings.get("PORT") or "5432"
    return f"postgres://{auth}{host}:{port}/{quote(db_settings['NAME'], safe='')}"
