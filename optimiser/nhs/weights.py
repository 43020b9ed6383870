"""Weighted list sizes: the published Global Sum figure, else an age-sex estimate.

The estimate (docs/nhs-import.md) weights each practice's patients by 5-year age band and
sex with the relative workload weights of ``age_sex_weights.csv`` (approximate, in the
shape of the Carr-Hill formula's age-sex component; no morbidity, rurality or list
turnover adjustment), then scales the result so it is on the published scale:

* with a payments file, the scale factor makes the estimates of the area's practices that
  *do* have a published weighted list add up to their published total;
* without one, it makes the area's estimated total equal its registered total (the
  estimate only moves weight between practices by age and sex).
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass
from importlib import resources

import pandas as pd

WEIGHTS_FILE = "age_sex_weights.csv"


@dataclass
class Estimate:
    weighted: pd.Series  # practice_id -> estimated weighted list
    scale: float
    scale_basis: str


def age_sex_weights() -> pd.DataFrame:
    text = resources.files("optimiser.nhs").joinpath(WEIGHTS_FILE).read_text(encoding="utf-8")
    return pd.read_csv(io.StringIO(text))


def _lower_age(group: str) -> int:
    match = re.match(r"(\d+)", group)
    return int(match.group(1)) if match else 0


def raw_estimate(age_sex: pd.DataFrame) -> pd.Series:
    """Σ patients × weight(age band, sex) per practice, before scaling."""
    weights = age_sex_weights()
    lower = age_sex["age_group"].map(_lower_age)
    weight = pd.Series(0.0, index=age_sex.index)
    for band in weights.itertuples():
        in_band = (lower >= band.age_from) & (lower <= band.age_to)
        weight[in_band & (age_sex["sex"] == "MALE")] = band.male
        weight[in_band & (age_sex["sex"] == "FEMALE")] = band.female
    return (age_sex["patients"] * weight).groupby(age_sex["practice_id"]).sum()


def estimate(age_sex: pd.DataFrame, registered: pd.Series, published: pd.Series | None, wanted: list[str]) -> Estimate:
    """Scaled age-sex estimates for the practices in ``wanted``."""
    raw = raw_estimate(age_sex)
    calibrate = [p for p in (published.index if published is not None else []) if p in raw.index and raw[p] > 0]
    if calibrate and published is not None:
        scale = float(published[calibrate].sum() / raw[calibrate].sum())
        basis = f"scaled so the {len(calibrate)} practices with a published weighted list get their published total"
    else:
        in_area = [p for p in registered.index if p in raw.index and raw[p] > 0]
        total_raw = float(raw[in_area].sum()) if in_area else 0.0
        scale = float(registered[in_area].sum() / total_raw) if total_raw > 0 else 1.0
        basis = "scaled so the area's estimated total equals its registered total (no published weighted lists)"
    weighted = pd.Series({p: float(raw[p]) * scale for p in wanted if p in raw.index and raw[p] > 0}, dtype=float)
    missing = [p for p in wanted if p not in weighted.index and p in registered.index]
    for practice in missing:  # no age-sex rows: weight 1 per registered patient
        weighted[practice] = float(registered[practice])
    return Estimate(weighted=weighted, scale=scale, scale_basis=basis)
