"""Readers for NHS open data: out-of-area placements (NHS Digital) and EIP waiting times (NHS England).

- `read_oaps(paths)` reads monthly OAP open-data CSVs in any of their three published layouts into
  one long frame, with `*` (suppressed) cells kept missing and flagged.
- `read_eip(path)` reads the EIP waiting-times time-series file into provider x month counts of
  people starting treatment and how many did so within two weeks of referral.
- `oaps_monthly_series` and `eip_monthly_series` turn those frames into the `monthly_series`
  dataset, so every analysis kind runs on them. Suppressed figures stay missing; nothing is imputed.

Both publications are under the Open Government Licence v3.0 (`OGL_ATTRIBUTION`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from slp_eval.data.dictionary import read_dictionary
from slp_eval.errors import DataValidationError

#: The attribution the Open Government Licence v3.0 asks of every output built on these files.
OGL_ATTRIBUTION = "Contains public sector information licensed under the Open Government Licence v3.0."

#: The three South London Partnership trusts (ODS codes).
SLP_TRUSTS: tuple[str, ...] = ("RV5", "RPG", "RQY")

_CORE = ["Question", "Breakdown1", "Breakdown1Code", "Breakdown2", "Breakdown2Code", "value"]
_DESCRIBED = [
    "Question", "Breakdown1", "Breakdown1Code", "Breakdown1Description",
    "Breakdown2", "Breakdown2Code", "Breakdown2Description", "value",
]  # fmt: skip
#: The column layouts NHS Digital published, oldest first.
OAP_LAYOUTS: dict[str, list[str]] = {
    "oct_2016": _CORE,
    "dec_2016": _DESCRIBED,
    "feb_2017": ["PublicationDate", "PublicationPeriod", *_DESCRIBED],
}
OAP_COLUMNS = ["period", "question", "measure", "breakdown", "code", "description",
               "breakdown2", "code2", "value", "suppressed"]  # fmt: skip

_MONTH_NAMES = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
_MONTHS = {m: i for i, m in enumerate(_MONTH_NAMES, start=1)}
_NAME_MONTH = re.compile(r"(?<![a-z])(" + "|".join(_MONTHS) + r")[a-z]*[-_ ]?(\d{4})(?!\d)", re.IGNORECASE)
_NAME_ISO = re.compile(r"(?<!\d)(\d{4})[-_](\d{2})(?!\d)")


def oap_measure_names() -> dict[str, str]:
    """Published OAP question wording -> stable measure name (vocabulary `oap_questions`)."""
    vocab = read_dictionary().vocabularies["oap_questions"]
    return {v.code: str((v.model_extra or {})["measure"]) for v in vocab.values}


def period_from_name(path: Path) -> str | None:
    """The month a file name carries ("oaps-open-data-feb-2017.csv" -> "2017-02"), or None."""
    name = path.name
    found = _NAME_MONTH.search(name)
    if found:
        return f"{found.group(2)}-{_MONTHS[found.group(1).lower()[:3]]:02d}"
    iso = _NAME_ISO.search(name)
    if iso and 1 <= int(iso.group(2)) <= 12:
        return f"{iso.group(1)}-{iso.group(2)}"
    return None


def _layout(path: Path, columns: list[str]) -> str:
    for name, layout in OAP_LAYOUTS.items():
        if columns == layout:
            return name
    # The nearest layout is the one missing the fewest columns: name what it lacks.
    name, layout = min(OAP_LAYOUTS.items(), key=lambda kv: (len(set(kv[1]) - set(columns)), -len(kv[1])))
    missing = [c for c in layout if c not in columns]
    extra = [c for c in columns if c not in layout]
    parts = [f"missing columns: {', '.join(missing)}"] if missing else []
    parts += [f"unexpected columns: {', '.join(extra)}"] if extra else []
    parts += [] if parts else ["columns in an unknown order"]
    raise DataValidationError(
        f"{path}: unknown out-of-area placements layout; nearest published layout is {name!r} "
        f"({'; '.join(parts)})"
    )


def _file_period(path: Path, raw: pd.DataFrame) -> str:
    from_name = period_from_name(path)
    if "PublicationPeriod" not in raw.columns:
        if from_name is None:
            raise DataValidationError(
                f"{path}: no PublicationPeriod column and no month in the file name "
                "(expected e.g. oaps-open-data-oct-2016.csv)"
            )
        return from_name
    published = raw["PublicationPeriod"].str.replace("/", "-", regex=False).unique()
    if len(published) != 1 or not re.fullmatch(r"\d{4}-\d{2}", str(published[0])):
        raise DataValidationError(
            f"{path}: column PublicationPeriod must hold one month written YYYY/MM in every row"
        )
    period = str(published[0])
    if from_name is not None and from_name != period:
        raise DataValidationError(
            f"{path}: the file name says {from_name} but column PublicationPeriod says {period}"
        )
    return period


def _values(path: Path, raw: pd.DataFrame) -> tuple[pd.Series, pd.Series]:
    text = raw["value"].str.strip()
    suppressed = text == "*"
    value = pd.to_numeric(text.where(~suppressed), errors="coerce")
    bad = value.isna() & ~suppressed
    if bad.any():
        row = int(np.flatnonzero(bad.to_numpy())[0]) + 2  # 1-based, after the header
        raise DataValidationError(
            f"{path}: column value, row {row}: not a number and not '*' (suppressed) "
            f"in {int(bad.sum())} row(s)"
        )
    return value.astype(float), suppressed


def _read_oap_file(path: Path, measures: dict[str, str]) -> pd.DataFrame:
    raw = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8")
    layout = _layout(path, list(raw.columns))
    period = _file_period(path, raw)
    value, suppressed = _values(path, raw)

    def text(column: str) -> pd.Series:
        if column not in raw.columns:
            return pd.Series(pd.NA, index=raw.index, dtype="string")
        return raw[column].astype("string").replace("", pd.NA)

    out = pd.DataFrame(
        {
            "period": period,
            "question": raw["Question"].astype("string"),
            "measure": raw["Question"].map(measures).astype("string"),
            "breakdown": raw["Breakdown1"].astype("string"),
            "code": text("Breakdown1Code"),
            "description": text("Breakdown1Description"),
            "breakdown2": text("Breakdown2"),
            "code2": text("Breakdown2Code"),
            "value": value,
            "suppressed": suppressed.astype(bool),
        }
    )
    out.attrs["layout"] = layout
    return out


def read_oaps(paths: str | Path | Iterable[str | Path]) -> pd.DataFrame:
    """Read NHS Digital out-of-area placements open-data CSVs (one per month) into one long frame.

    Columns: `period` ("YYYY-MM"), `question` (as published), `measure` (the stable name of the
    question in the `oap_questions` vocabulary; missing for an unlisted wording), `breakdown`,
    `code`, `description` (missing where the layout has no description columns), `breakdown2`,
    `code2`, `value` (float, NaN where suppressed) and `suppressed` (True where the file has `*`).

    Accepts the three published layouts (`OAP_LAYOUTS`). The period comes from
    `PublicationPeriod` where the file has it and from the file name otherwise; where both exist
    they must agree. Raises `DataValidationError` for an unknown layout (naming the missing
    columns), a period mismatch, a value that is neither a number nor `*`, or two files of one month.
    """
    items = [Path(paths)] if isinstance(paths, str | Path) else [Path(p) for p in paths]
    if not items:
        raise DataValidationError("read_oaps: no files given")
    measures = oap_measure_names()
    frames: list[pd.DataFrame] = []
    seen: dict[str, Path] = {}
    for path in items:
        frame = _read_oap_file(path, measures)
        period = str(frame["period"].iloc[0]) if len(frame) else period_from_name(path) or ""
        if period in seen:
            raise DataValidationError(f"{path}: period {period} is also in {seen[period]}")
        seen[period] = path
        frames.append(frame)
    out = pd.concat(frames, ignore_index=True)
    return out.sort_values("period", kind="stable").reset_index(drop=True)[OAP_COLUMNS]


EIP_COMPLETED = "EIP pathways completed this month"
_EIP_REQUIRED = ["Date", "Provider_Org_code", "Provider_name", "Description",
                 "Gt_0_1_Weeks", "Gt_1_2_Weeks", "Total_Pathways"]  # fmt: skip
EIP_COLUMNS = ["period", "provider_code", "provider_name", "started", "within_two_weeks", "share"]


def read_eip(path: str | Path) -> pd.DataFrame:
    """Read NHS England's EIP waiting-times time-series file: provider x month, commissioners summed.

    Uses the rows "EIP pathways completed this month" (people who started treatment in the month).
    Columns: `period` ("YYYY-MM"), `provider_code`, `provider_name` (the latest published name),
    `started` (`Total_Pathways`), `within_two_weeks` (`Gt_0_1_Weeks + Gt_1_2_Weeks`, the national
    standard's numerator) and `share` (`within_two_weeks / started`, NaN when nobody started).
    """
    path = Path(path)
    raw = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8")
    missing = [c for c in _EIP_REQUIRED if c not in raw.columns]
    if missing:
        raise DataValidationError(
            f"{path}: not an EIP waiting-times file; missing columns: {', '.join(missing)}"
        )
    done = raw[raw["Description"] == EIP_COMPLETED]
    if done.empty:
        raise DataValidationError(f"{path}: column Description has no {EIP_COMPLETED!r} rows")
    dates = pd.to_datetime(done["Date"], format="%d/%m/%Y", errors="coerce")
    if dates.isna().any():
        row = int(done.index[dates.isna()][0]) + 2
        raise DataValidationError(f"{path}: column Date, row {row}: not a date written dd/mm/yyyy")
    counts = {}
    for column in ["Gt_0_1_Weeks", "Gt_1_2_Weeks", "Total_Pathways"]:
        number = pd.to_numeric(done[column], errors="coerce")
        if number.isna().any() or (number < 0).any():
            row = int(done.index[number.isna() | (number < 0)][0]) + 2
            raise DataValidationError(f"{path}: column {column}, row {row}: not a count (whole number >= 0)")
        counts[column] = number
    frame = pd.DataFrame(
        {
            "period": dates.dt.strftime("%Y-%m"),
            "date": dates,
            "provider_code": done["Provider_Org_code"],
            "provider_name": done["Provider_name"],
            "started": counts["Total_Pathways"],
            "within_two_weeks": counts["Gt_0_1_Weeks"] + counts["Gt_1_2_Weeks"],
        }
    )
    names = frame.sort_values("date").groupby("provider_code")["provider_name"].last()
    out = frame.groupby(["period", "provider_code"], as_index=False)[["started", "within_two_weeks"]].sum()
    out["provider_name"] = out["provider_code"].map(names)
    out["started"] = out["started"].astype(float)
    out["within_two_weeks"] = out["within_two_weeks"].astype(float)
    out["share"] = out["within_two_weeks"] / out["started"].where(out["started"] > 0)
    return out.sort_values(["provider_code", "period"]).reset_index(drop=True)[EIP_COLUMNS]


def _complete_months(frame: pd.DataFrame) -> pd.DataFrame:
    """One row per month from each (unit, measure)'s first to last month; gaps become missing rows."""
    pieces = []
    for (unit, measure), group in frame.groupby(["unit", "measure"], sort=False):
        months = pd.period_range(min(group["period"]), max(group["period"]), freq="M").strftime("%Y-%m")
        full = pd.DataFrame({"period": months, "unit": unit, "measure": measure})
        merged = full.merge(group, on=["period", "unit", "measure"], how="left")
        merged["measure_type"] = group["measure_type"].iloc[0]
        pieces.append(merged)
    return pd.concat(pieces, ignore_index=True)


_SERIES_COLUMNS = [
    "period",
    "unit",
    "measure",
    "measure_type",
    "numerator",
    "denominator",
    "exposure",
    "value",
]


#: Units `eip_monthly_series` writes by default: each SLP trust, the partnership, England, the rest.
EIP_UNITS: tuple[str, ...] = (*SLP_TRUSTS, "SLP", "England", "Rest of England")


def eip_monthly_series(
    eip: pd.DataFrame, units: Sequence[str] = EIP_UNITS, slp: Sequence[str] = SLP_TRUSTS
) -> pd.DataFrame:
    """`monthly_series` rows from `read_eip` for `units`.

    A unit is a provider code, `SLP` (the `slp` trusts summed), `England` (every provider summed)
    or `Rest of England` (every provider but the `slp` trusts: an ITS comparison series).
    Measures: `eip_within_two_weeks` (share: numerator people starting within two weeks,
    denominator people starting) and `eip_started` (count).
    """
    providers = set(eip["provider_code"])
    unknown = sorted(set(units) - providers - {"SLP", "England", "Rest of England"})
    unknown += sorted(set(slp) - providers)
    if unknown:
        raise DataValidationError(f"eip_monthly_series: unit(s) not in the EIP data: {', '.join(unknown)}")
    sums = ["started", "within_two_weeks"]
    is_slp = eip["provider_code"].isin(list(slp))
    pieces = []
    for unit in units:
        rows = {
            "SLP": eip[is_slp],
            "England": eip,
            "Rest of England": eip[~is_slp],
        }.get(unit, eip[eip["provider_code"] == unit])
        pieces.append(rows.groupby("period", as_index=False)[sums].sum().assign(unit=unit))
    rows = pd.concat(pieces, ignore_index=True)
    share = rows.assign(
        measure="eip_within_two_weeks",
        measure_type="share",
        numerator=rows["within_two_weeks"],
        denominator=rows["started"],
        exposure=np.nan,
        value=rows["within_two_weeks"] / rows["started"].where(rows["started"] > 0),
    )
    count = rows.assign(
        measure="eip_started",
        measure_type="count",
        numerator=rows["started"],
        denominator=np.nan,
        exposure=np.nan,
        value=rows["started"],
    )
    out = _complete_months(pd.concat([share, count], ignore_index=True)[_SERIES_COLUMNS])
    return out.sort_values(["measure", "unit", "period"]).reset_index(drop=True)[_SERIES_COLUMNS]


PANEL_COLUMNS = ["period", "provider", "provider_name", "measure", "measure_type", "numerator",
                 "denominator", "value"]


def eip_provider_panel(eip: pd.DataFrame) -> pd.DataFrame:
    """`provider_panel` rows from `read_eip`: every provider, measure `eip_within_two_weeks` (share:
    numerator people starting within two weeks, denominator people starting; value missing in a
    month nobody started). A month a provider did not report between its first and last is a row
    with every count missing (nothing is filled in)."""
    frame = eip.rename(columns={"provider_code": "provider"})
    frame = frame.assign(measure="eip_within_two_weeks", measure_type="share",
                         numerator=frame["within_two_weeks"], denominator=frame["started"],
                         value=frame["within_two_weeks"] / frame["started"].where(frame["started"] > 0))
    names = frame.groupby("provider")["provider_name"].last()
    pieces = []
    for provider, group in frame.groupby("provider", sort=True):
        months = pd.period_range(min(group["period"]), max(group["period"]), freq="M").strftime("%Y-%m")
        full = pd.DataFrame({"period": months}).merge(group, on="period", how="left")
        pieces.append(full.assign(provider=provider, provider_name=names[provider],
                                  measure="eip_within_two_weeks", measure_type="share"))
    return pd.concat(pieces, ignore_index=True)[PANEL_COLUMNS]


#: OAP measures that are counts or sums (the rest are means, quartiles and shares without their
#: numerator and denominator, which `monthly_series` cannot hold).
def _is_oap_count(measure: str) -> bool:
    return measure.startswith("oaps_") or measure in ("oap_days", "oap_recorded_cost")


def oaps_monthly_series(
    oaps: pd.DataFrame, units: Sequence[str] = SLP_TRUSTS, breakdown: str = "SendingProvider"
) -> pd.DataFrame:
    """`monthly_series` rows from `read_oaps`: England and each of `units` in `breakdown`.

    Keeps the count measures (placements, bed days, bands, recorded cost) under their stable
    names, as `measure_type` count. A suppressed figure stays a row with missing `numerator` and
    `value` (the data-quality report counts it); nothing is imputed. Rows with an unlisted
    question wording (no `measure`) are left out.
    """
    if breakdown not in ("SendingProvider", "ReceivingProvider"):
        raise DataValidationError(
            "oaps_monthly_series: breakdown must be SendingProvider or ReceivingProvider; "
            f"found {breakdown!r}"
        )
    keep = oaps["measure"].notna() & oaps["measure"].map(lambda m: isinstance(m, str) and _is_oap_count(m))
    england = oaps["breakdown"] == "England"
    provider = (oaps["breakdown"] == breakdown) & oaps["code"].isin(list(units))
    rows = oaps[keep & (england | provider) & oaps["breakdown2"].isna()]
    rows = rows.assign(unit=np.where(rows["breakdown"] == "England", "England", rows["code"].astype(object)))
    duplicated = rows.duplicated(["period", "unit", "measure"])
    if duplicated.any():
        first = rows[duplicated].iloc[0]
        raise DataValidationError(
            f"oaps_monthly_series: two rows for measure {first['measure']}, unit {first['unit']}, "
            f"period {first['period']}"
        )
    out = pd.DataFrame(
        {
            "period": rows["period"].astype(str),
            "unit": rows["unit"].astype(str),
            "measure": rows["measure"].astype(str),
            "measure_type": "count",
            "numerator": rows["value"],
            "denominator": np.nan,
            "exposure": np.nan,
            "value": rows["value"],
        }
    )
    out = _complete_months(out)
    return out.sort_values(["measure", "unit", "period"]).reset_index(drop=True)[_SERIES_COLUMNS]


__all__ = [
    "EIP_COLUMNS",
    "EIP_UNITS",
    "OAP_COLUMNS",
    "OAP_LAYOUTS",
    "OGL_ATTRIBUTION",
    "SLP_TRUSTS",
    "eip_monthly_series",
    "oap_measure_names",
    "oaps_monthly_series",
    "period_from_name",
    "read_eip",
    "read_oaps",
]
