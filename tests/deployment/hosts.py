"""A provincial deployment on one machine, for the deployment test and the load benchmark:
gunicorn instances on their own ports (each its own process group, so that a test can kill
exactly what it started), the queue worker, all on one PostgreSQL and one Redis, configured
only through the environment, as in production."""
from __future__ import annotations

import json
import os
import secrets
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
VENV_BIN = ROOT / ".venv" / "bin"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def deployment_env(database_url: str, redis_url: str, instance: Path, **settings) -> dict:
    """What every host of the deployment is given; `settings` add or override."""
    env = {key: value for key, value in os.environ.items()
           if key in ("PATH", "HOME", "LANG", "LC_ALL", "TZ")}
    env.update({
        "DATABASE_URL": database_url, "REDIS_URL": redis_url, "INSTANCE_DIR": str(instance),
        "SECRET_KEY": secrets.token_hex(32), "FLASK_APP": "app",
        "AUTH_RATE_LIMIT": "10000 per minute", "SIGNUP_RATE_LIMIT": "10000 per minute",
        "LOG_LEVEL": "INFO", "PYTHONUNBUFFERED": "1",
    })
    env.update({key: str(value) for key, value in settings.items()})
    return env


@dataclass
class Process:
    name: str
    popen: subprocess.Popen
    log: Path
    url: str = ""

    def alive(self) -> bool:
        return self.popen.poll() is None

    def kill_hard(self) -> None:
        """kill -9 of the process group this test started: the master and its workers."""
        if self.alive():
            os.killpg(self.popen.pid, signal.SIGKILL)
        self.popen.wait(timeout=10)

    def stop(self) -> None:
        if self.alive():
            os.killpg(self.popen.pid, signal.SIGTERM)
            try:
                self.popen.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.kill_hard()


@dataclass
class Deployment:
    env: dict
    folder: Path
    processes: list[Process] = field(default_factory=list)

    def _start(self, name: str, command: list[str], url: str = "") -> Process:
        log = self.folder / f"{name}.log"
        popen = subprocess.Popen(command, cwd=ROOT, env=self.env, stdout=log.open("wb"),
                                 stderr=subprocess.STDOUT, start_new_session=True)
        process = Process(name, popen, log, url)
        self.processes.append(process)
        return process

    def start_app_host(self, name: str, workers: int = 2) -> Process:
        port = free_port()
        process = self._start(name, [str(VENV_BIN / "gunicorn"), "-c", "gunicorn.conf.py",
                                     "--bind", f"127.0.0.1:{port}", "--workers", str(workers),
                                     "app:create_app()"], f"http://127.0.0.1:{port}")
        wait_until(lambda: status_of(process.url + "/healthz") == 200, process, 90)
        return process

    def start_worker(self, name: str = "worker") -> Process:
        from redis import Redis
        from rq import Worker

        redis = Redis.from_url(self.env["REDIS_URL"])
        before = Worker.count(connection=redis)
        process = self._start(name, [str(VENV_BIN / "flask"), "queue", "worker"])
        wait_until(lambda: Worker.count(connection=redis) > before, process, 90)  # registered
        return process

    def stop_all(self) -> None:
        for process in reversed(self.processes):
            process.stop()


def wait_until(condition, process: Process | None = None, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return
        if process is not None and not process.alive():
            raise RuntimeError(f"{process.name} ended: {process.log.read_text()[-3000:]}")
        time.sleep(0.2)
    tail = process.log.read_text()[-3000:] if process else ""
    raise TimeoutError(f"not within {seconds} s {tail}")


def status_of(url: str, method: str = "GET", body: dict | None = None,
              headers: dict | None = None, timeout: float = 30) -> int:
    return call(url, method, body, headers, timeout)[0]


def call(url: str, method: str = "GET", body: dict | None = None, headers: dict | None = None,
         timeout: float = 30) -> tuple[int, dict | str]:
    """(status, JSON or text); a refused or cut connection is status 0."""
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, method=method, headers={
        **({"Content-Type": "application/json"} if data else {}), **(headers or {})})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as answer:
            status, text = answer.status, answer.read().decode("utf-8", "replace")
    except urllib.error.HTTPError as error:
        status, text = error.code, error.read().decode("utf-8", "replace")
    except (urllib.error.URLError, ConnectionError, TimeoutError, OSError):
        return 0, ""
    try:
        return status, json.loads(text)
    except ValueError:
        return status, text


class TcpRelay:
    """The hosts' road to PostgreSQL, which the test can cut and mend: a plain TCP relay on
    its own port (threads copying bytes both ways). Cut, it closes every connection and
    refuses new ones, as a database host that went away."""

    def __init__(self, target_port: int, target_host: str = "127.0.0.1"):
        import threading

        self.target = (target_host, target_port)
        self.port = free_port()
        self.lock = threading.Lock()
        self.sockets: set[socket.socket] = set()
        self.listener: socket.socket | None = None
        self.resume()

    def resume(self) -> None:
        import threading

        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(64)
        self.listener = listener
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()

    def cut(self) -> None:
        listener, self.listener = self.listener, None
        if listener is not None:
            listener.close()
        with self.lock:
            for sock in list(self.sockets):
                try:
                    sock.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
                sock.close()
            self.sockets.clear()

    def _accept(self, listener: socket.socket) -> None:
        import threading

        while True:
            try:
                client, _address = listener.accept()
            except OSError:
                return  # cut
            try:
                upstream = socket.create_connection(self.target, timeout=5)
                upstream.settimeout(None)
            except OSError:
                client.close()
                continue
            with self.lock:
                self.sockets.update((client, upstream))
            for source, sink in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(source, sink), daemon=True).start()

    def _pump(self, source: socket.socket, sink: socket.socket) -> None:
        try:
            while chunk := source.recv(65536):
                sink.sendall(chunk)
        except OSError:
            pass
        finally:
            for sock in (source, sink):
                try:
                    sock.close()
                except OSError:
                    pass
            with self.lock:
                self.sockets.discard(source)
                self.sockets.discard(sink)
