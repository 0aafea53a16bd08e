"""Where experiments run: in this process, in local processes, or on a Dask cluster.

Every executor is a context manager with ``imap_unordered(fn, tasks)``, yielding results as
they finish; experiments are deterministic, so the results do not depend on the executor.
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor, as_completed
from typing import Any, Protocol

from wzmodel.schema import InputError, Problem

__all__ = ["DaskExecutor", "Executor", "ProcessExecutor", "SequentialExecutor", "make_executor"]


class Executor(Protocol):
    """Runs tasks and yields their results as they finish (order unspecified)."""

    def __enter__(self) -> Executor: ...

    def __exit__(self, *exc: object) -> None: ...

    def imap_unordered(self, fn: Callable[[Any], Any], tasks: Iterable[Any]) -> Iterator[Any]: ...


class SequentialExecutor:
    """One task after another in this process."""

    def __enter__(self) -> SequentialExecutor:
        return self

    def __exit__(self, *exc: object) -> None:
        return None

    def imap_unordered(self, fn: Callable[[Any], Any], tasks: Iterable[Any]) -> Iterator[Any]:
        for task in tasks:
            yield fn(task)


class ProcessExecutor:
    """Local worker processes (``concurrent.futures``), started with ``spawn`` by default.

    Parameters
    ----------
    workers : number of processes; default all cores.
    start_method : ``spawn`` or ``forkserver`` — not ``fork``, which copies a parent's solver
        threads and locks into the child.
    """

    def __init__(self, workers: int | None = None, *, start_method: str = "spawn") -> None:
        if start_method not in ("spawn", "forkserver"):
            raise ValueError("start_method must be 'spawn' or 'forkserver'")
        self.workers = workers or os.cpu_count() or 1
        self.start_method = start_method
        self._pool: ProcessPoolExecutor | None = None

    def __enter__(self) -> ProcessExecutor:
        context = multiprocessing.get_context(self.start_method)
        self._pool = ProcessPoolExecutor(max_workers=self.workers, mp_context=context)
        return self

    def __exit__(self, *exc: object) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None

    def imap_unordered(self, fn: Callable[[Any], Any], tasks: Iterable[Any]) -> Iterator[Any]:
        if self._pool is None:
            raise RuntimeError("use ProcessExecutor as a context manager")
        futures = [self._pool.submit(fn, task) for task in tasks]
        for future in as_completed(futures):
            yield future.result()


class DaskExecutor:
    """A ``dask.distributed`` cluster: an existing scheduler, or a local cluster started here.

    Parameters
    ----------
    address : scheduler address (``tcp://host:8786``); None starts a ``LocalCluster``.
    workers : workers of the local cluster (one thread each).
    processes : local workers as processes (True) or threads in this process (False).
    """

    def __init__(self, address: str | None = None, *, workers: int = 2,
                 processes: bool = True) -> None:
        self.address = address
        self.workers = workers
        self.processes = processes
        self._client: Any = None
        self._cluster: Any = None

    def __enter__(self) -> DaskExecutor:
        try:  # dask is optional (the ``distributed`` extra): imported only when used
            from dask.distributed import Client, LocalCluster
        except ImportError as exc:  # pragma: no cover - depends on the installation
            raise InputError([Problem("dask", "dask[distributed] installed (pip install "
                                      "'wzmodel[distributed]')")]) from exc
        if self.address:
            self._client = Client(self.address)
        else:
            self._cluster = LocalCluster(n_workers=self.workers, threads_per_worker=1,
                                         processes=self.processes, dashboard_address=None)
            self._client = Client(self._cluster)
        return self

    def __exit__(self, *exc: object) -> None:
        if self._client is not None:
            self._client.close()
        if self._cluster is not None:
            self._cluster.close()
        self._client = self._cluster = None

    def imap_unordered(self, fn: Callable[[Any], Any], tasks: Iterable[Any]) -> Iterator[Any]:
        from dask.distributed import as_completed as dask_as_completed  # optional, see __enter__

        if self._client is None:
            raise RuntimeError("use DaskExecutor as a context manager")
        futures = self._client.map(fn, list(tasks), pure=False)
        for future in dask_as_completed(futures):
            yield future.result()


def make_executor(workers: int | None = None, scheduler: str | None = None) -> Executor:
    """An executor from CLI-style options: ``scheduler`` → Dask (``"local"`` starts a local
    cluster of ``workers``), ``workers == 1`` → sequential, otherwise local processes."""
    if scheduler:
        if scheduler == "local":
            return DaskExecutor(workers=workers or os.cpu_count() or 1)
        return DaskExecutor(scheduler)
    if workers == 1:
        return SequentialExecutor()
    return ProcessExecutor(workers)
