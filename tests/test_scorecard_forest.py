"""Forest plot of the scorecard (slp_eval.plots.forest)."""

import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from matplotlib.figure import Figure

from slp_eval.errors import ModelInputError
from slp_eval.params.scorecard import ScorecardParams
from slp_eval.plots.forest import forest_plot
from slp_eval.report.scorecard import build

CLAIMS_FILE = Path(__file__).parents[1] / "params" / "slp_headline_claims.yaml"


def test_scorecard_plot_draws_the_testable_claims_by_kind_of_effect():
    params = ScorecardParams.model_validate(yaml.safe_load(CLAIMS_FILE.read_text()))
    figure = build(params).plot()
    assert isinstance(figure, Figure)
    panels = [ax for ax in figure.axes if ax.get_xlabel()]
    assert [ax.get_xlabel() for ax in panels] == [
        "Change (percentage points)", "Rate ratio, after / before (log scale)"
    ]
    assert panels[1].get_xscale() == "log"
    labels = [t.get_text() for t in panels[1].get_yticklabels()]
    assert labels == ["Number of forensic out-of-area\nplacements",
                      "Number of CAMHS out-of-area bed\ndays"]
    # the proportion differences are drawn in percentage points: 42.0 for south London
    right = [ax for ax in figure.axes if not ax.get_xlabel()]
    texts = [t.get_text() for ax in right for t in ax.get_yticklabels()]
    assert "42.0 (36.1 to 47.4)" in texts
    assert "0.76 (0.61 to 0.94)" in texts


def test_forest_plot_from_any_tidy_frame():
    frame = pd.DataFrame({
        "term": ["rate_ratio", "rate_ratio", "mean_difference"],
        "outcome": ["Lambeth", "Croydon", "distance"],
        "estimate": [0.8, 1.2, -3.0], "ci_low": [0.6, 0.9, -5.0], "ci_high": [1.1, 1.6, np.nan],
    })
    figure = forest_plot(frame, label="outcome")
    assert len([ax for ax in figure.axes if ax.get_xlabel()]) == 1  # the NaN row is left out


def test_forest_plot_errors():
    with pytest.raises(ModelInputError, match=re.escape("forest_plot: frame has no column(s) "
                                                        "ci_low")):
        forest_plot(pd.DataFrame({"term": ["a"], "estimate": [1.0], "ci_high": [2.0]}))
    with pytest.raises(ModelInputError, match=re.escape(
        "forest_plot: no row has a finite estimate and interval to draw"
    )):
        forest_plot(pd.DataFrame({"term": ["a"], "estimate": [np.nan], "ci_low": [1.0],
                                  "ci_high": [2.0]}))
