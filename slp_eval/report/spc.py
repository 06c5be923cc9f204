"""What the SPC notebook shows: the answer (each panel's variation and assurance icons in words,
the last point against its centre line and limits, the main caveat), one MDC chart per panel
(XmR, run, p, p', u, u' or c), the board summary's icon table, a funnel plot across providers,
the monthly counts through the disclosure rule, the methods in MDC terms, and the limitations.

Disclosure control (`slp_eval.disclosure`, the one room for it) applies to every released value
of these charts: `released` gives each chart as a board may see it, and the figures, tables,
sentences and results.json read only that copy. A count (a c chart's or a count measure's value,
a numerator, a people denominator, a funnel's counts) is suppressed from 1 to 7 and otherwise
rounded to 5; a share or rate computed from a suppressed count is suppressed with it (a share also
when its complement is small); a p or u chart's limits, which move with the denominator and so
would give it back, are drawn at the rounded denominator. Centre lines, limits and the rules are
computed from the exact data, as NHS Digital's rules allow for complex calculations.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from slp_eval.disclosure import (
    DisclosureRule,
    controlled_counts,
    controlled_shares,
    disclose_count,
    disclose_ratio,
)
from slp_eval.errors import ModelInputError, ParameterError
from slp_eval.params.spc import RATIO_CHARTS, SPCFunnel, SPCParams
from slp_eval.plots.funnel import plot_funnel
from slp_eval.plots.spc import plot_board_summary, plot_spc_panels
from slp_eval.report.session import Report
from slp_eval.report.stop import stop
from slp_eval.series import DERIVED, select_rows
from slp_eval.spc import (
    LIMIT,
    BoardSummary,
    ControlChartResult,
    FunnelResult,
    RunChartResult,
    SPCResult,
    attribute_chart,
    board_summary,
    funnel,
    run_chart,
    spc,
)
from slp_eval.spc.attribute import CHART_NAMES
from slp_eval.spc.common import ASSURANCE_WORDS, VARIATION_WORDS, period_label

Chart = SPCResult | ControlChartResult | RunChartResult

#: Points per period before MDC guidance trusts the limits (fewer: limits may move as data come).
TRUSTED_POINTS = 20


@dataclass(frozen=True)
class PanelSettings:
    """One panel's chart settings: the panel's own where given, else the parameter file's."""

    label: str
    index: int
    chart: str
    value: str | None
    numerator: str | None
    denominator: str | None
    improvement_direction: str
    target: float | None
    target_label: str | None
    filters: dict[str, str | int]

    @property
    def where(self) -> str:
        """How messages name the panel: its place in the parameter file and its label."""
        return f"panels[{self.index}] ({self.label})"


def _spc(report: Report) -> SPCParams:
    params = report.params
    assert isinstance(params, SPCParams)
    return params


def settings(params: SPCParams) -> list[PanelSettings]:
    """Every panel's resolved settings (`PanelSettings`)."""
    out = []
    for i, panel in enumerate(params.panels):
        chart = panel.chart or params.chart
        counted = chart in (*RATIO_CHARTS, "c")
        out.append(
            PanelSettings(
                label=panel.label,
                index=i,
                chart=chart,
                value=None if counted else (panel.value or params.value),
                numerator=(panel.numerator or params.numerator or "numerator") if counted else None,
                denominator=(panel.denominator or params.denominator or "denominator")
                if chart in RATIO_CHARTS
                else None,
                improvement_direction=panel.improvement_direction or params.improvement_direction,
                target=panel.target if panel.target is not None else params.target,
                target_label=panel.target_label if panel.target is not None else params.target_label,
                filters={**params.filters, **panel.filters},
            )
        )
    return out


def _panel_frame(frame: pd.DataFrame, panel: PanelSettings, time: str) -> pd.DataFrame:
    """A panel's rows, sorted by time, with a derived value (share, percent, rate) NaN where its
    numerator or denominator is missing or the denominator is 0 (a gap, never an error)."""
    rows = select_rows(frame, panel.filters)
    if time not in rows.columns:
        raise ParameterError(f"time: the data have no column {time!r}")
    value = panel.value
    if value is not None and value in DERIVED and value not in rows.columns:
        top, bottom, scale = DERIVED[value]
        for column in (top, bottom):
            if column not in rows.columns:
                raise ParameterError(f"value: {value!r} needs the column {column!r}, which the data lack")
        numerator, denominator = rows[top].astype(float), rows[bottom].astype(float)
        rows[value] = np.where(
            denominator > 0, scale * numerator / denominator.where(denominator > 0), np.nan
        )
    elif value is not None and value not in rows.columns and panel.filters.get("measure") == value:
        rows[value] = rows["value"]
    for column in (value, panel.numerator, panel.denominator):
        if column is not None and column not in rows.columns:
            raise ParameterError(f"the data have no column {column!r}")
    out = rows.sort_values(time, kind="stable").reset_index(drop=True)
    out.attrs = dict(frame.attrs)
    return out


def panel_series(report: Report) -> dict[str, pd.DataFrame]:
    """Each panel's rows (common filters plus the panel's), the value derived, sorted by time.
    A problem stops the notebook with one paragraph naming the panel and the parameter."""
    p = _spc(report)
    out = {}
    for panel in settings(p):
        try:
            out[panel.label] = _panel_frame(report.data["data"], panel, p.time)
        except (ParameterError, ModelInputError) as error:
            stop(ParameterError(f"{panel.where}: {error}"), cell="the panels' data")
    return out


def _chart(frame: pd.DataFrame, panel: PanelSettings, p: SPCParams) -> Chart:
    common: dict[str, Any] = {
        "time": p.time,
        "improvement_direction": panel.improvement_direction,
        "rebase": list(p.rebase),
        "fix_after_n_points": p.fix_after_n_points,
        "missing": "gap",
    }
    if panel.chart == "xmr":
        assert panel.value is not None
        return spc(frame, value=panel.value, target=panel.target, screen_outliers=p.screen_outliers, **common)
    if panel.chart == "run":
        assert panel.value is not None
        return run_chart(frame, value=panel.value, exclude=list(p.exclude), **common)
    assert panel.numerator is not None
    return attribute_chart(
        frame,
        chart=panel.chart,
        numerator=panel.numerator,  # type: ignore[arg-type]
        denominator=panel.denominator,
        target=panel.target,
        multiply=p.multiply,
        exclude=list(p.exclude),
        screen_outliers=p.screen_outliers,
        **common,
    )


def charts(report: Report, series: dict[str, pd.DataFrame]) -> dict[str, Chart]:
    """One chart per panel with the parameter file's settings (a month with no value is a gap).
    A chart that cannot be drawn stops the notebook with one paragraph naming the panel."""
    p = _spc(report)
    out: dict[str, Chart] = {}
    for panel in settings(p):
        try:
            out[panel.label] = _chart(series[panel.label], panel, p)
        except (ParameterError, ModelInputError) as error:
            chart = f"chart {panel.chart!r}"
            stop(ParameterError(f"{panel.where}, {chart}: {error}"), cell="the charts")
    return out


# -- disclosure: what a board may see ---------------------------------------------------------------


def _is_count_value(frame: pd.DataFrame, panel: PanelSettings, params: SPCParams) -> bool:
    """Whether an XmR or run chart's value is a count of people or events: a count measure of a
    monthly_series file, or a column the parameter file lists in `counts`."""
    if panel.value in params.counts:
        return True
    if "measure_type" in frame.columns and panel.value not in DERIVED:
        return bool((frame["measure_type"].astype(str) == "count").all())
    return False


def released(
    results: dict[str, Chart], series: dict[str, pd.DataFrame], params: SPCParams
) -> dict[str, Chart]:
    """Each chart as its figure, tables and results.json may show it (module docstring): values,
    numerators and denominators under the disclosure rule; NaN where suppressed."""
    rule = params.disclosure
    out: dict[str, Chart] = {}
    for panel in settings(params):
        result = results[panel.label]
        frame = result.to_frame()
        data = series[panel.label].set_index(series[panel.label][params.time].astype(str))
        if isinstance(result, ControlChartResult):
            x, n = frame["numerator"].to_numpy(float), frame["denominator"].to_numpy(float)
            if result.chart == "c":
                frame["y"] = controlled_counts(x, rule) * 1.0
            elif result.chart in ("p", "pprime"):
                frame["y"] = controlled_shares(x, n, rule, scale=result.multiply)
            else:
                frame["y"] = [_ratio(c, e, rule) * result.multiply for c, e in zip(x, n, strict=True)]
            frame["numerator"] = controlled_counts(x, rule)
            if result.chart in ("p", "pprime"):
                frame["denominator"] = controlled_counts(n, rule)
                frame["lcl"], frame["ucl"] = result.limits_at(frame["denominator"].to_numpy(float))
            out[panel.label] = replace(result, frame=_mark_hidden(frame, result))
            continue
        value = panel.value
        times = frame["x"].astype(str)
        if value in DERIVED:
            top, bottom, scale = DERIVED[value]
            x = data[top].reindex(times).to_numpy(float)
            n = data[bottom].reindex(times).to_numpy(float)
            frame["y"] = (
                controlled_shares(x, n, rule, scale=scale)
                if value != "rate"
                else [_ratio(c, e, rule) * scale for c, e in zip(x, n, strict=True)]
            )
        elif _is_count_value(series[panel.label], panel, params):
            frame["y"] = controlled_counts(frame["y"].to_numpy(float), rule)
            if isinstance(result, RunChartResult):  # a median of counts is one of them (or halfway)
                frame["cl"] = controlled_counts(np.round(frame["cl"].to_numpy(float)), rule)
        out[panel.label] = replace(result, frame=_mark_hidden(frame, result))
    return out


def _mark_hidden(frame: pd.DataFrame, exact: Chart) -> pd.DataFrame:
    """`suppressed`: True where disclosure control hid a value the data have (the figure marks
    it apart from a month with no value)."""
    frame["suppressed"] = frame["y"].isna().to_numpy() & exact.to_frame()["y"].notna().to_numpy()
    return frame


def hidden_note(shown: dict[str, Chart], params: SPCParams) -> str | None:
    """How many months disclosure control hid in each panel's figure, or None when none."""
    parts = [
        f"{int(r.to_frame()['suppressed'].sum())} of {len(r.to_frame())} months at {label}"
        for label, r in shown.items()
        if "suppressed" in r.to_frame() and r.to_frame()["suppressed"].any()
    ]
    if not parts:
        return None
    rule = params.disclosure
    return (
        f"Disclosure control hid {_and(parts)} in the charts (a count of {rule.suppress_min} to "
        f"{rule.suppress_max}, or a share of one, or with one on the other side); those months are marked "
        "on the axis, and the centre lines, limits and rules still use every month's exact value."
    )


def _ratio(count: float, exposure: float, rule: DisclosureRule) -> float:
    shown = disclose_ratio(count, exposure, rule)
    return math.nan if isinstance(shown, str) else float(shown)


# -- tables and sentences --------------------------------------------------------------------------


def _value(value: float, params: SPCParams, chart: str = "xmr") -> str:
    """A chart value as the answer prints it: `*` when disclosure control hid it; a percent with
    one decimal and a % sign; else 3 significant digits."""
    if value is None or not np.isfinite(value):
        return params.disclosure.symbol
    percent = (
        params.value == "percent"
        if chart in ("xmr", "run")
        else (chart in ("p", "pprime") and params.multiply == 100)
    )
    return f"{value:.1f}%" if percent else f"{value:.3g}"


def _last(result: Chart) -> dict[str, Any]:
    out = result.last()
    out["when"] = result.stamps.iloc[-1]
    return out


def summary_table(results: dict[str, Chart], params: SPCParams | None = None) -> pd.DataFrame:
    """One row per panel: chart, months, last value, the last group's centre and limits, icons in
    words. With `params`, values are printed as the answer and sentences print them."""

    def shown(value: float, chart: str) -> float | str:
        return value if params is None else _value(value, params, chart)

    rows = []
    for label, result in results.items():
        out = result.to_frame()
        last = _last(result)
        special = (
            (out["point_type"].notna() & (out["point_type"] != "common_cause")).sum()
            if "point_type" in out
            else int(out["runs_signal"].any())
        )
        rows.append(
            {
                "panel": label,
                "chart": CHART_NAMES.get(result.chart, "XmR chart" if result.chart == "xmr" else "run chart"),
                "months": f"{period_label(result.stamps.iloc[0])} to {period_label(last['when'])}",
                "months charted": len(out),
                "last value": shown(last["value"], result.chart),
                "centre": shown(last["centre"], result.chart),
                "lower limit": "" if np.isnan(last["lower"]) else shown(last["lower"], result.chart),
                "upper limit": "" if np.isnan(last["upper"]) else shown(last["upper"], result.chart),
                "special-cause points": int(special),
                "variation (last point)": VARIATION_WORDS.get(result.variation or "", "rules not applied"),
                "assurance": (
                    f"target {ASSURANCE_SHORT[result.assurance]}" if result.assurance else "no target"
                ),
            }
        )
    return pd.DataFrame(rows)


def summary_text(results: dict[str, Chart], params: SPCParams) -> str:
    """One sentence per panel on the last point's variation and, with a target, assurance."""
    what = params.value_label or params.value or "the value"
    lines = []
    panels = {s.label: s for s in settings(params)}
    for label, result in results.items():
        last = _last(result)
        chart = result.chart
        limits = (
            ""
            if np.isnan(last["lower"])
            else f" ({'control' if chart in CHART_NAMES else 'process'} limits "
            f"{_value(last['lower'], params, chart)} to {_value(last['upper'], params, chart)})"
        )
        centre = _centre_word(chart)
        sentence = (
            f"**{label}.** In {last['when']:%B %Y} {what} was {_value(last['value'], params, chart)} "
            f"against a {centre} of {_value(last['centre'], params, chart)}{limits}: "
            f"{VARIATION_WORDS.get(result.variation or '', 'too few points for the rules')}"
        )
        if result.assurance:
            panel = panels[label]
            target = panel.target_label or f"the target of {panel.target:g}"
            sentence += f"; against {target}, {ASSURANCE_WORDS[result.assurance]}"
        lines.append(sentence + ".")
        lines += [f"*{label}: {m}.*" for m in result.messages if "gap" in m]
    return "\n\n".join(lines)


def counts_table(series: dict[str, pd.DataFrame], params: SPCParams, months: int = 12) -> pd.DataFrame:
    """The last `months` months of each panel's count columns, one column per panel and count."""
    columns = [c for c in params.counts if all(c in f.columns for f in series.values())]
    wide = None
    for label, frame in series.items():
        part = frame[[params.time, *columns]].tail(months)
        part = part.rename(columns={c: f"{label}: {c}" for c in columns})
        wide = part if wide is None else wide.merge(part, on=params.time, how="outer")
    assert wide is not None
    return wide.rename(columns={params.time: "month"}).astype({"month": str}).reset_index(drop=True)


def figure(results: dict[str, Chart], params: SPCParams) -> Figure:
    """The MDC charts of every panel, stacked (draw the `released` copies)."""
    return plot_spc_panels(results, label=params.value_label)


def panels_table(params: SPCParams) -> pd.DataFrame:
    """The panels of the parameter file, one row each: label, rows selected, chart, columns,
    direction and target (the appendix; the parameter table names them only by count)."""
    return pd.DataFrame(
        [
            {
                "panel": s.label,
                "rows": "; ".join(f"{k} = {v}" for k, v in s.filters.items()),
                "chart": s.chart,
                "columns": s.value or " / ".join(c for c in (s.numerator, s.denominator) if c),
                "improvement direction": s.improvement_direction,
                "target": ""
                if s.target is None
                else f"{s.target:g}" + (f" ({s.target_label})" if s.target_label else ""),
            }
            for s in settings(params)
        ]
    )


def data_note(params: SPCParams) -> str:
    """The data's licence attribution, or a note that none is needed."""
    return params.attribution or "The data file carries no licence attribution."


def count_columns(table: pd.DataFrame) -> list[str]:
    """The count columns of `counts_table` (every column but the month)."""
    return [c for c in table.columns if c != "month"]


# -- board summary -----------------------------------------------------------------------------------

#: The icon letters of the board summary's table (as the figure draws them).
ICON_LETTERS = {
    "common_cause": "C",
    "improvement_high": "H",
    "improvement_low": "L",
    "concern_high": "H",
    "concern_low": "L",
    "neutral_high": "H",
    "neutral_low": "L",
    "non_random": "N",
    "consistent_pass": "P",
    "consistent_fail": "F",
    "inconsistent": "?",
}


def board(results: dict[str, Chart]) -> BoardSummary:
    """The board summary (`slp_eval.spc.board_summary`) of the panels (the `released` charts)."""
    return board_summary(results)


def board_table(summary: BoardSummary, params: SPCParams) -> pd.DataFrame:
    """The board summary as a table: measure, chart, last month, value, centre, the icons with
    their letters and words (so colour is never the only cue)."""
    frame = summary.to_frame()
    charts = {s.label: s.chart for s in settings(params)}

    def icon(key: object, words: dict[str, str]) -> str:
        if not isinstance(key, str):
            return "none" if words is ASSURANCE_SHORT else "not judged"
        return f"[{ICON_LETTERS[key]}] {words[key]}"

    return pd.DataFrame(
        {
            "measure": frame["measure"],
            "chart": frame["chart"],
            "last month": frame["last_period"],
            "last value": [
                _value(v, params, charts[m])
                for v, m in zip(frame["last_value"], frame["measure"], strict=True)
            ],
            "centre": [
                _value(v, params, charts[m]) for v, m in zip(frame["centre"], frame["measure"], strict=True)
            ],
            "variation": [icon(v, VARIATION_SHORT) for v in frame["variation"]],
            "assurance": [icon(v, ASSURANCE_SHORT) for v in frame["assurance"]],
        }
    )


def board_figure(summary: BoardSummary) -> Figure:
    """The board summary's icon table as a figure."""
    return plot_board_summary(summary)


def show_board(report: Report, shown: dict[str, Chart]) -> BoardSummary:
    """The board summary section: the icon table as a figure and as a table (words and letters),
    or, with one panel, a sentence saying the chart above is the summary."""
    p = _spc(report)
    summary = board(shown)
    if len(shown) < 2:
        report.text("One chart only: its icons above are the board summary.")
        return summary
    report.figure(
        board_figure(summary),
        "board_summary",
        caption="Board summary: the last point of every chart, its variation and assurance icons.",
    )
    report.table(board_table(summary, p), name="board_summary", caption="Board summary")
    report.text(summary.summary())
    return summary


def show_funnel(report: Report) -> FunnelResult | None:
    """The funnel section (`funnel` in the parameter file): the released funnel's figure, a
    sentence, and the table of highlighted units and units beyond the limits; or nothing."""
    p = _spc(report)
    exact = funnel_chart(report)
    if exact is None or p.funnel is None:
        report.text("No funnel plot was asked for (`funnel:` in the parameter file compares every provider).")
        return None
    shown = released_funnel(exact, p)
    report.figure(
        funnel_figure(shown, p),
        "funnel",
        caption=(
            "Funnel plot: each unit's value against its denominator, the all-units line, 95% (dashed) and "
            "99.8% "
            "limits; highlighted units named."
        ),
    )
    report.text(funnel_text(shown, p.funnel, p))
    table = funnel_table(shown, p)
    report.table(
        table,
        name="funnel",
        caption="Highlighted units and units beyond the 95% limits (counts under the disclosure rule)",
    )
    return shown


# -- funnel ------------------------------------------------------------------------------------------


def funnel_chart(report: Report) -> FunnelResult | None:
    """The funnel plot the parameter file asks for (None without a `funnel` section): every unit
    of the data file but `exclude_units`, its numerator and denominator summed over the months
    from `period_from` to `period_to`. A problem stops the notebook naming `funnel`."""
    p = _spc(report)
    f = p.funnel
    if f is None:
        return None
    try:
        frame = select_rows(report.data["data"], f.filters) if f.filters else report.data["data"]
        months = frame[p.time].astype(str)
        keep = ~frame[f.unit].astype(str).isin(f.exclude_units)
        if f.period_from:
            keep &= months >= f.period_from
        if f.period_to:
            keep &= months <= f.period_to
        frame = frame[keep]
        return funnel(
            frame,
            numerator=f.numerator,
            denominator=f.denominator,
            unit=f.unit,
            kind=f.kind,
            overdispersion=f.overdispersion,
            method=f.method,
            trim=f.trim,
            multiply=f.multiply,
            highlight=f.highlight,
        )
    except (ParameterError, ModelInputError) as error:
        stop(ParameterError(f"funnel: {error}"), cell="the funnel plot")


def released_funnel(result: FunnelResult, params: SPCParams) -> FunnelResult:
    """The funnel as a board may see it: counts under the disclosure rule, each value suppressed
    with its counts, limits at the rounded denominator, no z-scores (a z-score with its
    denominator gives the numerator back)."""
    rule = params.disclosure
    frame = result.to_frame()
    x, n = frame["numerator"].to_numpy(float), frame["denominator"].to_numpy(float)
    frame["numerator"] = controlled_counts(x, rule)
    if result.kind == "proportion":
        frame["denominator"] = controlled_counts(n, rule)
        frame["value"] = controlled_shares(x, n, rule, scale=result.multiply)
    elif result.kind == "rate":
        frame["value"] = [_ratio(c, e, rule) * result.multiply for c, e in zip(x, n, strict=True)]
    else:
        frame["value"] = [
            np.nan if isinstance(disclose_count(c, rule), str) else v
            for c, v in zip(x, frame["value"], strict=True)
        ]
    limits = result.limits(frame["denominator"].to_numpy(float))
    for column in ("ll95", "ul95", "ll998", "ul998"):
        frame[column] = limits[column].to_numpy()
    frame = frame.drop(columns=["z", "z_winsorised", "z_adjusted"])
    return replace(result, frame=frame)


def funnel_figure(result: FunnelResult, params: SPCParams) -> Figure:
    """The funnel plot of the released funnel."""
    f = params.funnel
    assert f is not None
    return plot_funnel(result, title=f.title, label=f.value_label, xlabel=f.denominator_label)


def funnel_text(result: FunnelResult, funnel_params: SPCFunnel, params: SPCParams) -> str:
    """The funnel in words: how many units, the overdispersion found, where each highlighted unit
    sits (its released value), and the units beyond the 99.8% limits."""
    frame = result.to_frame()
    adjusted = (
        f"limits widened for overdispersion ({result.overdispersion}, Spiegelhalter 2005: the "
        f"units vary {result.phi:.2g} times as much as chance alone would give)"
        if result.adjusted
        else "limits not widened (no overdispersion found)"
        if result.overdispersion != "none"
        else "limits not adjusted for overdispersion"
    )
    text = f"{len(frame)} units, {adjusted}."
    for _, row in frame[frame["highlight"]].iterrows():
        value = params.disclosure.symbol if not np.isfinite(row["value"]) else f"{row['value']:.3g}"
        text += f" **{row['unit']}**: {value}, {row['position']} limits."
    beyond = frame[frame["position"].isin(["above 99.8%", "below 99.8%"])]
    if len(beyond):
        text += (
            " Beyond the 99.8% limits: "
            + ", ".join(
                f"{u} ({p.split()[0]})" for u, p in zip(beyond["unit"], beyond["position"], strict=True)
            )
            + "."
        )
    return text


def funnel_table(result: FunnelResult, params: SPCParams) -> pd.DataFrame:
    """The highlighted units and every unit beyond the 95% limits: value, limits, position."""
    frame = result.to_frame()
    rows = frame[frame["highlight"] | (frame["position"] != "within 95%")]
    symbol = params.disclosure.symbol

    def shown(values: pd.Series, fmt: str) -> list[str]:
        return [symbol if not np.isfinite(v) else format(v, fmt) for v in values.astype(float)]

    return pd.DataFrame(
        {
            "unit": rows["unit"],
            "numerator": shown(rows["numerator"], ".0f"),
            "denominator": shown(rows["denominator"], ".0f" if result.kind != "ratio" else ".3g"),
            "value": shown(rows["value"], ".3g"),
            "95% limits": [f"{a:.3g} to {b:.3g}" for a, b in zip(rows["ll95"], rows["ul95"], strict=True)],
            "99.8% limits": [
                f"{a:.3g} to {b:.3g}" for a, b in zip(rows["ll998"], rows["ul998"], strict=True)
            ],
            "position": rows["position"],
        }
    ).reset_index(drop=True)


# -- methods, limitations, answer ---------------------------------------------------------------------


def methods_text(params: SPCParams) -> str:
    """The charts and the MDC rules, as applied here."""
    screen = (
        "moving ranges at or above 3.267 times their mean are screened out before the limits are set "
        "(as NHSRplotthedots does)"
        if params.screen_outliers
        else "every moving range is kept (as the MDC Excel tool does)"
    )
    rebase = (
        f" Limits are recalculated from {', '.join(params.rebase)}"
        + (f" ({'; '.join(params.rebase_labels)})" if params.rebase_labels else "")
        + ": each period has its own centre line and limits."
        if params.rebase
        else ""
    )
    kinds = {s.chart for s in settings(params)}
    parts = []
    if "xmr" in kinds:
        parts.append(
            "An XmR (individuals) chart in NHS England's *Making Data Count* style is computed as "
            "NHSRplotthedots "
            "0.2.2 computes it (`slp_eval.spc.spc`): the centre line is the mean; the process limits are "
            "the mean "
            f"± {LIMIT} × the mean moving range; {screen}."
        )
    if kinds & {"p", "pprime", "u", "uprime", "c"}:
        parts.append(
            "p charts (shares), u charts (rates) and c charts (counts) are computed as qicharts2 0.8 "
            "computes "
            "them (`slp_eval.spc.attribute_chart`): the centre line is the total numerator over the total "
            "denominator, and the control limits are 3 binomial (p) or Poisson (u, c) standard errors at "
            "each "
            "month's denominator, so they are wider in months with fewer people. The p′ and u′ charts (Laney "
            "2002) widen or narrow those limits by the month-to-month variation actually seen, for large "
            "denominators whose binomial or Poisson limits would flag nearly every month."
        )
    if "run" in kinds:
        parts.append(
            "A run chart plots the series against its median and applies Anhoej's rules (as qicharts2): a "
            "run of points on one side of the median longer than round(log2(n)) + 3, or fewer crossings of "
            "the median than the 5% point of a binomial distribution, signals non-random variation."
        )
    text = " ".join(parts) + rebase
    text += (
        " A point shows special cause variation when it lies beyond a limit, is one of 7 or more consecutive "
        "points on one side of the centre line, is one of 7 consecutive points each higher (or each lower) "
        "than "
        "the last, or is one of 2 of 3 consecutive points close to a limit (beyond two thirds of the way "
        "from the "
        "centre to it) on one side. Orange points are special causes of concern, blue of improvement; grey "
        "points are common cause. The icons describe the last point (variation) and, with a target, "
        "whether the "
        "limits lie on one side of it (assurance). A month with no value (suppressed at source or not "
        "reported) is a gap: marked with an x on the axis and left out of the limits and the rules."
    )
    if params.funnel is not None:
        text += (
            " The funnel plot places each unit's value against its denominator with 95% and 99.8% limits "
            "around the all-units value (Spiegelhalter 2005); where the units vary more than chance allows "
            "(overdispersion), the limits are widened by a between-unit variance estimated from Winsorised "
            "z-scores, as NHS-R's FunnelPlotR does (`slp_eval.spc.funnel`)."
        )
    return text


#: Which limitation the answer box names as the main caveat, most important first: a chart's own
#: warning (e.g. too few points for the rules, a gap), limits from fewer points than MDC guidance
#: trusts, the data's own caveats from the parameter file, months hidden by disclosure control,
#: then chart assumptions (a share's
#: varying denominator on an XmR chart; limits beyond what a percentage can be; independent,
#: non-seasonal months).
CAVEAT_PRIORITY = ("chart", "short", "source", "disclosure", "share", "range", "independence")
#: The values a percent or a share can take: process limits beyond them are said in words.
POSSIBLE_RANGE = {"percent": (0.0, 100.0), "share": (0.0, 1.0)}


def _ranked_limitations(params: SPCParams, results: dict[str, Chart]) -> list[tuple[str, str]]:
    items = [("source", note) for note in params.source_notes]
    hidden = hidden_note(results, params)
    if hidden:
        items.append(("disclosure", hidden))
    for label, result in results.items():
        items += [("chart", f"{label}: {message}.") for message in result.messages]
    shortest = min(int(r.to_frame()["rebase_group"].value_counts().min()) for r in results.values())
    if shortest < TRUSTED_POINTS:
        items.append(
            (
                "short",
                f"MDC guidance asks for about {TRUSTED_POINTS} points before limits are trusted; the "
                "shortest "
                f"period charted here has {shortest}.",
            )
        )
    panels = settings(params)
    if any(s.chart == "xmr" and s.value in ("share", "percent") for s in panels):
        items.append(
            (
                "share",
                "An XmR chart treats every month alike; months with few people have a noisier share, which "
                "a p "
                "or p′ (Laney) chart (`chart: p` or `pprime`) weights by the denominator.",
            )
        )
    beyond = []
    for s in panels:
        if s.chart != "xmr" or s.value not in POSSIBLE_RANGE:
            continue
        low, high = POSSIBLE_RANGE[s.value]
        last = results[s.label].last()
        if last["upper"] > high:
            beyond.append(
                f"{s.label}'s upper limit ({_value(last['upper'], params)}) lies above {_value(high, params)}"
            )
        if last["lower"] < low:
            beyond.append(
                f"{s.label}'s lower limit ({_value(last['lower'], params)}) lies below {_value(low, params)}"
            )
    if beyond:
        items.append(
            (
                "range",
                "Process limits beyond what the value can be: " + "; ".join(beyond) + ". The limits "
                "are computed as NHSRplotthedots computes them (mean plus or minus 2.66 moving "
                "ranges, no cap); a limit beyond the possible range means the variation is so wide "
                "that no value on that side would be a special cause by rule 1.",
            )
        )
    items.append(
        (
            "independence",
            "The limits assume months are independent and the process stable within each period; "
            "autocorrelation "
            "or seasonality produces runs and trends that are not special causes.",
        )
    )
    return items


def limitations(params: SPCParams, results: dict[str, Chart]) -> list[str]:
    """What limits these charts: the data's own caveats, short series, gaps, chart assumptions."""
    return [text for _, text in _ranked_limitations(params, results)]


def main_caveat(params: SPCParams, results: dict[str, Chart]) -> str:
    """The limitation the answer box names: the first in `CAVEAT_PRIORITY` order."""
    ranked = _ranked_limitations(params, results)
    return min(ranked, key=lambda item: CAVEAT_PRIORITY.index(item[0]))[1]


#: The variation icon in a few words, for the answer box.
VARIATION_SHORT = {
    "common_cause": "common cause variation only (no signal)",
    "improvement_high": "special cause improvement (high)",
    "improvement_low": "special cause improvement (low)",
    "concern_high": "special cause concern (high)",
    "concern_low": "special cause concern (low)",
    "neutral_high": "special cause variation, neither better nor worse (high)",
    "neutral_low": "special cause variation, neither better nor worse (low)",
    "non_random": "non-random variation earlier in the series (run chart), none at the last point",
}
#: The assurance icon in a few words, for the answer box.
ASSURANCE_SHORT = {
    "consistent_pass": "will be met every month",
    "consistent_fail": "will be missed every month",
    "inconsistent": "will be met or missed by chance",
}


def _grouped(words: dict[str, str]) -> str:
    """ "words A at panel 1 and panel 2; words B at panel 3" (panels in chart order)."""
    by_words: dict[str, list[str]] = {}
    for label, text in words.items():
        by_words.setdefault(text, []).append(label)
    return "; ".join(f"{text} at {_and(labels)}" for text, labels in by_words.items())


def _and(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def answer(results: dict[str, Chart], params: SPCParams) -> dict[str, str]:
    """`Report.answer` arguments: the last point of each panel in MDC words (the variation icon and,
    with a target, the assurance icon; panels with the same icon named together), each panel's last
    value against its centre line and limits (the `released` values), and the main caveat."""
    lasts = {label: _last(r) for label, r in results.items()}
    months = sorted({f"{last['when']:%B %Y}" for last in lasts.values()})
    when = f"In {months[0]}" if len(months) == 1 else "At each chart's last point"
    verdict = f"{when}: " + _grouped(
        {
            label: VARIATION_SHORT.get(r.variation or "", "too few points for the MDC rules")
            for label, r in results.items()
        }
    )
    assured = {label: ASSURANCE_SHORT[r.assurance] for label, r in results.items() if r.assurance}
    targets = {
        s.target_label or (None if s.target is None else f"the target of {s.target:g}")
        for s in settings(params)
    } - {None}
    if assured:
        target = next(iter(targets)) if len(targets) == 1 else "each panel's target"
        verdict += f". {_capital(str(target))} " + _grouped(assured).replace("; ", "; it ")
    elif not targets:
        verdict += " (no target set, so no assurance icon)"
    charts = {s.label: s.chart for s in settings(params)}

    def describe(label: str, last: dict[str, Any]) -> str:
        chart = charts[label]
        text = (
            f"{label}: {_value(last['value'], params, chart)} ({_centre_word(chart)} "
            f"{_value(last['centre'], params, chart)}"
        )
        if not np.isnan(last["lower"]):
            text += (
                f", {'process' if chart == 'xmr' else 'control'} limits "
                f"{_value(last['lower'], params, chart)} "
                f"to {_value(last['upper'], params, chart)}"
            )
        return text + ")"

    effect = "; ".join(describe(label, last) for label, last in lasts.items())
    return {
        "verdict": verdict + ".",
        "effect": f"Last value: {effect}.",
        "caveat": main_caveat(params, results),
    }


def _centre_word(chart: str) -> str:
    """What a chart's centre line is: the median (run chart), the mean (XmR) or the centre line."""
    return "median" if chart == "run" else "mean" if chart == "xmr" else "centre line"


def _capital(text: str) -> str:
    return text[:1].upper() + text[1:]


def results_block(results: dict[str, Chart]) -> dict[str, Any]:
    """The `spc` block of results.json (from the `released` charts): per panel the chart, icons,
    messages, every point's chart columns (times as YYYY-MM) and each group's summary."""
    return {
        label: {
            "chart": r.chart,
            "variation": r.variation,
            "assurance": r.assurance,
            "messages": list(r.messages),
            "points": r.to_frame().assign(x=[period_label(s) for s in r.stamps]),
            "groups": r.summary_frame(),
        }
        for label, r in results.items()
    }


def board_block(summary: BoardSummary) -> list[dict[str, Any]]:
    """The `spc_board_summary` block of results.json: one record per measure."""
    return summary.to_frame().to_dict(orient="records")


def funnel_block(result: FunnelResult | None) -> dict[str, Any] | None:
    """The `spc_funnel` block of results.json (the released funnel), or None without one."""
    if result is None:
        return None
    return {
        "kind": result.kind,
        "overdispersion": result.overdispersion,
        "adjusted": result.adjusted,
        "phi": result.phi,
        "tau2": result.tau2,
        "centre": result.centre,
        "units": result.to_frame(),
    }


__all__ = [
    "ASSURANCE_SHORT",
    "ASSURANCE_WORDS",
    "CAVEAT_PRIORITY",
    "ICON_LETTERS",
    "VARIATION_SHORT",
    "VARIATION_WORDS",
    "PanelSettings",
    "answer",
    "board",
    "board_block",
    "board_figure",
    "board_table",
    "charts",
    "count_columns",
    "counts_table",
    "data_note",
    "figure",
    "funnel_block",
    "funnel_chart",
    "funnel_figure",
    "funnel_table",
    "funnel_text",
    "hidden_note",
    "limitations",
    "main_caveat",
    "methods_text",
    "panel_series",
    "panels_table",
    "released",
    "released_funnel",
    "results_block",
    "settings",
    "show_board",
    "show_funnel",
    "summary_table",
    "summary_text",
]
