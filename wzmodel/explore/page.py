"""The explorer page, laid out with Panel on :class:`~wzmodel.explore.state.Explorer`.

Top: the scenario, *Plan*, and the data — the scenario's own or an uploaded data workbook (the
scenario's settings are then planned on it). Left: the levers (budget multipliers per source and
year, unit-cost multipliers, target levels, the sharing option's shares, a sharing workbook to
upload), each table with its problems under it. Right: the answer — status in words, the
comparison with the baseline, coverage, money, the first years' communities, downloads.
Planning runs in a worker thread so the page keeps showing progress; a setting or an upload with
a problem stops there and the previous answer stays.
"""

from __future__ import annotations

import asyncio
import html
import io
import re
import time
from collections.abc import Callable, Mapping
from pathlib import Path

import pandas as pd
import panel as pn

from wzmodel.data import data_note
from wzmodel.explore.state import SHARE_COLUMNS, Answer, Explorer, compare
from wzmodel.explore.uploads import MAX_UPLOAD_BYTES, shown_name
from wzmodel.planner.funding import RELATIONS
from wzmodel.plots.labels import target_label
from wzmodel.report import district_coverage_map
from wzmodel.schema import InputError, Problem

__all__ = ["explorer_page"]

ALL_YEARS = "all years"


def explorer_page(scenarios: Mapping[str, Path], default: str, *,
                  solver: dict | None = None) -> pn.viewable.Viewable:
    """One visitor's page: ``scenarios`` (label → scenario file) to pick from, ``default``
    opened first; ``solver`` overrides every scenario's ``[solver]`` (e.g. its time limit)."""
    return _Page(scenarios, default, solver).layout


class _Page:
    def __init__(self, scenarios: Mapping[str, Path], default: str, solver: dict | None) -> None:
        self.scenarios, self.solver = dict(scenarios), solver
        self.explorer: Explorer | None = None
        self.note = pn.pane.HTML("", sizing_mode="stretch_width")  # the data folder's own note
        self.busy = False
        self.started = 0.0

        self.picker = pn.widgets.Select(name="Scenario", options=list(scenarios), value=default,
                                        width=320, css_classes=["wz-scenario"])
        self.picker.param.watch(self._pick, "value")
        self.plan_button = pn.widgets.Button(name="Plan", button_type="primary", width=120,
                                             css_classes=["wz-plan"])
        self.plan_button.on_click(self._plan)
        self.progress = pn.indicators.Progress(active=False, value=0, max=100, width=200,
                                               visible=False, css_classes=["wz-progress"])
        self.status = pn.pane.HTML("", css_classes=["wz-status"], sizing_mode="stretch_width")

        self.budgets = self._table("wz-budgets", self._edit_budget)
        self.costs = self._table("wz-costs", self._edit_cost)
        self.targets = self._table("wz-targets", self._edit_target)
        self.sharing = self._table("wz-sharing", self._edit_share)
        self.links = pn.pane.HTML("", css_classes=["wz-links"], sizing_mode="stretch_width")
        self.problem_panes = {key: pn.pane.HTML("", css_classes=[f"wz-problems-{key}"],
                                                sizing_mode="stretch_width")
                              for key in ("budgets", "costs", "targets", "sharing", "upload",
                                          "data")}
        self.upload = pn.widgets.FileInput(accept=".xlsx", css_classes=["wz-upload"])
        self.upload.param.watch(self._upload, "value")
        self.data_upload = pn.widgets.FileInput(accept=".xlsx", css_classes=["wz-data-upload"])
        self.data_upload.param.watch(self._upload_data, "value")
        self.data_label = pn.pane.HTML("", css_classes=["wz-data"], sizing_mode="stretch_width")

        self.compare = pn.pane.HTML("", css_classes=["wz-compare"], sizing_mode="stretch_width")
        # figures shrink with the window (a 1280 px screen leaves the answer ≈ 600 px)
        figure = {"sizing_mode": "scale_width", "max_width": 820}
        self.coverage_figure = pn.pane.PNG(None, css_classes=["wz-coverage-figure"], **figure)
        self.zones = pn.pane.HTML("", css_classes=["wz-zones"])
        self.districts = pn.pane.HTML("", css_classes=["wz-districts"])
        # the report's coverage-by-district map on the real district outlines; hidden for data
        # without outlines (e.g. an uploaded workbook)
        self.district_map = pn.pane.PNG(None, visible=False, **figure,
                                        css_classes=["wz-district-map"])
        self.money = pn.pane.HTML("", css_classes=["wz-money"], sizing_mode="stretch_width")
        self.money_figure = pn.pane.PNG(None, **figure)
        self.burden = pn.pane.HTML("", css_classes=["wz-burden"], sizing_mode="stretch_width")
        self.first = pn.pane.HTML("", css_classes=["wz-first"])
        self.downloads = pn.Row(
            pn.widgets.FileDownload(callback=self._file("plan.xlsx"), filename="plan.xlsx",
                                    label="Download plan.xlsx", button_type="success"),
            pn.widgets.FileDownload(callback=self._file("report.html"), filename="report.html",
                                    label="Download report.html", button_type="success"))

        levers = pn.Column(
            pn.pane.Markdown("### Budgets: multiplier per source\nType 0.8 for a 20 % cut; "
                             f"*{ALL_YEARS}* sets every year."),
            self.budgets, self.problem_panes["budgets"],
            pn.pane.Markdown("### Unit costs: multiplier per category"),
            self.costs, self.problem_panes["costs"],
            pn.pane.Markdown("### Target levels\nShares as 0.60 for 60 %; counts as whole numbers."),
            self.targets, self.problem_panes["targets"],
            pn.pane.Markdown("### Sharing option: shares of each funder\n"
                             "Each cell between 0 and 1; minimums may sum to at most 1."),
            self.sharing, self.problem_panes["sharing"], self.links,
            pn.pane.Markdown("Or upload a sharing option (the template "
                             "`data/templates/sharing_option_template.xlsx`, at most "
                             f"{MAX_UPLOAD_BYTES / 1e6:g} MB):"),
            self.upload, self.problem_panes["upload"],
            width=640,
        )
        answer = pn.Tabs(
            ("Compared with the baseline", pn.Column(self.compare, self.coverage_figure)),
            ("Coverage", pn.Column(pn.pane.Markdown("#### By zone"), self.zones,
                                   pn.pane.Markdown("#### By district"), self.districts,
                                   self.district_map)),
            ("Money", pn.Column(self.money, self.money_figure)),
            ("Burden", self.burden),
            ("First years", self.first),
            ("Download", self.downloads),
            sizing_mode="stretch_width",
        )
        data = pn.Column(
            self.data_label,
            pn.Row(pn.pane.Markdown(
                "Or plan the scenario's settings (targets, budget rules, solver) on your own "
                "data — pick the scenario first, then upload a data workbook "
                f"(`wzmodel template OUT.xlsx` writes it; at most {MAX_UPLOAD_BYTES / 1e6:g} MB):",
                width=560, margin=(0, 10)), self.data_upload),
            self.problem_panes["data"], sizing_mode="stretch_width")
        self.layout = pn.Column(
            pn.pane.Markdown("## wzmodel explorer — complete communities (完整社区)"),
            self.note,
            pn.Row(self.picker, pn.Column(pn.Spacer(height=18), self.plan_button), self.progress),
            data,
            self.status,
            pn.Row(levers, pn.Column(answer, sizing_mode="stretch_width"),
                   sizing_mode="stretch_width"),
            sizing_mode="stretch_width",
        )
        pn.state.onload(self._open_default)

    # ---- building blocks ---------------------------------------------------------------------
    def _table(self, css: str, on_edit: Callable) -> pn.widgets.Tabulator:
        table = pn.widgets.Tabulator(pd.DataFrame(), show_index=True, css_classes=[css],
                                     layout="fit_data_table", max_height=330, width=620,
                                     selectable=False, sortable=False)
        table.on_edit(on_edit)
        return table

    def _file(self, name: str) -> Callable[[], io.BytesIO | None]:
        def download():
            answer = self.explorer.current or self.explorer.baseline if self.explorer else None
            if answer is None or not answer.solved:
                return None
            return io.BytesIO(answer.files()[name])
        return download

    # ---- opening a scenario ------------------------------------------------------------------
    async def _open_default(self) -> None:
        await self._open(self.picker.value)

    async def _pick(self, event) -> None:
        await self._open(event.new)

    async def _open(self, label: str) -> None:
        if self.busy:
            return
        self._start(f"Opening {label} and planning its baseline")
        try:
            explorer = await asyncio.to_thread(Explorer.open, self.scenarios[label],
                                               solver=self.solver)
            await asyncio.to_thread(explorer.plan_baseline)
        except InputError as exc:
            self._stop(_problems_html(exc.problems, f"{label} cannot be opened"), ok=False)
            return
        self._install(explorer, f"Baseline of <b>{html.escape(label)}</b>")

    def _install(self, explorer: Explorer, what: str) -> None:
        """Show a newly opened explorer (its baseline planned): data, levers, answer, status."""
        self.explorer = explorer
        self.note.object = f"<small>{html.escape(data_note(explorer.dataset.path))}</small>"
        self.data_label.object = _data_html(explorer)
        self._show_levers()
        self._show(explorer.baseline)
        self._stop(f"{what}: {html.escape(explorer.baseline.status)}"
                   f" ({explorer.baseline.seconds:.0f} s)." + _weak_note(explorer.baseline),
                   ok=_tone(explorer.baseline))

    # ---- the levers --------------------------------------------------------------------------
    def _show_levers(self) -> None:
        e = self.explorer
        self._show_budgets()
        self.costs.value = e.costs.rename("multiplier").rename_axis("cost category").to_frame()
        self.targets.value = pd.DataFrame(
            {"target": [target_label(t, with_level=False) for t in e.base.targets.values()],
             "level": list(e.levels.values())}, index=pd.Index(list(e.levels), name="id"))
        self.targets.editors = {"target": None}
        sharing = e.sharing.astype(object).where(e.sharing.notna(), "")
        sharing.index = pd.RangeIndex(1, len(sharing) + 1, name="row")  # as problems count rows
        self.sharing.value = sharing
        self.sharing.editors = {c: None for c in SHARE_COLUMNS if c not in ("min_share", "max_share")}
        self.sharing.show_index = True
        self.links.object = _links_html(e.links)
        for key in self.problem_panes:
            self._show_problems(key)

    def _show_budgets(self) -> None:
        e = self.explorer
        names = e.sources.set_index("source_id")["name"]
        budgets = e.budgets.astype(object).copy()
        budgets.columns = [str(y) for y in budgets.columns]
        budgets.insert(0, ALL_YEARS, [row.iloc[0] if len(set(row)) == 1 else "varies"
                                      for _, row in budgets.iterrows()])
        budgets.index = pd.Index([f"{s} — {names[s]}" for s in budgets.index], name="source")
        self.budgets.value = budgets

    def _edit_budget(self, event) -> None:
        source = str(self.budgets.value.index[event.row]).split(" — ")[0]
        years = None if event.column == ALL_YEARS else int(event.column)
        self.explorer.set_budget_scale(source, years, event.value)
        self._after_edit("budgets", self.budgets, event)

    def _edit_cost(self, event) -> None:
        self.explorer.set_cost_scale(str(self.costs.value.index[event.row]), event.value)
        self._after_edit("costs", self.costs, event)

    def _edit_target(self, event) -> None:
        self.explorer.set_target_level(str(self.targets.value.index[event.row]), event.value)
        self._after_edit("targets", self.targets, event)

    def _edit_share(self, event) -> None:
        self.explorer.set_share(event.row, event.column, event.value)  # event.row is 0-based
        self._after_edit("sharing", self.sharing, event)

    def _after_edit(self, key: str, table: pn.widgets.Tabulator, event) -> None:
        """Show the table's problems under it; a clean budget table is redrawn (the
        *all years* column follows the years)."""
        if key == "budgets" and not self.explorer.problems.get(key):
            self._show_budgets()
        self._show_problems(key)
        if not self.explorer.all_problems():
            self.status.object = _words("Settings changed: press <b>Plan</b> to see their plan.")

    def _show_problems(self, key: str) -> None:
        found = self.explorer.problems.get(key, []) if self.explorer else []
        self.problem_panes[key].object = _problems_html(found) if found else ""

    def _upload(self, event) -> None:
        if event.new is None or self.explorer is None:
            return
        self.explorer.upload_sharing(self.upload.filename or "", event.new)
        self._show_levers()
        if not self.explorer.problems.get("upload"):
            self.status.object = _words(
                f"Sharing option <b>{html.escape(self.explorer.sharing_name)}</b> read from the "
                "workbook: press <b>Plan</b>.")

    async def _upload_data(self, event) -> None:
        """The scenario's settings on an uploaded data workbook: read, checked and planned in
        the worker thread; on any problem they are listed beside the upload and the page stays
        as it was (data, levers, answer)."""
        if event.new is None or self.explorer is None:
            return
        shown = shown_name(self.data_upload.filename or "")
        if self.busy:  # the upload widget is disabled while busy; a late event is told, not lost
            self.problem_panes["data"].object = _problems_html(
                [], f"{shown} not read: wait until the page has finished, then upload it again")
            return
        label = self.picker.value
        self.problem_panes["data"].object = ""
        self._start(f"Reading {shown} and planning the settings of {label} on it")
        try:
            explorer = await asyncio.to_thread(self.explorer.with_data,
                                               self.data_upload.filename or "", event.new)
            await asyncio.to_thread(explorer.plan_baseline)
        except InputError as exc:
            self.problem_panes["data"].object = _problems_html(
                exc.problems, f"{shown} not used — the page still plans on "
                f"{_data_name(self.explorer)}")
            self._stop(f"The data workbook {html.escape(shown)} has problems (listed beside it); "
                       "the answer below is the previous one.", ok=False)
            return
        except Exception as exc:  # a bug must not take the page down: say so, keep the answer
            self._stop(_words(f"Internal error while reading {html.escape(shown)} "
                              f"({type(exc).__name__}: {html.escape(str(exc))}); the answer below "
                              "is the previous one.", ok=False), ok=False)
            return
        self._install(explorer, f"Baseline of the settings of <b>{html.escape(label)}</b> on the "
                      f"data of <b>{html.escape(shown)}</b> (the levers are the scenario's again)")

    # ---- planning ----------------------------------------------------------------------------
    async def _plan(self, _event) -> None:
        if self.busy or self.explorer is None:
            return
        try:
            self.explorer.scenario()
        except InputError as exc:
            self.status.object = _problems_html(
                exc.problems, "Not planned — fix these first (the answer below is the previous one)")
            return
        limit = self.explorer.base.solver.time_limit
        self._start("Planning" + (f" (at most about {limit:.0f} s)" if limit else ""))
        try:
            answer = await asyncio.to_thread(self.explorer.plan)
        except InputError as exc:  # e.g. the data cannot carry these settings
            self._stop(_problems_html(exc.problems, "Not planned"), ok=False)
            return
        except Exception as exc:  # a bug must not take the page down: say so, keep the answer
            self._stop(_words(f"Internal error while planning ({type(exc).__name__}: "
                              f"{html.escape(str(exc))}); the answer below is the previous one.",
                              ok=False), ok=False)
            return
        self._show(answer)
        how = "warm re-plan" if answer.warm else "plan"
        self._stop(f"Current settings: {html.escape(answer.status)} ({how}, {answer.seconds:.0f} s)."
                   + ("" if answer.solved else f"<br>{html.escape(answer.plan.diagnosis)}")
                   + _weak_note(answer), ok=_tone(answer))

    def _start(self, what: str) -> None:
        self.busy, self.started = True, time.perf_counter()
        self.plan_button.disabled = self.picker.disabled = True
        self.upload.disabled = self.data_upload.disabled = True
        self.progress.visible = self.progress.active = True
        self.status.object = _words(f"{html.escape(what)}…")
        self._ticker = pn.state.add_periodic_callback(
            lambda: setattr(self.status, "object", _words(
                f"{html.escape(what)}… {time.perf_counter() - self.started:.0f} s")), period=1000)

    def _stop(self, text: str, *, ok: bool | None) -> None:
        self._ticker.stop()
        self.busy = False
        self.plan_button.disabled = self.picker.disabled = False
        self.upload.disabled = self.data_upload.disabled = False
        self.progress.visible = self.progress.active = False
        self.status.object = text if text.startswith("<div") else _words(text, ok=ok)

    def _show(self, answer: Answer) -> None:
        from wzmodel import plots
        from wzmodel.plots.style import png_bytes

        baseline = self.explorer.baseline
        self.compare.object = _html(compare(baseline, answer), percent_rows="coverage")
        if not answer.solved:
            return  # the tables of the last plan found stay; the status says why
        plans = {"baseline": baseline.plan} if answer is baseline else {
            "baseline": baseline.plan, "current": answer.plan}
        self.coverage_figure.object = png_bytes(plots.coverage_figure(
            plans, targets=answer.plan.targets, title="Coverage by zone: baseline and current"))
        self.zones.object = _html(answer.coverage_zone, percent=True)
        self.districts.object = _html(answer.coverage_district, percent=True)
        district_map = district_coverage_map(answer.plan, self.explorer.dataset.outlines)
        self.district_map.object = png_bytes(district_map) if district_map is not None else None
        self.district_map.visible = district_map is not None
        self.money.object = ("<p>Money paid, million yuan</p>" + _html(answer.money))
        self.money_figure.object = png_bytes(plots.money_by_source_figure(
            answer.plan.money, sources=self.explorer.dataset.sources))
        self.burden.object = ("<p>What each district's own fiscal pot pays, yuan per resident "
                              "(the first column: million yuan over all years)</p>"
                              + _html(answer.burden))
        first = answer.first
        years = sorted(set(first["year"]))
        when = f"{years[0]}–{years[-1]}" if len(years) > 1 else f"{years[0]}" if years else "—"
        # the city starts thousands: a scrolled box, not a page tens of thousands of pixels long
        self.first.object = (f"<p>{len(first):,} upgrades start in {when} (the whole schedule "
                             "is in plan.xlsx)</p>" + '<div style="max-height:620px;'
                             f'overflow-y:auto">{_html(first, index=False)}</div>')


def _tone(answer: Answer) -> bool | None:
    return None if answer.weak else answer.solved


def _weak_note(answer: Answer) -> str:
    """A plain warning under the status of a plan far from the best."""
    if not answer.weak:
        return ""
    gap = answer.plan.outcome.gap
    how_far = f"up to {100 * gap:.0f} % better" if gap is not None else "much better"
    return ('<br><span class="wz-weak">The best plan for these settings may be '
            f"{how_far}: what this one loses against the baseline is the most they cost, "
            "probably less.</span>")


def _data_name(explorer: Explorer) -> str:
    """The data in use, as a finance officer would name it: the workbook's name, or the folder."""
    path = explorer.dataset.path
    return (f"the workbook {path.name}" if path.suffix.lower() == ".xlsx"
            else f"the scenario's data folder '{path.resolve().name}'")


def _data_html(explorer: Explorer) -> str:
    """Which data the page plans on, and what reading it noticed (e.g. an example row left)."""
    text = f"<b>Data:</b> {html.escape(_data_name(explorer))}"
    if explorer.data_warnings:
        items = "".join(f"<li>{html.escape(w)}</li>" for w in _grouped(explorer.data_warnings))
        text += f'<div style="color:#8a5a00"><b>Please check:</b><ul>{items}</ul></div>'
    return text


def _grouped(warnings: list[str]) -> list[str]:
    """Warnings that say the same of several sheets ("book.xlsx[sheet], row 2 is the
    template's example row ...") once, with the sheets listed."""
    said: dict[tuple[str, str], list[str]] = {}
    for warning in warnings:
        found = re.fullmatch(r"(.+?)\[([^\]]+)\], (.+)", warning)
        book, sheet, what = found.groups() if found else ("", "", warning)
        said.setdefault((book, what), []).append(sheet)
    return [f"{book}, sheet{'s' if len(sheets) > 1 else ''} {', '.join(sheets)}: {what}" if book
            else what for (book, what), sheets in said.items()]


def _words(text: str, *, ok: bool | None = True) -> str:
    """``text`` in green (fine), red (not planned) or amber (None: a weak plan)."""
    colour = {True: "#1b5e20", False: "#b71c1c", None: "#8a5a00"}[ok]
    return f'<div style="color:{colour};font-size:15px">{text}</div>'


def _links_html(links: pd.DataFrame) -> str:
    """The option's matching and top-up rules in words (read-only: they are edited in the
    sharing workbook and uploaded)."""
    if links.empty:
        return _words("This option has no matching or top-up rules (a workbook's "
                      "<i>sharing_links</i> sheet adds them).")

    def where(r) -> str:
        parts = [str(v) for v in (r.cost_category, r.district, r.zone)
                 if isinstance(v, str) and v]
        return ", ".join(parts) or "every cost"

    items = "".join(
        f"<li>{html.escape(r.role)} {RELATIONS[r.relation]} {r.ratio:g} × "
        f"{'the cost' if r.base == 'cost' else 'public money' if r.base == 'public' else html.escape(r.base)}"
        f" — {html.escape(where(r))}"
        + (f" <span style='color:#666'>({html.escape(r.source)})</span>"
           if isinstance(r.source, str) and r.source else "") + "</li>"
        for r in links.itertuples(index=False))
    return (f'<div class="wz-links-list"><b>Matching and top-up rules of this option</b> '
            f"(edit them in the workbook's <i>sharing_links</i> sheet):<ul>{items}</ul></div>")


def _problems_html(problems: list[Problem] | tuple[Problem, ...], title: str = "") -> str:
    items = "".join(f"<li>{html.escape(str(p))}</li>" for p in problems)
    head = f"<b>{html.escape(title)}:</b>" if title else ""
    return f'<div class="wz-problems" style="color:#b71c1c">{head}<ul>{items}</ul></div>'


def _html(frame: pd.DataFrame, *, percent: bool = False, index: bool = True,
          percent_rows: str | None = None) -> str:
    """A read-only table: shares in %, money with two decimals, names as they are; a
    ``change`` column of shares in percentage points, signed."""
    def cell(value, row_label: str = "", column: str = "") -> str:
        if isinstance(value, float):
            change = column == "change"
            if abs(value) < 5e-5:
                value = 0.0  # no "-0.00"
            if percent or (percent_rows and str(row_label).startswith(percent_rows)):
                return f"{100 * value:+.1f} pp" if change else f"{100 * value:.1f} %"
            return f"{value:+,.2f}" if change else f"{value:,.2f}"
        return html.escape(str(value))

    head = "".join(f"<th>{html.escape(str(c))}</th>" for c in frame.columns)
    rows = "".join(
        "<tr>" + (f"<th>{html.escape(str(label))}</th>" if index else "")
        + "".join(f"<td>{cell(v, label, str(c))}</td>" for v, c in zip(row, frame.columns,
                                                                         strict=True)) + "</tr>"
        for label, row in zip(frame.index, frame.itertuples(index=False), strict=True))
    return ('<table class="wz-table" style="border-collapse:collapse;font-size:13px">'
            f"<tr>{'<th></th>' if index else ''}{head}</tr>{rows}</table>")
