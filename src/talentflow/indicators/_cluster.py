"""A standalone Spark cluster on this machine, from the pyspark installation: one master and N workers, each a
separate Java process on loopback, their process ids and logs in one folder (docs/indicators.md, "Spark on a
cluster").

Light on purpose (no PySpark import): the command line's ``talentflow cluster`` and the tests' fixture use it.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from talentflow.errors import UsageError

HOST = "127.0.0.1"
DEFAULT_DIR = Path(".spark-cluster")
DEFAULT_PORT = 7077
DEFAULT_UI_PORT = 8080


@dataclass(frozen=True)
class Layout:
    """What a cluster is asked for: its folder, ports, and each worker's share of the machine."""

    folder: Path = DEFAULT_DIR
    port: int = DEFAULT_PORT
    ui_port: int = DEFAULT_UI_PORT
    workers: int = 2
    cores: int = 1
    memory: str = "1g"

    def __post_init__(self) -> None:
        if not 1 <= self.workers <= 16:
            raise UsageError(f"{self.workers} workers: give 1 to 16", param="workers")
        if self.cores < 1:
            raise UsageError(f"{self.cores} cores: give at least 1", param="cores")
        for name, port in (("port", self.port), ("ui_port", self.ui_port)):
            if not 1024 <= port <= 65535 - self.workers - 1:
                raise UsageError(f"port {port} out of range (1024 and up)", param=name)
        if not self.memory[:-1].isdigit() or self.memory[-1:].lower() not in ("m", "g"):
            raise UsageError(f"{self.memory!r}: give memory as e.g. 512m or 1g", param="memory")

    @property
    def master_url(self) -> str:
        return f"spark://{HOST}:{self.port}"

    @property
    def ui_url(self) -> str:
        return f"http://{HOST}:{self.ui_port}"


def spark_home() -> Path:
    """The Spark distribution that pyspark ships (its ``bin/spark-class`` starts masters and workers)."""
    import importlib.util

    spec = importlib.util.find_spec("pyspark")
    if spec is None or spec.origin is None:
        raise UsageError("a Spark cluster needs PySpark: pip install 'talentflow[spark]'")
    return Path(spec.origin).parent


def _pid_files(folder: Path) -> list[Path]:
    return sorted((folder / "pids").glob("*.pid"))


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # A child of this process that ended stays a zombie until waited for: not alive.
    try:
        done, _ = os.waitpid(pid, os.WNOHANG)
    except ChildProcessError:
        return True
    return done == 0


def _master_state(layout: Layout) -> dict[str, Any] | None:
    """The master's own account (its web UI's JSON), or None when it does not answer."""
    try:
        with urllib.request.urlopen(layout.ui_url + "/json/", timeout=2) as answer:
            state: dict[str, Any] = json.load(answer)
            return state
    except (urllib.error.URLError, OSError, ValueError):
        return None


def status(layout: Layout) -> dict[str, Any]:
    """Which of the cluster's processes run, and how many workers the master counts ALIVE."""
    processes = []
    for file in _pid_files(layout.folder):
        pid = int(file.read_text().split()[0])
        processes.append({"name": file.stem, "pid": pid, "running": _alive(pid)})
    state = _master_state(layout)
    alive = [w for w in (state or {}).get("workers", []) if w.get("state") == "ALIVE"]
    return {
        "master": layout.master_url,
        "ui": layout.ui_url,
        "folder": str(layout.folder.resolve()),
        "running": state is not None and state.get("status") == "ALIVE",
        "workers_alive": len(alive),
        "cores": sum(int(w.get("cores", 0)) for w in alive),
        "processes": processes,
    }


def _start(layout: Layout, name: str, args: list[str]) -> int:
    logs = layout.folder / "logs"
    work = layout.folder / "work" / name
    for d in (logs, work, layout.folder / "pids"):
        d.mkdir(parents=True, exist_ok=True)
    env = dict(os.environ)
    env.update(
        SPARK_LOCAL_IP=HOST,
        SPARK_LOCAL_DIRS=str(work.resolve()),
        SPARK_WORKER_DIR=str(work.resolve()),
        # Executors run Python tasks with the driver's interpreter, whatever `python3` is on the PATH.
        PYSPARK_PYTHON=sys.executable,
    )
    command = [str(spark_home() / "bin" / "spark-class"), *args]
    with open(logs / f"{name}.log", "ab") as log:
        # A session of its own: Ctrl-C in the terminal that started the cluster does not stop it.
        process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, env=env, start_new_session=True)
    (layout.folder / "pids" / f"{name}.pid").write_text(f"{process.pid}\n")
    return process.pid


def _check_free(layout: Layout) -> None:
    """Refuse ports another program holds: Spark would move the master to the next port, and the workers would
    join whatever listens on the one asked for."""
    wanted = [("port", layout.port), *(("ui_port", layout.ui_port + i) for i in range(layout.workers + 1))]
    for param, port in wanted:
        with socket.socket() as probe:
            try:
                probe.bind((HOST, port))
            except OSError:
                raise UsageError(f"port {port} on {HOST} is in use: choose another", param=param) from None


def up(layout: Layout, *, timeout: float = 90.0) -> dict[str, Any]:
    """Start the master and the workers unless they run, and wait until the master counts every worker ALIVE."""
    now = status(layout)
    if now["running"] and now["workers_alive"] >= layout.workers:
        return now
    if any(p["running"] for p in now["processes"]):
        raise UsageError(f"{layout.folder}: a cluster is half up ({now['workers_alive']} workers); run `down` first")
    _check_free(layout)
    master = "org.apache.spark.deploy.master.Master"
    worker = "org.apache.spark.deploy.worker.Worker"
    ports = ["--host", HOST, "--port", str(layout.port), "--webui-port", str(layout.ui_port)]
    _start(layout, "master", [master, *ports])
    for i in range(layout.workers):
        share = ["--cores", str(layout.cores), "--memory", layout.memory]
        ui = ["--webui-port", str(layout.ui_port + 1 + i)]
        _start(layout, f"worker-{i + 1}", [worker, "--host", HOST, *share, *ui, layout.master_url])
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        now = status(layout)
        if now["running"] and now["workers_alive"] >= layout.workers:
            return now
        if not all(p["running"] for p in now["processes"]):
            break
        time.sleep(0.5)
    down(layout)
    raise UsageError(f"the cluster did not come up in {timeout:.0f} s: see the logs in {layout.folder / 'logs'}")


def down(layout: Layout, *, timeout: float = 20.0) -> dict[str, Any]:
    """Stop the processes named by the folder's pid files (workers first), each by its own id."""
    stopped = []
    files = sorted(_pid_files(layout.folder), key=lambda f: f.stem == "master")
    for file in files:
        pid = int(file.read_text().split()[0])
        if _alive(pid):
            os.kill(pid, signal.SIGTERM)
            deadline = time.monotonic() + timeout
            while _alive(pid) and time.monotonic() < deadline:
                time.sleep(0.2)
            if _alive(pid):
                os.kill(pid, signal.SIGKILL)
            stopped.append({"name": file.stem, "pid": pid})
        file.unlink()
    return {"folder": str(layout.folder.resolve()), "stopped": stopped}
