"""Write the bundled SYNTHETIC example scenarios.

Run from anywhere:  python data/generate.py  [--out DIR] [--england] [--check]

Writes (next to this file unless --out is given):
  example_icb/          CSV directory + settings.json: a large urban ICB, deliverable
  example_icb.json      the same scenario as one JSON document (the API's request body)
  undeliverable_offer/  the same ICB and offer with ~40% of the money needed
  tiny/                 2 practices, 1 PCN, 2 roles, 2 services, written by hand; the optimum
                        is derived by hand in tiny/README.md (not written by this script)
  README.md             what each scenario is and its size

Everything is SYNTHETIC (calibrated to public England figures for 2024-25, not real
practices) and deterministic: running the script twice gives byte-identical files.
--england also prints the summary and timing of the England-sized scenario the README
quotes (it is generated, not written, on every run); --check solves the
bundled scenarios with the project's solver (needs the ``optimiser`` package).
"""

from __future__ import annotations

import argparse
import copy
import json
import math
import sys
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from models.schema import TABLES  # noqa: E402
from models.synthetic import estimate_new_hire_cost, generate_scenario  # noqa: E402

SEED = 2025
ICB: dict[str, Any] = {"seed": SEED, "n_practices": 230, "n_pcns": 28, "n_roles": 12, "n_services": 14}
# Share of the rough estimate given to undeliverable_offer. The estimate runs ~25% above the
# solver's min_cost for example_icb (£14.6m vs £11.56m), so this is ~40% of what is needed.
UNDELIVERABLE_SHARE = 0.32
ENGLAND: dict[str, Any] = {"seed": SEED, "n_practices": 6300, "n_pcns": 1250, "n_roles": 15, "n_services": 25}

Document = dict[str, Any]


# --------------------------------------------------------------------------------------
# scenarios
# --------------------------------------------------------------------------------------


def example_icb() -> Document:
    """~230 practices, ~1.3m patients, 28 PCNs, 12 roles, 14 services; deliverable."""
    return generate_scenario(**ICB)


def undeliverable_offer(icb: Document) -> Document:
    """The same ICB and offer, funded at ~40% of what meeting the standards costs (the solver's figure)."""
    document = copy.deepcopy(icb)
    budget = round(UNDELIVERABLE_SHARE * estimate_new_hire_cost(icb), -5)
    document["settings"]["budget_gbp"] = float(budget)
    return document


# Fair shares (docs/fairness.md): the schemes being replaced paid about this much per registered
# (unweighted) patient, with each practice's historic activity moving it by FAIR_NOISE (sd).
FAIR_PRIOR_RATE_GBP = 7.0
FAIR_NOISE = 0.15
FAIR_SIZE = "same as `example_icb/`, plus `prior_funding_gbp` and `imd_score`"


def fair_shares(icb: Document) -> Document:
    """example_icb plus prior funding and an IMD score per practice, with the no-loser floor switched on.

    prior_funding_gbp: £7 per registered patient x (1 + noise), rounded to £10: what the schemes being
    replaced pay today (historic schemes paid on raw lists, so practices with needier, more heavily
    weighted lists get less per weighted patient). imd_score: 21.7 + 15 x (weighted/list - 1) / 0.08
    + noise, clipped to 1.5..80 (England's LSOA scores run ~0.5-93, mean ~21.7): more deprived
    practices have heavier Carr-Hill weights, as in the generator.
    """
    import numpy as np

    document = copy.deepcopy(icb)
    rng = np.random.default_rng(SEED + 13)
    for practice in document["practices"]:
        ratio = practice["weighted_list_size"] / practice["list_size"]
        noise, imd_noise = rng.normal(0.0, FAIR_NOISE), rng.normal(0.0, 6.0)
        prior = FAIR_PRIOR_RATE_GBP * practice["list_size"] * min(1.4, max(0.6, 1.0 + noise))
        practice["prior_funding_gbp"] = float(round(prior, -1))
        practice["imd_score"] = float(round(min(80.0, max(1.5, 21.7 + 15.0 * (ratio - 1.0) / 0.08 + imd_noise)), 1))
    document["settings"]["no_practice_below_prior"] = True
    return document


def tiny() -> Document:
    """Hand-written scenario whose min_cost optimum (£37,000) is derived in tiny/README.md."""
    return {
        "settings": {
            "budget_mode": "pooled",
            "budget_gbp": 50000.0,
            "objective": "min_cost",
            "time_limit_s": 60,
            "mip_rel_gap": 1e-4,
        },
        "practices": [
            {
                "practice_id": "P1",
                "pcn_id": "PCN1",
                "list_size": 6000,
                "weighted_list_size": 6000.0,
                "name": "Synthetic Practice 1",
            },
            {
                "practice_id": "P2",
                "pcn_id": "PCN1",
                "list_size": 4000,
                "weighted_list_size": 4000.0,
                "name": "Synthetic Practice 2",
            },
        ],
        "pcns": [{"pcn_id": "PCN1", "arrs_entitlement_gbp": 45000.0, "name": "Synthetic PCN 1"}],
        "roles": [
            {
                "role_id": "salaried_gp",
                "category": "gp",
                "cost_per_fte_gbp": 100000.0,
                "clinical_hours_per_fte": 1000.0,
                "max_contacts_per_day": 25.0,
                "working_days_per_fte": 200.0,
                "arrs_reimbursement_max_gbp": None,
                "supply_max_fte": 0.3,
                "name": "Salaried GP",
            },
            {
                "role_id": "clinical_pharmacist",
                "category": "arrs",
                "cost_per_fte_gbp": 60000.0,
                "clinical_hours_per_fte": 1000.0,
                "max_contacts_per_day": None,
                "working_days_per_fte": None,
                "arrs_reimbursement_max_gbp": 50000.0,
                "supply_max_fte": None,
                "name": "Clinical pharmacist",
            },
        ],
        "staff": [
            {"holder_id": "P1", "role_id": "salaried_gp", "fte": 2.0},
            {"holder_id": "P2", "role_id": "salaried_gp", "fte": 1.0},
            {"holder_id": "PCN1", "role_id": "clinical_pharmacist", "fte": 0.5},
        ],
        "services": [
            {
                "service_id": "same_day_access",
                "contacts_per_patient": 2.0,
                "min_coverage": 0.8,
                "max_coverage": 1.0,
                "prevalence": 1.0,
                "value_weight": 1.0,
                "name": "Same-day access",
            },
            {
                "service_id": "medication_reviews",
                "contacts_per_patient": 1.0,
                "min_coverage": 0.8,
                "max_coverage": 1.0,
                "prevalence": 0.3,
                "value_weight": 1.0,
                "name": "Medication reviews",
            },
        ],
        "skill_mix": [
            {"service_id": "same_day_access", "role_id": "salaried_gp", "minutes_per_contact": 10.0},
            {"service_id": "medication_reviews", "role_id": "salaried_gp", "minutes_per_contact": 10.0},
            {"service_id": "medication_reviews", "role_id": "clinical_pharmacist", "minutes_per_contact": 30.0},
        ],
    }


# --------------------------------------------------------------------------------------
# writers (deterministic formatting)
# --------------------------------------------------------------------------------------


def _cell(value: Any) -> str:
    """CSV text of a value: blank for None, whole floats without '.0', else shortest repr."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError(f"cannot write non-finite number {value!r}")
        return str(int(value)) if value.is_integer() and abs(value) < 1e15 else repr(value)
    text = str(value)
    if any(ch in text for ch in ',"\n\r'):
        return '"' + text.replace('"', '""') + '"'
    return text


def _columns(table: str, records: list[dict[str, Any]]) -> list[str]:
    """Contract columns used by at least one record (blank everywhere = omitted), in contract order."""
    known = TABLES[table].column_names
    present = {key for record in records for key, value in record.items() if value is not None}
    unknown = present - set(known)
    if unknown:
        raise ValueError(f"{table}: unknown columns {sorted(unknown)}")
    return [c for c in known if c in present]


def write_csv_dir(document: Document, directory: Path) -> None:
    """One CSV per table plus settings.json; stale CSVs and settings.json are removed first."""
    directory.mkdir(parents=True, exist_ok=True)
    for old in [*directory.glob("*.csv"), directory / "settings.json"]:
        old.unlink(missing_ok=True)
    (directory / "settings.json").write_text(json.dumps(document["settings"], indent=2) + "\n")
    for table in TABLES:
        records = document.get(table)
        if records is None:
            continue
        columns = _columns(table, records)
        lines = [",".join(columns)]
        lines.extend(",".join(_cell(record.get(c)) for c in columns) for record in records)
        (directory / f"{table}.csv").write_text("\n".join(lines) + "\n")


def write_json(document: Document, path: Path) -> None:
    """The whole document as JSON, one record per line, blank (None) cells left out."""
    parts = ['{\n  "settings": ' + json.dumps(document["settings"])]
    for table in TABLES:
        records = document.get(table)
        if records is None:
            continue
        rows = [json.dumps({k: v for k, v in record.items() if v is not None}) for record in records]
        parts.append(f'  "{table}": [\n    ' + ",\n    ".join(rows) + "\n  ]")
    path.write_text(",\n".join(parts) + "\n}\n")


# --------------------------------------------------------------------------------------
# summary statistics
# --------------------------------------------------------------------------------------


def summary(document: Document) -> dict[str, Any]:
    """Headline calibration figures of a document (for the README and the self-check)."""
    practices = document["practices"]
    lists = sorted(p["list_size"] for p in practices)
    n = len(lists)
    roles = {r["role_id"]: r for r in document["roles"]}
    pcn_patients: dict[str, int] = {}
    for p in practices:
        pcn_patients[p["pcn_id"]] = pcn_patients.get(p["pcn_id"], 0) + p["list_size"]
    gp_fte = sum(
        s["fte"] for s in document["staff"] if roles[s["role_id"]]["category"] == "gp" or s["role_id"] == "arrs_gp"
    )
    arrs_fte = sum(s["fte"] for s in document["staff"] if roles[s["role_id"]]["category"] == "arrs")
    patients = sum(lists)
    rate = document["settings"].get("arrs_rate_gbp_per_weighted_patient") or 22.894
    pcn_weighted: dict[str, float] = {}
    for p in practices:
        weighted = p.get("weighted_list_size") or p["list_size"]
        pcn_weighted[p["pcn_id"]] = pcn_weighted.get(p["pcn_id"], 0.0) + weighted
    entitlement = {
        n["pcn_id"]: n.get("arrs_entitlement_gbp")
        if n.get("arrs_entitlement_gbp") is not None
        else rate * pcn_weighted[n["pcn_id"]]
        for n in document["pcns"]
    }
    pcn_of = {p["practice_id"]: p["pcn_id"] for p in practices}
    used = dict.fromkeys(entitlement, 0.0)
    for s in document["staff"]:
        role = roles[s["role_id"]]
        if role["category"] == "arrs" and role.get("arrs_reimbursement_max_gbp") is not None:
            reimb = min(role["cost_per_fte_gbp"], role["arrs_reimbursement_max_gbp"])
            used[pcn_of.get(s["holder_id"], s["holder_id"])] += reimb * s["fte"]
    return {
        "practices": n,
        "patients": patients,
        "mean_list": patients / n,
        "median_list": lists[n // 2],
        "share_under_5000": sum(x < 5000 for x in lists) / n,
        "share_over_20000": sum(x > 20000 for x in lists) / n,
        "pcns": len(document["pcns"]),
        "pcn_min": min(pcn_patients.values()),
        "pcn_max": max(pcn_patients.values()),
        "roles": len(document["roles"]),
        "services": len(document["services"]),
        "gp_fte": gp_fte,
        "patients_per_gp_fte": patients / gp_fte if gp_fte else math.inf,
        "arrs_fte": arrs_fte,
        "arrs_entitlement_gbp": sum(entitlement.values()),
        "arrs_used_share": sum(used.values()) / sum(entitlement.values()) if entitlement else 0.0,
        "pcns_without_headroom": sum(used[k] >= entitlement[k] for k in entitlement),
        "explicit_entitlements": sum(n.get("arrs_entitlement_gbp") is not None for n in document["pcns"]),
        "budget_gbp": document["settings"].get("budget_gbp"),
    }


def _print_summary(name: str, stats: dict[str, Any]) -> None:
    print(
        f"{name}: {stats['practices']:,} practices, {stats['patients']:,} patients "
        f"(mean list {stats['mean_list']:,.0f}, median {stats['median_list']:,}; "
        f"{stats['share_under_5000']:.1%} under 5,000, {stats['share_over_20000']:.1%} over 20,000); "
        f"{stats['pcns']:,} PCNs of {stats['pcn_min']:,}-{stats['pcn_max']:,} patients; "
        f"{stats['roles']} roles, {stats['services']} services; GP FTE {stats['gp_fte']:,.1f} "
        f"({stats['patients_per_gp_fte']:,.0f} patients per GP FTE); existing ARRS FTE {stats['arrs_fte']:,.1f} "
        f"using {stats['arrs_used_share']:.1%} of entitlement ({stats['pcns_without_headroom']} PCNs without "
        f"headroom); "
        f"budget £{stats['budget_gbp']:,.0f}"
    )


# --------------------------------------------------------------------------------------
# README
# --------------------------------------------------------------------------------------

SYNTHETIC_HEADING = "# The synthetic examples"


def _size_line(stats: dict[str, Any]) -> str:
    pcns = (
        "1 PCN" if stats["pcns"] == 1 else f"{stats['pcns']} PCNs ({stats['pcn_min']:,}–{stats['pcn_max']:,} patients)"
    )
    return (
        f"{stats['practices']:,} practices, {stats['patients']:,} registered patients, {pcns}, "
        f"{stats['roles']} roles, {stats['services']} services"
    )


def readme(icb: Document, undeliverable: Document, tiny_doc: Document, estimate: float, england: Document) -> str:
    s_icb, s_und, s_tiny, s_eng = summary(icb), summary(undeliverable), summary(tiny_doc), summary(england)
    roles = ", ".join(r["role_id"] for r in icb["roles"])
    services = ", ".join(s["service_id"] for s in icb["services"])
    return f"""{SYNTHETIC_HEADING}

**Everything below is SYNTHETIC.** The scenarios are calibrated to public
England figures for 2024–25 (list sizes, PCN sizes, GP FTE per patient, ARRS
reimbursement maxima and entitlement, disease prevalence, usual minimum standards; see
`shared/docs/domain.md`). They are **not** real practices, PCNs or staff, and no figure
in them should be presented as describing a real place.

All synthetic files are written by `python data/generate.py` (seed {SEED}, deterministic: running
it twice gives byte-identical files) from `models.synthetic.generate_scenario`, except
`tiny/`, whose tables are written by hand in the script and whose optimum is derived by
hand in `tiny/README.md`.

| scenario | format | size | budget |
|---|---|---|---|
| `example_icb/` | CSV directory + `settings.json` | {_size_line(s_icb)} | £{s_icb["budget_gbp"]:,.0f} pooled |
| `example_icb.json` | one JSON document (API request body) | same as `example_icb/` | same |
| `undeliverable_offer/` | CSV directory + `settings.json` | {_size_line(s_und)} | £{s_und["budget_gbp"]:,.0f} pooled |
| `tiny/` | CSV directory + `settings.json` | {_size_line(s_tiny)} | £{s_tiny["budget_gbp"]:,.0f} pooled |
| `fair_shares/` | CSV directory + `settings.json` | {FAIR_SIZE} | same, no practice below its prior funding |

## example_icb — a large urban ICB, deliverable
`generate_scenario(seed={SEED}, n_practices=230, n_pcns=28, n_roles=12, n_services=14)`:
a Birmingham-sized ICB (domain.md: ~240 practices, ~1.3m patients) with many small
practices (mean list {s_icb["mean_list"]:,.0f}, {s_icb["share_under_5000"]:.0%} under 5,000). The list-size
distribution has England's shape: at England size (`n_practices=6300, n_pcns=1250`) the
same generator gives {s_eng["patients"] / 1e6:.1f}m patients, mean list {s_eng["mean_list"]:,.0f},
{s_eng["share_under_5000"]:.0%} under 5,000, {s_eng["share_over_20000"]:.0%} over 20,000 and
{s_eng["patients_per_gp_fte"]:,.0f} patients per GP FTE (England 2024–25: 63.9m, ~10,000,
22%, ~5%, ~2,260).
Existing workforce: {s_icb["gp_fte"]:,.1f} GP FTE ({s_icb["patients_per_gp_fte"]:,.0f} patients
per GP FTE), practice nurses and HCAs at every practice, and {s_icb["arrs_fte"]:,.1f} FTE of
PCN-held ARRS staff using {s_icb["arrs_used_share"]:.0%} of the area's £{s_icb["arrs_entitlement_gbp"]:,.0f}
ARRS entitlement ({s_icb["pcns_without_headroom"]} of {s_icb["pcns"]} PCNs have no headroom left).
{s_icb["explicit_entitlements"]} PCNs have an explicit `arrs_entitlement_gbp`; the rest take the
default £22.894 × weighted population. Eligible patients per practice vary with a synthetic
deprivation score (`eligibility.csv`).

- roles: {roles}
- services: {services}

The fourteen services are a "universal offer" of reviews, checks, screening and
immunisations plus access standards, with `routine_appointments`
(pre-bookable, 3 contacts per patient, 85% met) in place of the NHS Health Check, which
local authorities commission (`n_services=15` brings it back). With same-day access
(2.5 contacts per patient, 85% met) the minimum standards ask for ~5 contacts per
patient a year (England: ~5.8 appointments per patient a year, about half with a GP),
a little more than the existing workforce gives within the safe-working cap of 25
contacts per GP-day, so new staff are needed. The generator's rough estimate of their
cost is £{estimate:,.0f} a year and the budget is 1.3 × that estimate, rounded. When this
was written, the solver's min_cost spend was about £11.6m a year (mostly new practice
nurses, plus ARRS advanced practitioners inside the entitlement headroom and paramedics
up to their supply limit), so the budget leaves ~£7m for `max_value` runs; check the
current figure with `python data/generate.py --check`. Social prescribing link workers
deliver none of these fourteen services, so their FTE use ARRS entitlement without adding
capacity for this offer.

## undeliverable_offer — the same ICB, money too low
Identical to `example_icb` except `budget_gbp` = {UNDELIVERABLE_SHARE:.0%} of the rough
estimate (£{s_und["budget_gbp"]:,.0f}), about 40% of what the minimum standards cost (the
solver's min_cost, ~£11.6m when this was written), so `commission check` reports it
undeliverable and the `budget` lever gives the gap.

## fair_shares — the same ICB, no practice worse off
Identical to `example_icb` plus, per practice, `prior_funding_gbp` (what the schemes being
replaced pay today: £{FAIR_PRIOR_RATE_GBP:.2f} per registered patient moved ±{FAIR_NOISE:.0%} (sd) by
historic activity, rounded to £10) and a synthetic `imd_score` (heavier Carr-Hill weights mean
more deprivation), with `no_practice_below_prior` switched on. Least cost vs most value vs
fairest on it, side by side: `docs/fairness.md`.

## tiny — two practices, worked by hand
Two practices in one PCN, a salaried GP role (with a supply limit) and a clinical
pharmacist (ARRS), same-day access and medication reviews. Round numbers; the min_cost
optimum (£37,000) and the rules that bind (ARRS entitlement, GP workforce supply, the
safe-working cap) are derived step by step in `tiny/README.md`.

## Regenerating at other sizes
```python
from models.synthetic import generate_scenario
doc = generate_scenario(seed=1, n_practices=6300, n_pcns=1250, n_roles=15, n_services=25)  # England-sized
```
Useful knobs: `budget_gbp`, `budget_factor`, `demand_scale` (multiplies every service's
contacts), `arrs_utilisation`, `gp_supply_share`, `budget_mode="per_practice"`,
`with_eligibility`, `fte_step` (makes a MIP). `models.synthetic.estimate_new_hire_cost(doc)`
gives the rough cost of new hires for any document.
"""


# --------------------------------------------------------------------------------------
# main
# --------------------------------------------------------------------------------------


def _check_with_solver(named: dict[str, Document]) -> None:
    from optimiser.runs import run_job

    for name, document in named.items():
        outcome = run_job("solve", document)
        print(f"check {name}: status={outcome.result['status']} objective={outcome.result.get('objective_value')}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, default=Path(__file__).resolve().parent, help="output directory")
    parser.add_argument("--england", action="store_true", help="also time and summarise an England-sized scenario")
    parser.add_argument("--check", action="store_true", help="solve the scenarios with the project's solver")
    args = parser.parse_args(argv)
    out: Path = args.out
    out.mkdir(parents=True, exist_ok=True)

    icb = example_icb()
    estimate = estimate_new_hire_cost(icb)
    undeliverable = undeliverable_offer(icb)
    tiny_doc = tiny()

    write_csv_dir(icb, out / "example_icb")
    write_json(icb, out / "example_icb.json")
    write_csv_dir(undeliverable, out / "undeliverable_offer")
    write_csv_dir(tiny_doc, out / "tiny")
    write_csv_dir(fair_shares(icb), out / "fair_shares")
    started = time.perf_counter()
    england = generate_scenario(**ENGLAND)
    elapsed = time.perf_counter() - started
    readme_path = out / "README.md"  # keeps the hand-written part above the synthetic heading (real data)
    kept = readme_path.read_text().split(SYNTHETIC_HEADING)[0] if readme_path.exists() else ""
    readme_path.write_text(kept + readme(icb, undeliverable, tiny_doc, estimate, england))

    _print_summary("example_icb", summary(icb))
    print(
        f"example_icb: rough new-hire estimate £{estimate:,.0f}; undeliverable budget "
        f"£{undeliverable['settings']['budget_gbp']:,.0f}"
    )
    if args.england:
        _print_summary("england", summary(england))
        print(f"england: generated in {elapsed:.2f}s; rough new-hire estimate £{estimate_new_hire_cost(england):,.0f}")
    if args.check:
        _check_with_solver({"example_icb": icb, "undeliverable_offer": undeliverable, "tiny": tiny_doc})
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
