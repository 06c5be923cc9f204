"""Draw docs/eip_spc.png, the README's Making Data Count chart, from the real EIP data.

Run from the project root: `.venv/bin/python docs/make_eip_spc_figure.py`. It reads
data/nhs/eip_monthly_series.csv (made by `slp-eval ingest eip`), charts the share starting
treatment within two weeks for the three SLP trusts and England against the 50% standard, exactly
as params/eip_two_week_standard.yaml does, and writes the PNG at report resolution.
"""

from pathlib import Path

from slp_eval.data import load
from slp_eval.plots.spc import plot_spc_panels
from slp_eval.report.figures import png_bytes
from slp_eval.series import prepare_series
from slp_eval.spc import spc

ROOT = Path(__file__).resolve().parents[1]
SHARE = {"measure": "eip_within_two_weeks"}
PANELS = {
    "South London and Maudsley (RV5)": "RV5",
    "Oxleas (RPG)": "RPG",
    "South West London and St George's (RQY)": "RQY",
    "England": "England",
}


def main() -> Path:
    data = load(ROOT / "data" / "nhs" / "eip_monthly_series.csv", "monthly_series")
    results = {
        label: spc(
            prepare_series(data, outcome="percent", time="period", filters={**SHARE, "unit": unit}),
            value="percent",
            time="period",
            improvement_direction="increase",
            target=50.0,
        )
        for label, unit in PANELS.items()
    }
    figure = plot_spc_panels(results, label="% starting treatment within two weeks")
    figure.suptitle(
        "Source: NHS England, EIP waiting times. Contains public sector information licensed under the "
        "Open Government Licence v3.0.",
        fontsize=9,
    )
    out = ROOT / "docs" / "eip_spc.png"
    out.write_bytes(png_bytes(figure))
    return out


if __name__ == "__main__":
    print(f"wrote {main()}")
