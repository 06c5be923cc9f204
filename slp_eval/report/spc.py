"""What the SPC notebook shows: the answer (each panel's variation and assurance icons in words,
the last point against its mean and limits, the main caveat), one MDC chart per panel, a summary
of each chart's last point, the monthly counts through the disclosure rule, the methods in MDC
terms, and the limitations of an XmR chart on these data."""

from typing import Any

import pandas as pd
from matplotlib.figure import Figure

from slp_eval.params.spc import SPCParams
from slp_eval.plots.spc import plot_spc_panels
from slp_eval.report.session import Report
from slp_eval.series import prepare_series
from slp_eval.spc import LIMIT, SPCResult, spc

#: Points per period before MDC guidance trusts the limits (fewer: limits may move as data come).
TRUSTED_POINTS = 20

VARIATION_WORDS = {
    "common_cause": "common cause variation only",
    "improvement_high": "special cause variation: improvement (high)",
    "improvement_low": "special cause variation: improvement (low)",
    "concern_high": "special cause variation: concern (high)",
    "concern_low": "special cause variation: concern (low)",
    "neutral_high": "special cause variation, neither better nor worse (high)",
    "neutral_low": "special cause variation, neither better nor worse (low)",
}
ASSURANCE_WORDS = {
    "consistent_pass": "the limits lie on the right side of the target: it will be met every month",
    "consistent_fail": "the limits lie on the wrong side of the target: it will be missed every month",
    "inconsistent": "the target lies inside the process limits: it will be met or missed by chance",
}


def _spc(report: Report) -> SPCParams:
    params = report.params
    assert isinstance(params, SPCParams)
    return params


def panel_series(report: Report) -> dict[str, pd.DataFrame]:
    """Each panel's rows (common filters plus the panel's), the value derived, sorted by time."""
    p = _spc(report)
    return {
        panel.label: prepare_series(
            report.data["data"], outcome=p.value, time=p.time, filters={**p.filters, **panel.filters}
        )
        for panel in p.panels
    }


def charts(report: Report, series: dict[str, pd.DataFrame]) -> dict[str, SPCResult]:
    """One `slp_eval.spc.spc` chart per panel, with the parameter file's settings."""
    p = _spc(report)
    return {
        label: spc(
            frame,
            value=p.value,
            time=p.time,
            improvement_direction=p.improvement_direction,
            target=p.target,
            rebase=list(p.rebase),
            fix_after_n_points=p.fix_after_n_points,
            screen_outliers=p.screen_outliers,
        )
        for label, frame in series.items()
    }


def summary_table(results: dict[str, SPCResult], params: SPCParams | None = None) -> pd.DataFrame:
    """One row per panel: months, last value, the last group's mean and limits, icons in words.
    With `params`, values are printed as the answer and sentences print them (a percent to one
    decimal with its % sign)."""
    def shown(value: float) -> float | str:
        return value if params is None else _value(value, params)

    rows = []
    for label, result in results.items():
        out = result.to_frame()
        last = out.iloc[-1]
        special = out["point_type"].notna() & (out["point_type"] != "common_cause")
        rows.append(
            {
                "panel": label,
                "months": f"{out['x'].iloc[0]:%Y-%m} to {last['x']:%Y-%m}",
                "points": len(out),
                "last value": shown(last["y"]),
                "mean": shown(last["mean"]),
                "lower limit": shown(last["lpl"]),
                "upper limit": shown(last["upl"]),
                "special-cause points": int(special.sum()),
                "variation (last point)": VARIATION_WORDS.get(result.variation or "", "rules not applied"),
                "assurance": (f"target {ASSURANCE_SHORT[result.assurance]}" if result.assurance
                              else "no target"),
            }
        )
    return pd.DataFrame(rows)


def summary_text(results: dict[str, SPCResult], params: SPCParams) -> str:
    """One sentence per panel on the last point's variation and, with a target, assurance."""
    what = params.value_label or params.value
    lines = []
    for label, result in results.items():
        last = result.to_frame().iloc[-1]
        sentence = (
            f"**{label}.** In {last['x']:%B %Y} {what} was {_value(last['y'], params)} against a mean of "
            f"{_value(last['mean'], params)} (process limits {_value(last['lpl'], params)} to "
            f"{_value(last['upl'], params)}): "
            f"{VARIATION_WORDS.get(result.variation or '', 'too few points for the rules')}"
        )
        if result.assurance:
            target = params.target_label or f"the target of {params.target:g}"
            sentence += f"; against {target}, {ASSURANCE_WORDS[result.assurance]}"
        lines.append(sentence + ".")
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


def figure(results: dict[str, SPCResult], params: SPCParams) -> Figure:
    """The MDC charts of every panel, stacked."""
    return plot_spc_panels(results, label=params.value_label)


def data_note(params: SPCParams) -> str:
    """The data's licence attribution, or a note that none is needed."""
    return params.attribution or "The data file carries no licence attribution."


def count_columns(table: pd.DataFrame) -> list[str]:
    """The count columns of `counts_table` (every column but the month)."""
    return [c for c in table.columns if c != "month"]


def methods_text(params: SPCParams) -> str:
    """The XmR chart and the MDC rules, as applied here."""
    screen = (
        "moving ranges at or above 3.267 times their mean are screened out before the limits are set "
        "(as NHSRplotthedots does)"
        if params.screen_outliers
        else "every moving range is kept (as the MDC Excel tool does)"
    )
    rebase = (
        f" Limits are recalculated from {', '.join(params.rebase)}"
        + (f" ({'; '.join(params.rebase_labels)})" if params.rebase_labels else "")
        + ": each period has its own mean and limits."
        if params.rebase
        else ""
    )
    return (
        "Each panel is an XmR (individuals) chart in NHS England's *Making Data Count* style, computed as "
        "NHSRplotthedots 0.2.2 computes it (`slp_eval.spc`). The centre line is the mean; the process limits "
        f"are the mean ± {LIMIT} × the mean moving range; {screen}.{rebase} A point shows special cause "
        "variation when it lies beyond a limit, is one of 7 or more consecutive points on one side of the "
        "mean, is one of 7 consecutive points each higher (or each lower) than the last, or is one of 2 of 3 "
        "consecutive points close to a limit (beyond two thirds of the way from the mean to it) on one side "
        "of the mean. Orange points are special causes of concern, blue of improvement "
        f"(improvement direction: {params.improvement_direction}); grey points are common cause. The icons "
        "describe the last point (variation) and, with a target, whether the limits lie on one side of it "
        "(assurance)."
    )


#: Which limitation the answer box names as the main caveat, most important first: a chart's own
#: warning (e.g. too few points for the rules), limits from fewer points than MDC guidance trusts,
#: the data's own caveats from the parameter file, then XmR assumptions (a share's varying
#: denominator; limits beyond what a percentage can be; independent, non-seasonal months).
CAVEAT_PRIORITY = ("chart", "short", "source", "share", "range", "independence")
#: The values a percent or a share can take: process limits beyond them are said in words.
POSSIBLE_RANGE = {"percent": (0.0, 100.0), "share": (0.0, 1.0)}


def _ranked_limitations(params: SPCParams, results: dict[str, SPCResult]) -> list[tuple[str, str]]:
    items = [("source", note) for note in params.source_notes]
    for label, result in results.items():
        items += [("chart", f"{label}: {message}.") for message in result.messages]
    shortest = min(int(r.to_frame()["rebase_group"].value_counts().min()) for r in results.values())
    if shortest < TRUSTED_POINTS:
        items.append(("short",
            f"MDC guidance asks for about {TRUSTED_POINTS} points before limits are trusted; the shortest "
            f"period charted here has {shortest}."
        ))
    if params.value in ("share", "percent"):
        items.append(("share",
            "An XmR chart treats every month alike; months with few people starting have a noisier share, "
            "which a p′ (Laney) chart would weight by the denominator."
        ))
    if params.value in POSSIBLE_RANGE:
        low, high = POSSIBLE_RANGE[params.value]
        beyond = []
        for label, result in results.items():
            last = result.to_frame().iloc[-1]
            if last["upl"] > high:
                beyond.append(f"{label}'s upper limit ({_value(last['upl'], params)}) lies above "
                              f"{_value(high, params)}")
            if last["lpl"] < low:
                beyond.append(f"{label}'s lower limit ({_value(last['lpl'], params)}) lies below "
                              f"{_value(low, params)}")
        if beyond:
            items.append(("range",
                "Process limits beyond what the value can be: " + "; ".join(beyond) + ". The limits "
                "are computed as NHSRplotthedots computes them (mean plus or minus 2.66 moving "
                "ranges, no cap); a limit beyond the possible range means the variation is so wide "
                "that no value on that side would be a special cause by rule 1."
            ))
    items.append(("independence",
        "The limits assume months are independent and the process stable within each period; autocorrelation "
        "or seasonality produces runs and trends that are not special causes."
    ))
    return items


def limitations(params: SPCParams, results: dict[str, SPCResult]) -> list[str]:
    """What limits these charts: the data's own caveats, short series, and XmR assumptions."""
    return [text for _, text in _ranked_limitations(params, results)]


def main_caveat(params: SPCParams, results: dict[str, SPCResult]) -> str:
    """The limitation the answer box names: the first in `CAVEAT_PRIORITY` order."""
    ranked = _ranked_limitations(params, results)
    return min(ranked, key=lambda item: CAVEAT_PRIORITY.index(item[0]))[1]


def _value(value: float, params: SPCParams) -> str:
    """A chart value as the answer prints it: a percent with one decimal and a % sign, else 3
    significant digits."""
    return f"{value:.1f}%" if params.value == "percent" else f"{value:.3g}"


#: The variation icon in a few words, for the answer box.
VARIATION_SHORT = {
    "common_cause": "common cause variation only (no signal)",
    "improvement_high": "special cause improvement (high)",
    "improvement_low": "special cause improvement (low)",
    "concern_high": "special cause concern (high)",
    "concern_low": "special cause concern (low)",
    "neutral_high": "special cause variation, neither better nor worse (high)",
    "neutral_low": "special cause variation, neither better nor worse (low)",
}
#: The assurance icon in a few words, for the answer box.
ASSURANCE_SHORT = {
    "consistent_pass": "will be met every month",
    "consistent_fail": "will be missed every month",
    "inconsistent": "will be met or missed by chance",
}


def _grouped(words: dict[str, str]) -> str:
    """"words A at panel 1 and panel 2; words B at panel 3" (panels in chart order)."""
    by_words: dict[str, list[str]] = {}
    for label, text in words.items():
        by_words.setdefault(text, []).append(label)
    return "; ".join(f"{text} at {_and(labels)}" for text, labels in by_words.items())


def _and(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def answer(results: dict[str, SPCResult], params: SPCParams) -> dict[str, str]:
    """`Report.answer` arguments: the last point of each panel in MDC words (the variation icon and,
    with a target, the assurance icon; panels with the same icon named together), each panel's last
    value against its mean and process limits, and the main caveat (`CAVEAT_PRIORITY`)."""
    lasts = {label: r.to_frame().iloc[-1] for label, r in results.items()}
    months = sorted({f"{last['x']:%B %Y}" for last in lasts.values()})
    when = f"In {months[0]}" if len(months) == 1 else "At each chart's last point"
    verdict = f"{when}: " + _grouped({
        label: VARIATION_SHORT.get(r.variation or "", "too few points for the MDC rules")
        for label, r in results.items()})
    assured = {label: ASSURANCE_SHORT[r.assurance] for label, r in results.items() if r.assurance}
    if assured:
        target = params.target_label or f"the target of {params.target:g}"
        verdict += f". {_capital(target)} " + _grouped(assured).replace("; ", "; it ")
    elif params.target is None:
        verdict += " (no target set, so no assurance icon)"
    effect = "; ".join(
        f"{label}: {_value(last['y'], params)} (mean {_value(last['mean'], params)}, process limits "
        f"{_value(last['lpl'], params)} to {_value(last['upl'], params)})" for label, last in lasts.items())
    return {"verdict": verdict + ".", "effect": f"Last value: {effect}.",
            "caveat": main_caveat(params, results)}


def _capital(text: str) -> str:
    return text[:1].upper() + text[1:]


def results_block(results: dict[str, SPCResult]) -> dict[str, Any]:
    """The `spc` block of results.json: per panel, the icons and every point's chart columns."""
    return {
        label: {
            "variation": r.variation,
            "assurance": r.assurance,
            "messages": list(r.messages),
            "points": r.to_frame().assign(x=lambda f: f["x"].dt.strftime("%Y-%m")),
        }
        for label, r in results.items()
    }


__all__ = [
    "ASSURANCE_SHORT",
    "ASSURANCE_WORDS",
    "CAVEAT_PRIORITY",
    "VARIATION_SHORT",
    "VARIATION_WORDS",
    "answer",
    "charts",
    "count_columns",
    "counts_table",
    "data_note",
    "figure",
    "limitations",
    "main_caveat",
    "methods_text",
    "panel_series",
    "results_block",
    "summary_table",
    "summary_text",
]
