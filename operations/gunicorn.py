"""gunicorn settings for the image (``gunicorn -c python:operations.gunicorn``): Prometheus multiprocess mode.

Each worker process writes its request counters to ``PROMETHEUS_MULTIPROC_DIR``; the folder is emptied
when gunicorn starts (stale files would add old counts) and a worker that exits is marked dead so its
live gauges are dropped.
"""

import os
import shutil
from pathlib import Path
from typing import Any


def on_starting(server: Any) -> None:
    folder = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if folder:
        shutil.rmtree(folder, ignore_errors=True)
        Path(folder).mkdir(parents=True, exist_ok=True)


def child_exit(server: Any, worker: Any) -> None:
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)
