"""Comparative designs on provider panels: did the treated units do better than similar units
without the programme?

- `fit_synthetic_control`: Abadie, Diamond and Hainmueller (2010) synthetic control (predictor
  weights V chosen as `Synth` does), optionally ridge-augmented (Ben-Michael, Feller and Rothstein
  2021), with placebo-in-space inference, leave-one-out donors and an in-time placebo;
- `fit_synthetic_did`: synthetic difference-in-differences (Arkhangelsky et al. 2021) as R
  `synthdid` computes it, with placebo, jackknife and bootstrap standard errors;
- `fit_did`: two-way fixed effects DiD and event study clustered by unit, Sun and Abraham (2021)
  for staggered starts.

Each takes a long panel (one row per unit and period) and plain arguments, refuses an unbalanced
panel naming the unit and its missing periods, never imputes a missing or suppressed outcome (a
donor with one is left out and listed in `result.panel.dropped`; a treated unit with one is
refused), and returns a result with `summary_frame()`, `summary()`, `to_dict()` and `.plot()`.

The placebo-in-space grid is one synthetic control per donor on the same cached matrices
(`slp_eval.panel.inference.placebo_in_space`). On a national panel in Spark the same grid is a
`groupBy("placebo_unit").applyInPandas(...)` over the panel broadcast to every task, each task
calling `slp_eval.panel.weights.fit_rows` for its donor (one implementation of the statistics, as
`slp_eval.spark.fit_its_spark` does for ITS grids).
"""

from slp_eval.panel.data import PanelMatrix, Predictor, prepare_panel
from slp_eval.panel.did import DiDResult, fit_did
from slp_eval.panel.synthetic_control import SyntheticControlResult, fit_synthetic_control
from slp_eval.panel.synthetic_did import SE_METHODS, SyntheticDiDResult, fit_synthetic_did

__all__ = [
    "SE_METHODS",
    "DiDResult",
    "PanelMatrix",
    "Predictor",
    "SyntheticControlResult",
    "SyntheticDiDResult",
    "fit_did",
    "fit_synthetic_control",
    "fit_synthetic_did",
    "prepare_panel",
]
