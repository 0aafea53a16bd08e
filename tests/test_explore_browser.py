"""The explorer page in a real headless browser: `wzmodel explore` started as a user would, on a
free port, driven in Debian's chromium through Playwright — a budget cut, a bad share and its
error, Plan, what the page then shows; then the server's own defences and Ctrl-C."""

from __future__ import annotations

import base64
import http.client
import io
import os
import re
import signal
import socket
import subprocess
import sys
import time

import openpyxl
import pytest
from conftest import REPO
from test_report_browser import CHROMIUM, _browser_or_skip


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def server():
    port = _free_port()
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    process = subprocess.Popen(
        [sys.executable, "-m", "wzmodel", "explore", "tiny example: baseline", "--port", str(port),
         "--no-browser", "--time-limit", "3"],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env)
    deadline = time.monotonic() + 40
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            break
        except OSError:
            assert process.poll() is None, process.stdout.read()
            time.sleep(0.3)
    yield process, f"http://127.0.0.1:{port}/"
    if process.poll() is None:
        process.kill()


def _handshake(url: str, origin: str) -> int:
    """Status of a websocket handshake to the page's server from a page at ``origin``."""
    host, port = url.split("//")[1].strip("/").split(":")
    connection = http.client.HTTPConnection(host, int(port), timeout=10)
    connection.request("GET", "/ws", headers={
        "Upgrade": "websocket", "Connection": "Upgrade", "Origin": origin,
        "Sec-WebSocket-Version": "13",
        "Sec-WebSocket-Key": base64.b64encode(os.urandom(16)).decode()})
    status = connection.getresponse().status
    connection.close()
    return status


def _workbook_with_unknown_district() -> bytes:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "..%2F..%2Fetc"  # "/" is not allowed in a sheet title: its URL form
    sheet.append(["option", "cost_category", "role", "min_share", "max_share", "zone", "district"])
    sheet.append(["mine", "gas", "utility_gas", 0.5, 1.0, None, "纽约"])
    sheet.append(["mine", "gas", "city_fiscal", 0.0, 1.0, None, None])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _edit(page, table: str, row: int, column: str, value: str) -> None:
    """Type ``value`` into a Tabulator cell (rows counted from 0) and confirm it."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    cell = page.locator(f".{table} .tabulator-row").nth(row).locator(
        f'.tabulator-cell[tabulator-field="{column}"]')
    editor = cell.locator("input")
    for _ in range(5):  # a click while the page redraws after the last edit may not open it
        cell.click()
        try:
            editor.wait_for(timeout=2_000)
            break
        except PlaywrightTimeout:
            continue
    editor.fill(value)
    editor.press("Enter")


def _money(page, funder: str) -> tuple[float, float]:
    """Baseline and current money of a funder in the comparison table (million yuan)."""
    row = page.locator(".wz-compare tr", has_text=f"money, {funder} (million yuan)")
    cells = row.locator("td").all_inner_texts()
    return float(cells[0].replace(",", "")), float(cells[1].replace(",", ""))


@pytest.mark.browser
def test_explorer_page_in_chromium(server, tmp_path):
    sync_playwright = _browser_or_skip()
    process, url = server
    foreign = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM)
        context = browser.new_context(viewport={"width": 1500, "height": 1000})
        # the page needs nothing from anywhere else: anything off the server is refused
        context.route("**/*", lambda route: route.continue_()
                      if route.request.url.startswith((url, "blob:", "data:"))
                      else (foreign.append(route.request.url), route.abort()))
        page = context.new_page()
        page.goto(url)
        page.locator(".wz-status", has_text="Baseline of").wait_for(timeout=40_000)
        page.screenshot(path=tmp_path / "1-baseline.png", full_page=True)
        before = page.locator(".wz-coverage-figure img").get_attribute("src")
        base_city, current_city = _money(page, "city fiscal")
        assert base_city == current_city > 0

        # a 10 % cut of city fiscal money over the whole horizon, and a share above 1
        _edit(page, "wz-budgets", 0, "all years", "0.9")
        _edit(page, "wz-sharing", 0, "max_share", "1.5")
        problem = page.locator(".wz-problems-sharing")
        problem.get_by_text("row 1, column 'max_share'").wait_for(timeout=10_000)
        assert "expected a number between 0 and 1" in problem.locator(".wz-problems").inner_text()
        page.locator(".wz-plan button").click()
        page.locator(".wz-status", has_text="Not planned").wait_for(timeout=10_000)
        page.screenshot(path=tmp_path / "2-bad-share.png", full_page=True)
        assert _money(page, "city fiscal") == (base_city, current_city)  # the answer stays

        _edit(page, "wz-sharing", 0, "max_share", "0.8")
        page.locator(".wz-problems-sharing ul").wait_for(state="detached", timeout=10_000)
        page.locator(".wz-plan button").click()
        page.locator(".wz-status", has_text="Current settings").wait_for(timeout=40_000)
        page.screenshot(path=tmp_path / "3-replanned.png", full_page=True)
        status = page.locator(".wz-status div").last.inner_text()
        assert re.search(r"(best plan found|a good plan found).*warm re-plan", status), status
        base_after, cut = _money(page, "city fiscal")
        assert base_after == base_city and cut < base_city
        assert page.locator(".wz-coverage-figure img").get_attribute("src") != before
        page.locator(".bk-tab", has_text="Money").click()
        assert f"{cut:,.2f}" in page.locator(".wz-money table").inner_text()  # the money table shows it too

        # uploads: too big, and a path-like file and sheet name with an unknown district
        upload = page.locator(".wz-upload input[type=file]")
        upload.set_input_files({"name": "big.xlsx", "mimeType": "application/octet-stream",
                                "buffer": b"PK\x03\x04" + b"0" * 2_100_000})
        page.locator(".wz-problems-upload", has_text="at most 2 MB").wait_for(timeout=20_000)
        upload.set_input_files({"name": "..\\..\\evil.xlsx", "mimeType": "application/octet-stream",
                                "buffer": _workbook_with_unknown_district()})
        page.locator(".wz-problems-upload", has_text="纽约").wait_for(timeout=20_000)
        assert "evil.xlsx" in page.locator(".wz-problems-upload .wz-problems").inner_text()
        page.screenshot(path=tmp_path / "4-uploads.png", full_page=True)
        browser.close()

    assert foreign == []
    # a page of another site cannot open the app's websocket (the page's own did, above)
    assert _handshake(url, "http://evil.example") == 403
    process.send_signal(signal.SIGINT)  # Ctrl-C stops it cleanly
    output, _ = process.communicate(timeout=20)
    assert process.returncode == 0 and "wzmodel explore: stopped" in output
    assert "Traceback" not in output
