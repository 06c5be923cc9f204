"""The result-object interface every slp-eval result shares in Jupyter (as statsmodels' results).

A result class mixes in `TidyResult` and defines `summary_frame()` (one row per term or
comparison: term, estimate, std_err, ci_low, ci_high, p_value, and df / ratio columns where the
method has them) and `summary()` (the plain-English sentence). It then gets:

- `params`: a Series of estimates indexed by term (statsmodels' `results.params`);
- `conf_int(alpha=None)`: a frame of `lower` / `upper` indexed by term (statsmodels'
  `results.conf_int()`): the result's own intervals, or at another `alpha` recomputed the way the
  result's method computes them (`_conf_int_at`);
- `_repr_html_`: a compact, escaped table and the summary sentence, so a notebook cell shows it;
- `__repr__`: the same as text.

`wald_interval` gives estimate +/- q * std_err with q from t(df) where df is finite and from the
normal distribution where df is NaN or infinite (z inference), the rule every Wald row follows.
"""

from __future__ import annotations

import html

import numpy as np
import pandas as pd
from scipy import stats

from slp_eval.errors import ParameterError

__all__ = ["DisplayResult", "TidyResult", "check_alpha", "wald_interval"]

#: Rows shown by `__repr__` / `_repr_html_` before the table is cut (the full table is
#: `summary_frame()`).
MAX_ROWS = 20


def _g4(value: object) -> str:
    if value is None or (isinstance(value, float) and np.isnan(value)) or value is pd.NA:
        return ""
    return f"{value:.4g}" if isinstance(value, float | np.floating) else str(value)


def _p_text(value: object) -> str:
    if isinstance(value, float | np.floating) and value < 0.001:
        return "<0.001"
    return _g4(value)


def check_alpha(alpha: object, where: str) -> float:
    """`alpha` as a float strictly between 0 and 1, else a ParameterError naming `where`."""
    if isinstance(alpha, bool) or not isinstance(alpha, int | float) or not 0 < alpha < 1:
        raise ParameterError(f"{where}: alpha={alpha!r} must be a number strictly between 0 and "
                             "1 (e.g. 0.05 for 95% intervals)")
    return float(alpha)


def wald_interval(estimate: np.ndarray, std_err: np.ndarray, df: np.ndarray | None,
                  alpha: float) -> tuple[np.ndarray, np.ndarray]:
    """(lower, upper) = estimate -/+ q * std_err, q the 1 - alpha/2 quantile of t(df), or of the
    normal distribution where df is None, NaN or infinite."""
    estimate = np.asarray(estimate, dtype=float)
    std_err = np.asarray(std_err, dtype=float)
    dfs = np.full(estimate.shape, np.nan) if df is None else np.asarray(df, dtype=float)
    z = ~np.isfinite(dfs)
    q = np.where(z, stats.norm.ppf(1 - alpha / 2),
                 stats.t.ppf(1 - alpha / 2, np.where(z, 1.0, dfs)))
    return estimate - q * std_err, estimate + q * std_err


class DisplayResult:
    """Mixin: `__repr__` and `_repr_html_` (a compact escaped table and the summary sentences)
    from `summary_frame()` and `summary()`; for results whose rows are not estimates with
    intervals (SPC charts). `TidyResult` adds `params` and `conf_int`."""

    def summary_frame(self) -> pd.DataFrame:  # pragma: no cover - every subclass defines it
        raise NotImplementedError

    def summary(self) -> str:  # pragma: no cover - every subclass defines it
        raise NotImplementedError

    def _header(self) -> str:
        """The first line of the display: the class name (results add what was fitted)."""
        return type(self).__name__

    def _display_frame(self) -> pd.DataFrame:
        """summary_frame() for the eye: numbers to 4 significant digits, p-values below 0.001
        as "<0.001" (never 0.000), missing values blank."""
        frame = self.summary_frame()
        shown = frame.astype(object)
        for column in frame.select_dtypes("number").columns:
            if frame[column].dtype == bool:
                continue
            digits = _p_text if column.startswith("p_") or column == "p_value" else _g4
            shown[column] = [digits(v) for v in frame[column]]
        return shown.where(frame.notna(), "")

    def __repr__(self) -> str:
        frame = self._display_frame()
        cut = len(frame) > MAX_ROWS
        table = frame.head(MAX_ROWS).to_string(index=False)
        more = f"\n... {len(frame) - MAX_ROWS} more rows: .summary_frame()" if cut else ""
        return f"{self._header()}\n{table}{more}\n\n{self.summary()}"

    def _repr_html_(self) -> str:
        frame = self._display_frame()
        more = (f"<p>... {len(frame) - MAX_ROWS} more rows: <code>.summary_frame()</code></p>"
                if len(frame) > MAX_ROWS else "")
        table = frame.head(MAX_ROWS).to_html(index=False, escape=True, border=0,
                                             classes="slp-eval-result")
        sentences = "".join(f"<p>{html.escape(line)}</p>"
                            for line in self.summary().splitlines() if line.strip())
        return (f"<div><p><strong>{html.escape(self._header())}</strong></p>{table}{more}"
                f"{sentences}</div>")


class TidyResult(DisplayResult):
    """Mixin: `params`, `conf_int`, `__repr__` and `_repr_html_` from `summary_frame()`."""

    #: The summary_frame column that names each row (the index of `params` and `conf_int`).
    _term_column = "term"

    def _conf_int_at(self, alpha: float) -> pd.DataFrame:
        """summary_frame-shaped rows with ci_low / ci_high at `alpha` (each class says how)."""
        raise NotImplementedError  # pragma: no cover - every subclass defines it

    @property
    def params(self) -> pd.Series:
        """The estimates, indexed by term (as statsmodels' `results.params`)."""
        frame = self.summary_frame()
        return pd.Series(frame["estimate"].to_numpy(dtype=float),
                         index=pd.Index(frame[self._term_column], name=self._term_column),
                         name="estimate")

    def conf_int(self, alpha: float | None = None) -> pd.DataFrame:
        """Confidence intervals as a frame of `lower` and `upper` indexed by term (statsmodels'
        `results.conf_int()`): the result's own (1 - alpha) intervals when `alpha` is None,
        else (1 - alpha) intervals computed by the same method (the same small-sample df)."""
        if alpha is None:
            frame = self.summary_frame()
        else:
            frame = self._conf_int_at(check_alpha(alpha, f"{type(self).__name__}.conf_int"))
        return pd.DataFrame({"lower": frame["ci_low"].to_numpy(dtype=float),
                             "upper": frame["ci_high"].to_numpy(dtype=float)},
                            index=pd.Index(frame[self._term_column], name=self._term_column))
