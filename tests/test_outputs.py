"""`--out` never destroys a user's files: every command that writes refuses the input folder, a
file, a foreign non-empty folder or another command's output with exit 2 before any work, and
leaves every file as it was; a previous output of the same command is replaced atomically."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import TINY

from wzmodel import cli
from wzmodel.io import OUTPUT_MARKER, atomic_folder, claim_output
from wzmodel.schema import InputError


@pytest.fixture
def tiny(tmp_path: Path) -> Path:
    """A private copy of the tiny example (data folder with its scenarios)."""
    return Path(shutil.copytree(TINY, tmp_path / "tiny"))


def snapshot(folder: Path) -> dict[str, str]:
    """Every file below ``folder`` (hidden ones too) with the digest of its content."""
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


# Each command that writes, as (argv without --out, the function doing its work). The work is
# replaced by one that fails the test: a refused --out must stop the command before it.
def commands(tiny: Path) -> dict[str, tuple[list[str], str]]:
    scenarios = tiny / "scenarios"
    return {
        "assess": (["assess", str(tiny)], "wzmodel.assess.assess"),
        "plan": (["plan", str(scenarios / "baseline.toml")], "wzmodel.planner.make_plan"),
        "site": (["site", str(tiny)], "wzmodel.siting.site_complexes"),
        "compare": (["compare", str(scenarios / "fiscal_led.toml")], "wzmodel.finance.compare"),
        "sweep": (["sweep", str(scenarios / "uncertainty.toml"), "--samples", "2"],
                  "wzmodel.sweep.run_sweep"),
    }


def no_work(*args, **kwargs):
    raise AssertionError("the command started work although --out was refused")


@pytest.mark.parametrize("command", ["assess", "plan", "site", "compare", "sweep"])
@pytest.mark.parametrize("case", ["input_folder", "file", "foreign_folder", "other_output"])
def test_refused_out_exits_2_before_any_work_and_touches_nothing(
        command, case, tiny, tmp_path, monkeypatch, capsys):
    argv, work = commands(tiny)[command]
    monkeypatch.setattr(work, no_work)
    if case == "input_folder":
        out = tiny
    elif case == "file":
        out = tmp_path / "notes.txt"
        out.write_text("a user's notes\n", encoding="utf-8")
    elif case == "foreign_folder":
        out = tmp_path / "documents"
        out.mkdir()
        (out / "report.docx").write_bytes(b"not ours")
    else:  # a folder another command wrote
        out = tmp_path / "elsewhere"
        out.mkdir()
        other = "plan" if command != "plan" else "assess"
        (out / OUTPUT_MARKER).write_text(json.dumps({"command": other}), encoding="utf-8")
        (out / "schedule.csv").write_text("x\n", encoding="utf-8")
    before = snapshot(tmp_path)
    assert cli.main([*argv, "--out", str(out)]) == cli.EXIT_INPUT
    err = capsys.readouterr().err
    assert f"--out {out}" in err and "Traceback" not in err
    assert snapshot(tmp_path) == before
    assert not [p for p in out.parent.iterdir() if ".tmp-" in p.name or ".old-" in p.name]


def test_input_folder_is_named_as_such(tiny, capsys):
    assert cli.main(["assess", str(tiny), "--out", str(tiny)]) == cli.EXIT_INPUT
    assert "apart from the inputs" in capsys.readouterr().err


def test_previous_output_of_the_same_command_is_replaced(tiny, tmp_path):
    out = tmp_path / "assessment"
    assert cli.main(["assess", str(tiny), "--out", str(out), "--no-excel"]) == 0
    assert json.loads((out / OUTPUT_MARKER).read_text(encoding="utf-8")) == {"command": "assess"}
    first = snapshot(out)
    (out / "stale.csv").write_text("from an older run\n", encoding="utf-8")
    assert cli.main(["assess", str(tiny), "--out", str(out), "--no-excel"]) == 0
    assert snapshot(out) == first  # replaced whole: the stale file is gone, the rest identical
    assert sorted(p.name for p in tmp_path.iterdir()) == ["assessment", "tiny"]


def test_empty_folder_is_accepted(tiny, tmp_path):
    out = tmp_path / "empty"
    out.mkdir()
    assert cli.main(["assess", str(tiny), "--out", str(out), "--no-excel"]) == 0
    assert (out / "communities.csv").is_file()


def test_unwritable_parent_is_refused(tmp_path, monkeypatch):
    locked = tmp_path / "locked"
    locked.mkdir()
    # root may write anywhere, so the permission check itself is made to say no
    monkeypatch.setattr("wzmodel.io.os.access", lambda path, mode: Path(path) != locked)
    with pytest.raises(InputError, match=f"{locked} is not writable"):
        claim_output(locked / "out", "plan")
    claim_output(tmp_path / "elsewhere", "plan")  # the check names only the locked place


def test_interrupted_write_leaves_target_and_no_temporary(tmp_path):
    out = tmp_path / "plan"
    with atomic_folder(out, "plan") as tmp:
        (tmp / "a.csv").write_text("1\n", encoding="utf-8")
    before = snapshot(tmp_path)
    with pytest.raises(KeyboardInterrupt), atomic_folder(out, "plan") as tmp:
        (tmp / "a.csv").write_text("2\n", encoding="utf-8")
        raise KeyboardInterrupt
    assert snapshot(tmp_path) == before


def test_temporaries_of_dead_runs_are_cleaned_up(tmp_path):
    dead = tmp_path / ".plan.tmp-999999999-abc"  # no such process
    dead.mkdir()
    (dead / "half.csv").write_text("x", encoding="utf-8")
    live = tmp_path / f".plan.tmp-{os.getpid()}-xyz"  # this process: maybe still writing
    live.mkdir()
    with atomic_folder(tmp_path / "plan", "plan"):
        pass
    assert not dead.exists() and live.exists()


def test_ctrl_c_exits_130_with_one_line(tiny, tmp_path, monkeypatch, capsys):
    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr("wzmodel.assess.assess", interrupted)
    assert cli.main(["assess", str(tiny), "--out", str(tmp_path / "a"), "-q"]) == 130
    err = capsys.readouterr().err  # -q: no progress lines, so only the interruption's
    assert err.strip().count("\n") == 0 and "interrupted" in err
    assert not (tmp_path / "a").exists()


def test_schema_out_refuses_a_folder(tmp_path):
    assert cli.main(["schema", "--out", str(tmp_path)]) == cli.EXIT_INPUT


def test_version(capsys):
    with pytest.raises(SystemExit) as done:
        cli.main(["--version"])
    assert done.value.code == 0 and capsys.readouterr().out.startswith("wzmodel ")


def test_a_reader_that_stops_early_does_not_stop_the_command(tmp_path):
    """``wzmodel needs … | head -1``: the pipe closes after one line, yet the answer is written
    and the command exits 0 (no BrokenPipeError, no internal error)."""

    out = tmp_path / "needs"
    command = (f"'{sys.executable}' -m wzmodel -q needs '{TINY / 'scenarios' / 'baseline.toml'}' "
               f"--out '{out}' | head -1; exit ${{PIPESTATUS[0]}}")
    done = subprocess.run(["bash", "-c", command], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert len(done.stdout.splitlines()) == 1
    assert "Error" not in done.stderr
    assert (out / "needs.csv").is_file()
