"""Multiplicity: `adjust_pvalues` (Holm step-down, Benjamini-Hochberg FDR)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

import numpy as np
from statsmodels.stats.multitest import multipletests

from slp_eval.errors import ModelInputError, ParameterError

__all__ = ["adjust_pvalues"]


def adjust_pvalues(
    pvals: Sequence[float] | np.ndarray, method: Literal["holm", "fdr_bh"] = "holm"
) -> np.ndarray:
    """Adjust a family of p-values: Holm (1979) step-down or Benjamini-Hochberg (1995) FDR.

    statsmodels ``multipletests``. NaN entries (untestable outcomes) stay NaN and are not counted
    in the family.
    """
    func = "adjust_pvalues"
    if method not in ("holm", "fdr_bh"):
        raise ParameterError(f"{func}: method = {method!r} is not one of holm, fdr_bh")
    values = np.asarray(pvals, dtype=float)
    if values.ndim != 1:
        raise ModelInputError(f"{func}: pvals must be one-dimensional")
    bad = np.flatnonzero(np.isinf(values) | (values < 0) | (values > 1))
    if bad.size:
        raise ModelInputError(
            f"{func}: pvals[{bad[0]}] = {values[bad[0]]} is not a probability between 0 and 1"
        )
    out = np.full(values.shape, np.nan)
    present = ~np.isnan(values)
    if present.any():
        out[present] = multipletests(values[present], method=method)[1]
    return out
