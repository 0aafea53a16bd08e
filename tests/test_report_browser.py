"""The briefing page in a real headless browser: Debian's chromium driven by Playwright, the page
opened from disk with every network request refused, asserting on what a reader sees."""

from __future__ import annotations

import os
import shutil

import pytest
from conftest import TINY

from wzmodel.planner import make_plan
from wzmodel.scenario import load_scenario

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


@pytest.mark.browser
def test_plan_report_renders_offline_in_chromium(tmp_path):
    sync_playwright = _browser_or_skip()
    # a short search: the page, not the optimum, is under test
    scenario = load_scenario(TINY / "scenarios" / "baseline.toml",
                             solver={"time_limit": 5, "node_limit": 20})
    plan = make_plan(scenario)
    folder = plan.write(tmp_path / "plan")
    page_file = folder / "report.html"
    assert page_file.read_text(encoding="utf-8") == plan.write(tmp_path / "again").joinpath(
        "report.html").read_text(encoding="utf-8")  # same plan → same bytes

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
        page.screenshot(path=tmp_path / "report.png", full_page=True)
        browser.close()

    assert requests == []
    assert "coverage of main urban area + new towns by 2027" in text
    coverage = plan.targets.set_index("target").loc["coverage_2027"]
    assert f"{coverage.achieved_level:.1%}" in text and "met" in text
    assert "黄浦 Huangpu" in text and "松江" in text  # district names in Chinese
    assert "best plan found" in text or "a good plan found" in text
    assert "synthetic or assumed" in text  # the tiny example's own data note (about.toml)
    assert len(loaded) == 4 and all(loaded)  # the district map and three figures
    assert (tmp_path / "report.png").stat().st_size > 50_000
