"""Start gunicorn (sync workers, daftar.wsgi) for benchmarks, wait until it answers, stop it.

python -m bench.server --database daftar_bench_load --port 8765 --workers 4   # runs until Ctrl-C
"""

from __future__ import annotations

import argparse
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PG = "postgres://postgres@127.0.0.1:5432"


def bench_env(database: str, **extra: str) -> dict[str, str]:
    """The environment every benchmark process runs in: bench settings against one database."""
    env = dict(os.environ)
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "bench.settings",
            "DAFTAR_BENCH": "1",
            "DATABASE_URL": f"{PG}/{database}",
            "DATABASE_CONN_MAX_AGE": env.get("DATABASE_CONN_MAX_AGE", "600"),
            "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH", "")])),
            "PYTHONWARNINGS": "ignore",
            **extra,
        }
    )
    return env


class Server:
    """gunicorn with ``workers`` sync workers on 127.0.0.1:``port``."""

    def __init__(self, *, database: str, port: int = 8765, workers: int = 4, log: Path | None = None):
        self.database, self.port, self.workers = database, port, workers
        self.log = log or Path(os.devnull)
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 60.0) -> Server:
        with socket.socket() as probe:  # another server on the port would answer for ours
            if probe.connect_ex(("127.0.0.1", self.port)) == 0:
                raise RuntimeError(f"port {self.port} is already in use: stop that server or pick --port")
        gunicorn = Path(sys.executable).with_name("gunicorn")
        command = [
            str(gunicorn),
            "daftar.wsgi:application",
            f"--bind=127.0.0.1:{self.port}",
            f"--workers={self.workers}",
            "--worker-class=sync",
            "--backlog=2048",
            "--timeout=60",
            "--log-level=warning",
            f"--chdir={ROOT}",
        ]
        with self.log.open("ab") as out:
            self.process = subprocess.Popen(  # noqa: S603 - our own command line
                command, env=bench_env(self.database), stdout=out, stderr=subprocess.STDOUT
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn exited with {self.process.returncode}; see {self.log}")
            try:
                with urllib.request.urlopen(f"{self.url}/bench/read/0", timeout=2):  # noqa: S310
                    pass
            except urllib.error.HTTPError:  # 404 for row 0: the app answers
                return self._warm()
            except OSError:
                time.sleep(0.3)
        self.stop()
        raise RuntimeError(f"gunicorn did not answer on {self.url} within {timeout:.0f}s")

    def _warm(self) -> Server:
        # One request per worker and some more, so every worker has imported and connected.
        for _ in range(self.workers * 4):
            try:
                with urllib.request.urlopen(f"{self.url}/bench/read/0", timeout=5):  # noqa: S310
                    pass
            except (urllib.error.HTTPError, OSError):
                pass
        return self

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()

    def __enter__(self) -> Server:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--database", default="daftar_bench_load")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--workers", type=int, default=4)
    args = parser.parse_args()
    # SIGTERM stops gunicorn too (as Ctrl-C does), so no orphaned server keeps the port.
    signal.signal(signal.SIGTERM, _interrupt)
    with Server(database=args.database, port=args.port, workers=args.workers, log=Path("/dev/stderr")) as s:
        print(f"serving {s.url} (Ctrl-C or SIGTERM stops)", flush=True)
        try:
            assert s.process is not None
            s.process.wait()
        except KeyboardInterrupt:
            pass


if __name__ == "__main__":
    main()
