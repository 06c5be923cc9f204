"""slp-eval: honest evaluation of health-service programmes.

Interrupted time series (`slp_eval.its`), pre/post comparisons (`slp_eval.prepost`) and the
programme scorecard (`slp_eval.scorecard`), run through papermill-parameterised notebooks
(`slp_eval.runner`) on data described by a data dictionary (`slp_eval.data`).
"""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("slp-eval")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0.0.0+unknown"

#: The column names of every tidy estimates frame in the package (pingouin-style one vocabulary).
ESTIMATE_COLUMNS: tuple[str, ...] = ("term", "estimate", "std_err", "ci_low", "ci_high", "p_value")

__all__ = ["ESTIMATE_COLUMNS", "__version__"]
