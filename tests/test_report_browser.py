"""The briefing page in a real headless browser: Debian's chromium driven by Playwright, the page
opened from disk with every network request refused, asserting on what a reader sees."""

from __future__ import annotations

import os
import shutil

import pytest
from conftest import TINY

from wzmodel.planner import make_plan
from wzmodel.report import is_weak, plain_status
from wzmodel.scenario import load_scenario
from wzmodel.sweep import run_sweep

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


def _browser_or_skip():
    if CHROMIUM is None:
        if os.environ.get("CI") == "true":  # CI installs chromium (.ci/run): missing is a failure
            pytest.fail("no chromium on PATH in CI: .ci/run should have installed it")
        pytest.skip("no chromium on PATH (apt-get install chromium) — the page is not rendered")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        if os.environ.get("CI") == "true":
            pytest.fail("playwright is not installed in CI (the dev extra installs it)")
        pytest.skip("playwright is not installed (pip install wzmodel[dev])")
    return sync_playwright


def _read_in_chromium(sync_playwright, page_file, screenshot):
    """The page's visible text, whether each image loaded, and every request other than the
    file itself (all refused)."""
    requests = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM)
        context = browser.new_context(offline=True, viewport={"width": 1100, "height": 900})
        # anything but the file itself is refused and recorded
        context.route("**/*", lambda route: (requests.append(route.request.url), route.abort())
                      if not route.request.url.startswith("file://") else route.continue_())
        page = context.new_page()
        page.goto(page_file.as_uri())
        page.evaluate("document.fonts.ready.then(() => true)")
        text = page.inner_text("body")
        loaded = page.evaluate(
            "Array.from(document.images).map(i => i.complete && i.naturalWidth > 0)")
        page.screenshot(path=screenshot, full_page=True)
        browser.close()
    return text, loaded, requests


@pytest.mark.browser
def test_plan_report_renders_offline_in_chromium(tmp_path):
    sync_playwright = _browser_or_skip()
    # a short search (50 nodes, not 500): the page, not the optimum, is under test
    scenario = load_scenario(TINY / "scenarios" / "baseline.toml",
                             solver={"time_limit": 10, "node_limit": 50})
    plan = make_plan(scenario)
    folder = plan.write(tmp_path / "plan")
    page_file = folder / "report.html"
    assert page_file.read_text(encoding="utf-8") == plan.write(tmp_path / "again").joinpath(
        "report.html").read_text(encoding="utf-8")  # same plan → same bytes

    text, loaded, requests = _read_in_chromium(sync_playwright, page_file, tmp_path / "report.png")
    assert requests == []
    assert "coverage of main urban area + new towns by 2027" in text
    coverage = plan.targets.set_index("target").loc["coverage_2027"]
    assert f"{coverage.achieved_level:.1%}" in text and "met" in text
    assert "黄浦 Huangpu" in text and "松江" in text  # district names in Chinese
    assert f"Solver: {plain_status(plan.outcome)}" in text  # a weak one after 50 nodes: amber
    html = page_file.read_text(encoding="utf-8")
    assert ('<p class="status weak">' in html) == is_weak(plan.outcome)
    assert "synthetic or assumed" in text  # the tiny example's own data note (about.toml)
    # against the rule of thumb at equal money: the table's columns and why money is left
    assert "Against the rule of thumb, at equal money" in text
    assert "this plan with the rule's money" in text and "the rule with this plan's money" in text
    unspent = plan.kpi("rule_of_thumb_money_unspent") / 1e6
    assert f"The rule of thumb leaves {unspent:,.1f} million yuan unspent" in text
    assert len(loaded) == 4 and all(loaded)  # the district map and three figures
    assert (tmp_path / "report.png").stat().st_size > 50_000


@pytest.mark.browser
def test_sweep_report_renders_offline_in_chromium(tmp_path):
    sync_playwright = _browser_or_skip()
    # four draws × two sharing options, re-checking each option's plan (node-limited: fast and
    # the same on every machine); with half the owners' money utilities_owners has no plan
    scenario = load_scenario(TINY / "scenarios" / "uncertainty.toml",
                             solver={"time_limit": 10, "node_limit": 50},
                             funding={"source_scale": {"owners": 0.5}})
    result = run_sweep(scenario, tmp_path / "sweep", samples=4, progress=False)
    page_file = tmp_path / "sweep" / "report.html"
    first = page_file.read_text(encoding="utf-8")
    run_sweep(scenario, tmp_path / "sweep", samples=4, progress=False)  # resumed: nothing to run
    assert page_file.read_text(encoding="utf-8") == first  # same sweep → same bytes

    text, loaded, requests = _read_in_chromium(sync_playwright, page_file, tmp_path / "sweep.png")

    assert requests == []
    assert "8 experiments: 4 draws of the parameters (lhs, seed 42) × 2 lever settings" in text
    for name, key in (("cost_overrun_service", "funding.cost_scale.service_facilities"),
                      ("city_budget", "funding.source_scale.city_fiscal"),
                      ("option", "funding.sharing_option")):
        assert name in text and key in text  # what was varied
    # how often each target holds: the share of fiscal-led draws meeting 2027 coverage
    fiscal = result.results[result.results["option"] == "fiscal_led"]
    share = fiscal["met_coverage_2027"].mean()
    assert 0 < share < 1 and f"{share:.1%}" in text
    assert "coverage of main urban area + new towns by 2027" in text
    assert "missed mostly where" in text  # the scenario-discovery box of that target
    # the infeasible lever setting, its diagnosis (extra money) and the status counts
    assert "4 experiments had no plan" in text
    extra = result.results.loc[result.results["option"] == "utilities_owners", "extra_money_yuan"]
    assert extra.nunique() == 1  # the same diagnosis for every draw: no reference plan
    assert f"{extra.iloc[0]:,.0f} yuan" in text
    assert f"median extra money {extra.median() / 1e6:.3f} million yuan" in text
    assert "no_reference" in text and "violated" in text
    assert "the sweep varies funding.sharing_option" in text
    assert "synthetic or assumed" in text  # the data note
    assert len(loaded) == 1 and all(loaded)
