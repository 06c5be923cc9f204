"""Data-quality profile of one file against its data-dictionary dataset.

Reads the file the same way `slp_eval.data.validate_file` does (so a cell that fails to parse
counts as invalid, not as a silent NaN) and tabulates: completeness of every field, records and
complete records by month, invalid values by column and rule, and coverage of a coded column
(e.g. the 12 south London boroughs) including codes with no record at all.
"""

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from slp_eval.data import DataDictionary, ValidationReport, read_dictionary, validate_file
from slp_eval.data.parse import parse_column
from slp_eval.data.read import read_raw
from slp_eval.disclosure import (
    DisclosureRule,
    apply_disclosure,
    controlled_counts,
    controlled_shares,
    disclose_count,
    disclose_share,
)
from slp_eval.errors import ParameterError


@dataclass(frozen=True)
class QualityProfile:
    """Tidy frames of a data-quality profile; counts are raw (disclosure is the report's job)."""

    path: Path
    dataset: str
    rows: int
    fields: pd.DataFrame  # column, type, required, identifies_person, missing, invalid, percent_complete
    by_month: pd.DataFrame  # month, records, complete_records, percent_complete
    invalid: pd.DataFrame  # column, rule, cells, first_row
    coverage: pd.DataFrame  # code, label, records, percent
    coverage_column: str | None
    date_column: str | None
    suppressed: dict[str, int] = field(default_factory=dict)  # cells suppressed at source, by column

    @property
    def ok(self) -> bool:
        """True when no value breaks the dictionary."""
        return self.invalid.empty

    def by_year(self, rule: DisclosureRule | None = None) -> pd.DataFrame:
        """Records, complete and incomplete records by calendar year (the by-month table summed;
        incomplete is shown so that, as a count of its own, a small one is protected). Under
        `rule` a percentage that would give a suppressed count (complete or incomplete) back is
        the rule's symbol (the counts themselves are controlled by the report's table)."""
        if self.by_month.empty:
            return pd.DataFrame(columns=["year", "records", "complete_records", "incomplete_records",
                                         "percent_complete"])
        years = self.by_month.assign(year=[str(m.year) for m in self.by_month["month"]])
        out = years.groupby("year", as_index=False)[["records", "complete_records"]].sum()
        out["incomplete_records"] = out["records"] - out["complete_records"]
        out["percent_complete"] = [disclose_share(c, r, rule) if r else np.nan
                                   for c, r in zip(out["complete_records"], out["records"], strict=True)]
        return out

    def to_frame(self, rule: DisclosureRule | None = None) -> pd.DataFrame:
        """Per-field completeness (the headline table); under `rule` as `by_year`."""
        out = self.fields.copy()
        if rule is not None and self.rows:
            out["percent_complete"] = [disclose_share(self.rows - m, self.rows, rule) for m in out["missing"]]
        return out

    def coverage_table(self, rule: DisclosureRule | None = None) -> pd.DataFrame:
        """Records by code of the coverage column; under `rule` as `by_year`."""
        out = self.coverage.copy()
        if rule is not None and self.rows:
            out["percent"] = [disclose_share(r, self.rows, rule) for r in out["records"]]
        return out

    def summary(self, rule: DisclosureRule | None = None) -> str:
        """One paragraph on completeness, invalid values and coverage (counts under `rule`)."""
        required = self.fields[self.fields["required"]]
        worst = required.sort_values(["percent_complete", "column"]).iloc[0] if len(required) else None
        text = [f"The file has {_count(self.rows, rule)} records."]
        if worst is not None and worst["percent_complete"] == 100.0:
            text.append("Every required field is present in every record.")
        elif worst is not None:
            text.append(
                f"The least complete required field is `{worst['column']}` "
                f"({_percent(self.rows - worst['missing'], self.rows, rule)} of records)."
            )
        cells = int(self.invalid["cells"].sum()) if len(self.invalid) else 0
        text.append(
            "Every value conforms to the data dictionary."
            if cells == 0
            else f"{_count(cells, rule)} value{'s' if cells != 1 else ''} in "
            f"{self.invalid['column'].nunique()} column(s) break the data dictionary."
        )
        hidden = sum(self.suppressed.values())
        if hidden:
            text.append(f"{_count(hidden, rule)} cells suppressed at source (in "
                        f"{', '.join(f'`{c}`' for c in self.suppressed)}): read as missing, not imputed.")
        if self.coverage_column is not None:
            missing = self.coverage[self.coverage["records"] == 0]
            text.append(
                f"Coverage by `{self.coverage_column}`: {int((self.coverage['records'] > 0).sum())} of "
                f"{len(self.coverage)} codes have records"
                + (f" (none for {', '.join(missing['label'])})." if len(missing) else ".")
            )
        return " ".join(text)

    def plot(self, rule: DisclosureRule | None = None) -> Figure:
        """Records per month (bars) with the percentage of complete records (line).

        Under `rule` the bars are the controlled counts (rounded; a suppressed month has no bar and
        an x on the axis, never its value) and the percentage is left out wherever it would give a
        suppressed count back."""
        fig, ax = plt.subplots(figsize=(7.5, 3.6), layout="constrained")
        months = self.by_month["month"].astype(str)
        records = controlled_counts(self.by_month["records"].to_numpy(float), rule)
        percent = controlled_shares(self.by_month["complete_records"], self.by_month["records"], rule, 100.0)
        ax.bar(range(len(months)), np.nan_to_num(records), color="#4c72b0", width=0.9, label="records")
        hidden = np.isnan(records)
        if hidden.any():
            ax.plot(np.flatnonzero(hidden), np.full(int(hidden.sum()), 0.02), linestyle="none", marker="x",
                    color="#b00020", transform=ax.get_xaxis_transform(), label="suppressed")
        ax.set_ylabel("Records")
        ax.set_xlabel("Month" + (f" of {self.date_column}" if self.date_column else ""))
        step = max(1, len(months) // 10)
        ax.set_xticks(range(0, len(months), step), months.iloc[::step], rotation=45, ha="right")
        twin = ax.twinx()
        twin.plot(range(len(months)), percent, color="#c44e52",
                  label="% complete")
        twin.set_ylim(0, 105)
        twin.set_ylabel("% of records complete", color="#c44e52")
        ax.set_title("Records and completeness by month")
        return fig

    def to_dict(self, rule: DisclosureRule | None = None) -> dict[str, Any]:
        """JSON-ready block for results.json; under `rule` every count is controlled and every
        percentage that would give a suppressed count back is suppressed, with the same control
        (secondary suppression included) as the report's tables, so it never holds more than they
        show."""
        fields, coverage, invalid = self.to_frame(rule), self.coverage_table(rule), self.invalid
        if rule is not None:
            fields = apply_disclosure(fields, ["missing", "invalid"], rule=rule, additive_rows=False,
                                      derived={"percent_complete": ["missing"]}).frame
            coverage = apply_disclosure(coverage, ["records"], rule=rule,
                                        derived={"percent": ["records"]}).frame
            invalid = apply_disclosure(invalid.reset_index(drop=True), ["cells"], rule=rule,
                                       additive_rows=False).frame
        return {
            "file": str(self.path),
            "dataset": self.dataset,
            "rows": _cell(self.rows, rule),
            "ok": self.ok,
            "fields": fields.to_dict(orient="records"),
            "invalid": invalid.to_dict(orient="records"),
            "coverage_column": self.coverage_column,
            "coverage": coverage.to_dict(orient="records"),
            "date_column": self.date_column,
            "months": len(self.by_month),
            "suppressed_cells": {c: _cell(n, rule) for c, n in self.suppressed.items()},
        }


def _cell(value: float, rule: DisclosureRule | None) -> int | str:
    shown = disclose_count(int(value), rule)
    return shown if isinstance(shown, str) else int(shown)


def _count(value: float, rule: DisclosureRule | None) -> str:
    shown = disclose_count(int(value), rule)
    return shown if isinstance(shown, str) else f"{shown:,}"


def _percent(part: float, whole: float, rule: DisclosureRule | None) -> str:
    shown = disclose_share(part, whole, rule) if whole else 0.0
    return shown if isinstance(shown, str) else f"{shown:.1f}%"


def _typed(path: Path, ds: Any) -> pd.DataFrame:
    raw, _ = read_raw(path, len(ds.required_columns))
    if raw is None:
        return pd.DataFrame(columns=ds.field_names)
    columns = {f.name: parse_column(raw[f.name], f.type)[0] for f in ds.fields if f.name in raw.columns}
    return pd.DataFrame(columns, index=raw.index)


def profile(
    report: ValidationReport,
    *,
    date_column: str | None = None,
    coverage_column: str | None = None,
    dictionary: DataDictionary | None = None,
) -> QualityProfile:
    """Profile the file of a `validate_file` report (`slp_eval.data`) against its dataset."""
    d = dictionary if dictionary is not None else read_dictionary()
    ds = d.dataset(report.dataset)
    frame = report.frame if report.frame is not None else _typed(report.path, ds)
    for name, column in (("date_column", date_column), ("coverage_column", coverage_column)):
        if column is not None and column not in ds.field_names:
            raise ParameterError(
                f"{name}: {column!r} is not a field of dataset {report.dataset!r} "
                f"(fields: {', '.join(ds.field_names)})"
            )
    for name, column in (("date_column", date_column), ("coverage_column", coverage_column)):
        if column is not None and ds.field(column).identifies_person:
            raise ParameterError(
                f"{name}: field {column!r} of dataset {report.dataset!r} identifies a person "
                "(data dictionary: identifies_person: true); it cannot be a date or coverage column"
            )
    failures = report.failures
    bad_cells = failures.dropna(subset=["row", "column"])
    invalid_by_column = bad_cells.groupby("column")["row"].nunique()
    rows = len(frame)
    fields = pd.DataFrame(
        {
            "column": [f.name for f in ds.fields],
            "type": [f.type for f in ds.fields],
            "required": [f.required and not f.nullable for f in ds.fields],
            "identifies_person": [f.identifies_person for f in ds.fields],
            "missing": [int(frame[f.name].isna().sum()) if f.name in frame else rows for f in ds.fields],
            "invalid": [int(invalid_by_column.get(f.name, 0)) for f in ds.fields],
        }
    )
    fields["percent_complete"] = 100.0 * (rows - fields["missing"]) / rows if rows else 0.0

    by_month = pd.DataFrame(columns=["month", "records", "complete_records", "percent_complete"])
    if date_column is not None and rows:
        required = [f.name for f in ds.fields if f.required and not f.nullable and f.name in frame]
        complete = frame[required].notna().all(axis=1)
        bad_rows = set(bad_cells["row"].astype(int) - 1)
        complete &= ~frame.index.isin(bad_rows)
        month = pd.to_datetime(frame[date_column]).dt.to_period("M")
        grouped = pd.DataFrame({"month": month, "complete": complete}).dropna(subset=["month"])
        by_month = (
            grouped.groupby("month")
            .agg(records=("complete", "size"), complete_records=("complete", "sum"))
            .reindex(pd.period_range(grouped["month"].min(), grouped["month"].max(), freq="M"),
                     fill_value=0)
            .rename_axis("month")
            .reset_index()
        )
        by_month["percent_complete"] = (
            100.0 * by_month["complete_records"] / by_month["records"].where(by_month["records"] > 0)
        )

    invalid = (
        bad_cells.groupby(["column", "rule"], sort=True)
        .agg(cells=("row", "size"), first_row=("row", "min"))
        .reset_index()
        if len(bad_cells)
        else pd.DataFrame(columns=["column", "rule", "cells", "first_row"])
    )
    file_level = failures[failures["column"].isna() | failures["row"].isna()]
    if len(file_level):
        extra = file_level.groupby(["column", "rule"], dropna=False).size().reset_index(name="cells")
        extra["first_row"] = pd.NA
        invalid = pd.concat([invalid, extra], ignore_index=True)

    coverage = pd.DataFrame(columns=["code", "label", "records", "percent"])
    if coverage_column is not None:
        field = next(f for f in ds.fields if f.name == coverage_column)
        counts = frame[coverage_column].value_counts()
        if field.vocabulary is not None:
            vocab = d.vocabularies[field.vocabulary]
            codes, labels = vocab.codes, [v.label for v in vocab.values]
        else:
            codes = sorted(map(str, counts.index))
            labels = codes
        coverage = pd.DataFrame({"code": codes, "label": labels})
        coverage["records"] = [int(counts.get(code, 0)) for code in codes]
        coverage["percent"] = 100.0 * coverage["records"] / rows if rows else 0.0
    return QualityProfile(report.path, report.dataset, rows, fields, by_month, invalid, coverage,
                          coverage_column, date_column, dict(report.suppressed))


#: Problems in the order of how much they stop an analysis, worst first; the answer box names the
#: worst one found: values that break the data dictionary (`slp-eval load` refuses the file),
#: required fields missing, months with no record, months with few complete records, codes of the
#: coverage column with no record.
PROBLEM_PRIORITY = ("invalid", "missing", "empty_months", "low_months", "coverage")


def _ranked_limitations(profile: QualityProfile, threshold: float,
                        rule: DisclosureRule | None) -> list[tuple[str, str]]:
    items = []
    short = profile.fields[profile.fields["required"] & (profile.fields["percent_complete"] < 100.0)]
    for row in short.itertuples(index=False):
        items.append(("missing", f"Required field `{row.column}` is missing in "
                      f"{_percent(row.missing, profile.rows, rule)} of records."))
    if not profile.invalid.empty:
        items.append(("invalid", f"{_count(profile.invalid['cells'].sum(), rule)} values break the data "
                      f"dictionary in {profile.invalid['column'].nunique()} column(s): analyses must exclude "
                      "or correct them, and `slp-eval load` refuses the file until then."))
    if not profile.by_month.empty:
        empty = profile.by_month[profile.by_month["records"] == 0]
        if len(empty):
            items.append(("empty_months", f"{len(empty)} month(s) between the first and last have no record "
                          f"at all (first: {empty['month'].iloc[0]})."))
        low = profile.by_month[profile.by_month["percent_complete"] < threshold]
        if len(low):
            items.append(("low_months", f"In {len(low)} month(s) fewer than {threshold:g}% of records are "
                          f"complete (first: {low['month'].iloc[0]})."))
    if not profile.coverage.empty:
        absent = profile.coverage[profile.coverage["records"] == 0]
        if len(absent):
            items.append(("coverage", f"No record for {len(absent)} code(s) of `{profile.coverage_column}`: "
                          f"{', '.join(absent['label'])}."))
    return items


def limitations(profile: QualityProfile, *, threshold: float = 95.0,
                rule: DisclosureRule | None = None) -> list[str]:
    """What the profile found that limits an analysis of this file, one sentence each (counts,
    and percentages that would give a count back, under `rule`)."""
    return [text for _, text in _ranked_limitations(profile, threshold, rule)]


def answer(profile: QualityProfile, *, threshold: float = 95.0,
           rule: DisclosureRule | None = None) -> dict[str, str]:
    """`Report.answer` arguments: whether the file is fit for analysis, its size, completeness and
    validity in numbers (counts and percentages under `rule`), and the worst problem found
    (`PROBLEM_PRIORITY`), or that none was.

    Not fit: a value breaks the data dictionary (the file cannot be loaded for analysis). Fit with
    care: every value is valid but a required field is missing somewhere, a month is empty or
    incomplete, or a coverage code has no record. Fit: none of these."""
    ranked = _ranked_limitations(profile, threshold, rule)
    kinds = {kind for kind, _ in ranked}
    name = profile.path.name
    if "invalid" in kinds:
        verdict = (f"Not fit for analysis yet: {name} breaks the {profile.dataset} data dictionary, so it "
                   "cannot be loaded until the values listed below are corrected or excluded.")
    elif ranked:
        verdict = (f"Fit for analysis with care: every value in {name} conforms to the {profile.dataset} "
                   "data dictionary, but the gaps below limit what it can show.")
    else:
        verdict = (f"Fit for analysis: every value in {name} conforms to the {profile.dataset} data "
                   "dictionary and every required field is complete.")
    required = profile.fields[profile.fields["required"]]
    parts = [f"{_count(profile.rows, rule)} records"]
    if len(required):
        worst = required.sort_values(["percent_complete", "column"]).iloc[0]
        parts.append("every required field present in every record" if worst["missing"] == 0 else
                     f"least complete required field {worst['column']} present in "
                     f"{_percent(profile.rows - worst['missing'], profile.rows, rule)} of records")
    cells = int(profile.invalid["cells"].sum()) if len(profile.invalid) else 0
    parts.append(f"{_count(cells, rule)} invalid value{'s' if cells != 1 else ''}")
    if profile.coverage_column is not None and not profile.coverage.empty:
        parts.append(f"{int((profile.coverage['records'] > 0).sum())} of {len(profile.coverage)} "
                     f"{profile.coverage_column} codes with records")
    worst_problem = (min(ranked, key=lambda item: PROBLEM_PRIORITY.index(item[0]))[1] if ranked
                     else "No problem was found by the automatic checks; they test the file against the "
                     "dictionary, not whether its values are true.")
    effect = "; ".join(parts)
    return {"verdict": verdict, "effect": effect[:1].upper() + effect[1:] + ".", "caveat": worst_problem}


def profile_file(path: str | Path, dataset: str, **kwargs: Any) -> QualityProfile:
    """`profile(validate_file(path, dataset), ...)`."""
    return profile(validate_file(path, dataset), **kwargs)


__all__ = ["PROBLEM_PRIORITY", "QualityProfile", "answer", "limitations", "profile", "profile_file"]
