"""Small readers for the public benchmark instances in ``data/benchmarks`` (see its README).

* :func:`read_orlib_facility` — OR-Library UFL/CFL instances (``cap71.txt``, ``capa.txt``, ...);
* :func:`read_orlib_scp` — OR-Library weighted set-covering instances (``scp41.txt``, ...);
* :func:`read_mknap` — OR-Library multidimensional knapsack files (``mknap1.txt``, ...);
* :func:`read_optima` — ``name value`` tables (``uncapopt.txt``, ``capopt.txt``, ``mkcbres.txt``);
* :func:`read_sf_mclp` — spopt's San Francisco maximal-covering test data.

The OR-Library files are read as a flat stream of whitespace-separated tokens: values wrap
across lines, and numbers may lack a leading zero (``.00000``), which ``float`` accepts.
"""

from __future__ import annotations

import csv
import re
from pathlib import Path

import numpy as np

__all__ = [
    "read_mknap",
    "read_optima",
    "read_orlib_facility",
    "read_orlib_scp",
    "read_sf_mclp",
]


def _tokens(path: str | Path) -> list[str]:
    return Path(path).read_text().split()


def _need(tokens: list[str], count: int, path: str | Path) -> None:
    if len(tokens) < count:
        raise ValueError(f"{path}: expected at least {count} numbers, found {len(tokens)}")


def read_orlib_facility(
    path: str | Path,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Read an OR-Library facility-location instance (``capinfo`` / ``uncapinfo`` format).

    Format: ``m n``; ``m`` times ``capacity fixed_cost``; then for each of the ``n`` customers
    its demand followed by ``m`` costs of serving *all* of its demand from each site.

    Returns
    -------
    capacity : ndarray, shape (m,)
    fixed_cost : ndarray, shape (m,)
    demand : ndarray, shape (n,)
    cost : ndarray, shape (n, m)
        ``cost[j, i]``: cost of serving all of customer ``j``'s demand from site ``i``.
    """
    tok = _tokens(path)
    _need(tok, 2, path)
    m, n = int(tok[0]), int(tok[1])
    expected = 2 + 2 * m + n * (1 + m)
    if len(tok) != expected:
        raise ValueError(f"{path}: expected {expected} numbers for m={m}, n={n}, found {len(tok)}")
    sites = np.array(tok[2 : 2 + 2 * m], dtype=float).reshape(m, 2)
    customers = np.array(tok[2 + 2 * m :], dtype=float).reshape(n, 1 + m)
    return sites[:, 0].copy(), sites[:, 1].copy(), customers[:, 0].copy(), customers[:, 1:].copy()


def read_orlib_scp(path: str | Path) -> tuple[np.ndarray, list[list[int]]]:
    """Read an OR-Library weighted set-covering instance (``scpinfo`` format).

    Format: ``m n`` (rows, columns); the ``n`` column costs; then for each row the number ``k``
    of columns covering it followed by those ``k`` columns (1-based).

    Returns
    -------
    costs : ndarray, shape (n,)
    rows : list of lists
        ``rows[r]`` holds the **0-based** columns covering row ``r``.
    """
    tok = _tokens(path)
    _need(tok, 2, path)
    m, n = int(tok[0]), int(tok[1])
    _need(tok, 2 + n, path)
    costs = np.array(tok[2 : 2 + n], dtype=float)
    pos = 2 + n
    rows: list[list[int]] = []
    for _ in range(m):
        _need(tok, pos + 1, path)
        k = int(tok[pos])
        _need(tok, pos + 1 + k, path)
        rows.append([int(t) - 1 for t in tok[pos + 1 : pos + 1 + k]])
        pos += 1 + k
    if pos != len(tok):
        raise ValueError(f"{path}: {len(tok) - pos} unexpected trailing numbers")
    return costs, rows


def read_mknap(path: str | Path) -> list[tuple[np.ndarray, np.ndarray, np.ndarray, float]]:
    """Read an OR-Library multidimensional 0-1 knapsack file (``mknap1.txt``, ``mknapcb*.txt``).

    Format: the number ``K`` of problems; for each: ``n m opt``, the ``n`` profits, ``m`` rows
    of ``n`` weights, the ``m`` capacities. ``opt`` is 0 when the file does not give it.

    Returns
    -------
    list of ``(values, weights, capacities, opt)``
        ``values`` shape (n,), ``weights`` shape (m, n), ``capacities`` shape (m,), all float.
    """
    tok = _tokens(path)
    _need(tok, 1, path)
    count = int(tok[0])
    pos = 1
    problems = []
    for _ in range(count):
        _need(tok, pos + 3, path)
        n, m, opt = int(tok[pos]), int(tok[pos + 1]), float(tok[pos + 2])
        pos += 3
        size = n + m * n + m
        _need(tok, pos + size, path)
        block = np.array(tok[pos : pos + size], dtype=float)
        pos += size
        problems.append((block[:n].copy(), block[n : n + m * n].reshape(m, n).copy(),
                         block[n + m * n :].copy(), opt))
    if pos != len(tok):
        raise ValueError(f"{path}: {len(tok) - pos} unexpected trailing numbers")
    return problems


_OPT_LINE = re.compile(r"^\s*(\S+)\s+([-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)\s*$")


def read_optima(path: str | Path) -> dict[str, float]:
    """Read a ``name value`` table (``uncapopt.txt``, ``capopt.txt``, ``mkcbres.txt``).

    Lines that are not exactly a name and a number are skipped; a trailing ``.txt`` is removed
    from names (``cap71.txt`` -> ``cap71``). When a name appears more than once, the first value
    counts (``mkcbres.txt``: the best-solution table precedes the LP-relaxation table).
    """
    table: dict[str, float] = {}
    for line in Path(path).read_text().splitlines():
        match = _OPT_LINE.match(line)
        if match:
            name = match.group(1).removesuffix(".txt")
            table.setdefault(name, float(match.group(2)))
    return table


def read_sf_mclp(
    directory: str | Path,
) -> tuple[np.ndarray, np.ndarray, list[str], list[str]]:
    """Read spopt's San Francisco MCLP test data (205 census tracts x 16 candidate stores).

    The network distances come in long format (``distance, name, DestinationName, demand``);
    they are pivoted into a matrix in the order of the demand file (tracts) and the store file
    (sites). Weights are ``POP2000`` of the demand file, matched by tract ``NAME``. Pairs absent
    from the long table are ``inf`` (unreachable).

    Returns
    -------
    distance : ndarray, shape (205, 16)
    weights : ndarray, shape (205,)
    tracts, stores : lists of names (row and column labels)
    """
    directory = Path(directory)
    with open(directory / "SF_demand_205_centroid_uniform_weight.csv", newline="") as fh:
        demand_rows = list(csv.DictReader(fh))
    with open(directory / "SF_store_site_16_longlat.csv", newline="") as fh:
        store_rows = list(csv.DictReader(fh))
    tracts = [r["NAME"] for r in demand_rows]
    stores = [r["NAME"] for r in store_rows]
    weights = np.array([float(r["POP2000"]) for r in demand_rows])
    row_of = {t: k for k, t in enumerate(tracts)}
    col_of = {s: k for k, s in enumerate(stores)}
    if len(row_of) != len(tracts) or len(col_of) != len(stores):
        raise ValueError("duplicate tract or store names in the SF data")
    distance = np.full((len(tracts), len(stores)), np.inf)
    seen = np.zeros(distance.shape, dtype=bool)
    with open(directory / "SF_network_distance_candidateStore_16_censusTract_205_new.csv",
              newline="") as fh:
        for r in csv.DictReader(fh):
            j, i = row_of[r["DestinationName"]], col_of[r["name"]]
            if seen[j, i]:
                raise ValueError(f"pair ({r['DestinationName']}, {r['name']}) listed twice")
            seen[j, i] = True
            distance[j, i] = float(r["distance"])
    return distance, weights, tracts, stores
