"""Dataset-level rules of the dictionary (across columns or rows), which pandera column checks
cannot express with a row-level message. Each rule returns failure records."""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd

from slp_eval.data.dictionary import DataDictionary, Rule
from slp_eval.data.read import Failure, failure
from slp_eval.errors import ParameterError


def _show(value: object) -> str:
    if isinstance(value, pd.Timestamp):
        return value.strftime("%Y-%m-%d")
    if isinstance(value, float) and value.is_integer():
        return f"{value:g}"
    return str(value)


def _rows(mask: pd.Series) -> list[int]:
    return [int(i) for i in mask[mask.fillna(False)].index]


def end_not_before_start(frame: pd.DataFrame, rule: Rule, _: DataDictionary) -> list[Failure]:
    """`end` is empty or on/after `start`."""
    start, end = rule.params["start"], rule.params["end"]
    mask = frame[end] < frame[start]
    return [
        failure(f"{end} is before {start} ({_show(frame.at[i, start])})", i + 1, end, _show(frame.at[i, end]))
        for i in _rows(mask)
    ]


def flag_matches_vocabulary(frame: pd.DataFrame, rule: Rule, d: DataDictionary) -> list[Failure]:
    """A boolean `flag` is true exactly when `column` holds a code of `vocabulary`."""
    flag, column, vocab = rule.params["flag"], rule.params["column"], rule.params["vocabulary"]
    member = frame[column].isin(d.vocabularies[vocab].codes)
    mask = frame[flag].notna() & frame[column].notna() & (frame[flag] != member)
    out = []
    for i in _rows(mask):
        code = frame.at[i, column]
        said = "true" if frame.at[i, flag] else "false"
        why = "is not" if frame.at[i, flag] else "is"
        out.append(
            failure(f"{flag} is {said} but {column} {code} {why} in vocabulary {vocab!r}", i + 1, flag, said)
        )
    return out


def numerator_not_above_denominator(frame: pd.DataFrame, rule: Rule, _: DataDictionary) -> list[Failure]:
    """`numerator` <= `denominator` on the rows selected by `when` (column: value)."""
    num, den = rule.params["numerator"], rule.params["denominator"]
    selected = pd.Series(True, index=frame.index)
    for column, value in rule.params.get("when", {}).items():
        selected &= frame[column] == value
    mask = selected & (frame[num] > frame[den])
    return [
        failure(f"{num} is above {den} ({_show(frame.at[i, den])})", i + 1, num, _show(frame.at[i, num]))
        for i in _rows(mask)
    ]


def score_within_vocabulary_range(frame: pd.DataFrame, rule: Rule, d: DataDictionary) -> list[Failure]:
    """`score` lies within the min/max that `vocabulary` gives the code in `column`."""
    score, column, vocab = rule.params["score"], rule.params["column"], rule.params["vocabulary"]
    out = []
    for entry in d.vocabularies[vocab].values:
        low, high = entry.model_extra["min"], entry.model_extra["max"]
        mask = (frame[column] == entry.code) & ((frame[score] < low) | (frame[score] > high))
        out += [
            failure(
                f"outside the range of {entry.code} ({low}-{high})", i + 1, score, _show(frame.at[i, score])
            )
            for i in _rows(mask)
        ]
    return out


def complete_monthly_series(frame: pd.DataFrame, rule: Rule, _: DataDictionary) -> list[Failure]:
    """Each series (one per combination of `keys`) has one row per month, without gaps."""
    period, keys = rule.params["period"], list(rule.params["keys"])
    usable = frame.dropna(subset=[period, *keys])
    ordered = usable.assign(_row=usable.index + 1, _m=usable[period].map(lambda p: p.ordinal))
    ordered = ordered.sort_values([*keys, "_m", "_row"], kind="stable")
    out: list[Failure] = []
    for key, series in ordered.groupby(keys, sort=False):
        label = ", ".join(f"{k}={v}" for k, v in zip(keys, key, strict=True))
        months, rows = series["_m"].tolist(), series["_row"].tolist()
        for j in range(1, len(months)):
            step = months[j] - months[j - 1]
            shown = str(series[period].iloc[j])
            if step == 0:
                rule_text = f"duplicate month in the series {label} (also row {rows[j - 1]})"
                out.append(failure(rule_text, rows[j], period, shown))
            elif step > 1:
                first = pd.Period(ordinal=months[j - 1] + 1, freq="M")
                last = pd.Period(ordinal=months[j] - 1, freq="M")
                missing = str(first) if first == last else f"{first} to {last}"
                rule_text = (
                    f"gap in the series {label}: {missing} missing (previous month in row {rows[j - 1]})"
                )
                out.append(failure(rule_text, rows[j], period, shown))
    return out


RULES: dict[str, Callable[[pd.DataFrame, Rule, DataDictionary], list[Failure]]] = {
    "end_not_before_start": end_not_before_start,
    "flag_matches_vocabulary": flag_matches_vocabulary,
    "numerator_not_above_denominator": numerator_not_above_denominator,
    "score_within_vocabulary_range": score_within_vocabulary_range,
    "complete_monthly_series": complete_monthly_series,
}


def _columns(rule: Rule) -> list[str]:
    """The columns a rule reads."""
    names: list[str] = []
    for key, value in rule.params.items():
        if key in ("vocabulary",):
            continue
        if key == "when":
            names += list(value)
        elif isinstance(value, list):
            names += value
        else:
            names.append(value)
    return names


def apply_rules(frame: pd.DataFrame, rules: tuple[Rule, ...], d: DataDictionary) -> list[Failure]:
    """Run every rule whose columns are all present; unknown rule names are a dictionary error."""
    out: list[Failure] = []
    for rule in rules:
        if rule.rule not in RULES:
            raise ParameterError(f"data dictionary: unknown rule {rule.rule!r} (known: {', '.join(RULES)})")
        if all(c in frame.columns for c in _columns(rule)):
            out += RULES[rule.rule](frame, rule, d)
    return out
