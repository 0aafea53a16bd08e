"""Shared test paths.

The paths are plain constants, imported where a test needs them at collection time
(``from conftest import TINY``), like the dataset builders in ``tests/builders.py``
(``from builders import write_dataset``): both modules sit in ``tests/``, which pytest puts on
``sys.path``.
"""

from __future__ import annotations

from pathlib import Path

from wzmodel.data import example_path

#: The repository's root folder.
REPO = Path(__file__).resolve().parents[1]
#: The tiny example shipped inside the package (data folder with ``scenarios/``).
TINY = example_path("tiny")
#: The bundled Shanghai data (data folder with ``scenarios/``).
SHANGHAI = REPO / "data" / "shanghai"
#: Published benchmark instances (OR-Library, spopt).
BENCHMARKS = REPO / "data" / "benchmarks"

