"""What the ITS notebook shows beyond the generic report: the series it models, the arguments
of `fit_its` from the parameter model, effect tables, the published-versus-ours table and the
limitations the fit itself reveals.

One module a section: `fit` (the series and the arguments of `fit_its`), `controlled`
(disclosure control of the series shown), `wording` (units and plain labels), `effects`
(effects against the counterfactual), `tables`, `figures`, `limitations`, `sensitivity`
(placebo and break dates), `answer` (the answer box) and `blocks` (results.json). Every
name is re-exported here, as the notebooks call them (`its_report.fit_plot(...)`).
"""

from slp_eval.report.its.answer import (
    CAVEAT_PRIORITY,
    CAVEAT_WORDS,
    SYNTHETIC_CAVEAT,
    answer,
    headline_effect,
    main_caveat,
    summary,
)
from slp_eval.report.its.blocks import results_block, sensitivity_block
from slp_eval.report.its.controlled import CountKind as CountKind
from slp_eval.report.its.controlled import controlled_observed, count_kind
from slp_eval.report.its.effects import effect_path, effects, effects_table, horizon_effect
from slp_eval.report.its.figures import effect_plot, fit_plot
from slp_eval.report.its.fit import fit_arguments, one_series, series
from slp_eval.report.its.limitations import (
    APPROXIMATE_SEGMENT_POINTS,
    AUTOCORRELATION_ADVICE,
    MIN_EFFECT_DF,
    MIN_SEGMENT_POINTS,
    approximation_limitations,
    extrapolation_limitations,
    findings,
    limitations,
)
from slp_eval.report.its.sensitivity import (
    break_dates,
    checks,
    placebo,
    placebo_reconciliation,
    sensitivity_limitations,
    show_sensitivity,
)
from slp_eval.report.its.tables import (
    diagnostics_table,
    estimates_caption,
    estimates_frame,
    published_comparison,
    series_overview,
)
from slp_eval.report.its.wording import (
    interruption_name,
    level_axis_label,
    level_suffix,
    quantity,
    term_label,
    unit_suffix,
    whole_numbers,
    with_unit,
)

__all__ = [
    "APPROXIMATE_SEGMENT_POINTS",
    "AUTOCORRELATION_ADVICE",
    "CAVEAT_PRIORITY",
    "CAVEAT_WORDS",
    "MIN_EFFECT_DF",
    "MIN_SEGMENT_POINTS",
    "SYNTHETIC_CAVEAT",
    "answer",
    "approximation_limitations",
    "break_dates",
    "checks",
    "controlled_observed",
    "count_kind",
    "diagnostics_table",
    "effect_path",
    "effect_plot",
    "effects",
    "effects_table",
    "estimates_caption",
    "estimates_frame",
    "extrapolation_limitations",
    "findings",
    "fit_arguments",
    "fit_plot",
    "headline_effect",
    "horizon_effect",
    "interruption_name",
    "level_axis_label",
    "level_suffix",
    "limitations",
    "main_caveat",
    "one_series",
    "placebo",
    "placebo_reconciliation",
    "published_comparison",
    "quantity",
    "results_block",
    "sensitivity_block",
    "sensitivity_limitations",
    "series",
    "series_overview",
    "show_sensitivity",
    "summary",
    "term_label",
    "unit_suffix",
    "whole_numbers",
    "with_unit",
]
