"""Fictional agencies and their yearly figures, consistent across years.

Figures are simulated first and printed later: the chains real evaluators check hold by
construction (X1 上年结转(t) = 结转下年度(t−1); X2 上一年项目数量 chain; X3 现行有效件数
chain, broken now and then by revisions as in real reports), and request volumes are
heavy-tailed (most agencies receive 0–5 requests a year, a few receive hundreds).
Injected printing errors are applied to a copy of the figures (see :func:`inject_error`).
"""

from __future__ import annotations

import copy
import math
import random
from dataclasses import dataclass, field
from functools import cache

from ..spec import table_spec

APPLICANT_COLS = ["natural", "business", "research", "public_interest", "legal_services", "other_org"]
TABLE3_COLS = [*APPLICANT_COLS, "total"]
TABLE4_ROWS = ["review", "litigation_direct", "litigation_after_review"]
TABLE4_COLS = ["upheld", "corrected", "other", "pending", "total"]

# Share of processed requests per outcome row (v2021 sub-rows of 其他处理 split `other`).
_OUTCOME_WEIGHTS = {
    "open": 40, "partial": 8, "refuse_state_secret": 0.3, "refuse_law": 0.6, "refuse_safety": 0.3,
    "refuse_third_party": 1.2, "refuse_internal": 1.5, "refuse_process": 1.5, "refuse_enforcement": 0.5,
    "refuse_query": 0.6, "unable_not_held": 18, "unable_needs_creation": 3, "unable_unclear": 2,
    "reject_complaint": 2, "reject_repeat": 3, "reject_publication": 0.5, "reject_mass_repeat": 1,
    "reject_confirm": 0.6, "other": 6,
}
_OTHER_SPLIT = {"other_no_correction": 3, "other_no_fee": 1, "other_other": 2}

_LEVEL_BASE = {  # mean yearly requests before the department scale and the agency's own factor
    ("province", "government"): 150, ("province", "department"): 12, ("city", "government"): 60,
    ("city", "department"): 6, ("county", "government"): 10, ("county", "department"): 1.5,
    ("township", "government"): 0.7,
}


@cache
def table3_rows(template: str) -> tuple[str, ...]:
    """Row codes of table 三 as printed under ``template`` (``v2019``, ``v2021``, ``v2021-other1``)."""
    rows = table_spec("table3_rows")
    column = "v2019" if template in ("v2019", "v2021-other1") else "v2021"
    # a v2021 report printing the single v2019 （六）其他处理 row (seen in real reports) has v2019 rows
    return tuple(code for code, label in zip(rows["row_code"], rows[column]) if label)


@dataclass
class Agency:
    """One fictional agency and its printing habits (stable across its years)."""

    name: str
    slug: str
    level: str  # province / city / county / township
    kind: str  # government / department
    region: str
    city: str
    we: str
    scale: float
    issues_rules: bool
    habits: dict = field(default_factory=dict)


@dataclass
class YearFigures:
    """The figures one agency prints for one year (values as printed; None = blank)."""

    year: int
    template: str  # v2019 / v2021 / v2021-other1 / legacy
    table3: dict[str, dict[str, int | None]] = field(default_factory=dict)
    table4: dict[str, dict[str, int | None]] = field(default_factory=dict)
    table2: dict[tuple[str, str], float | int | None] = field(default_factory=dict)
    units: dict[tuple[str, str], str] = field(default_factory=dict)
    received_total: int = 0
    active_items: int = 0
    injected: list[str] = field(default_factory=list)


def poisson(rng: random.Random, lam: float) -> int:
    """A Poisson draw (Knuth for small means, rounded normal for large ones)."""
    if lam <= 0:
        return 0
    if lam > 40:
        return max(0, round(rng.gauss(lam, math.sqrt(lam))))
    limit, k, p = math.exp(-lam), 0, 1.0
    while True:
        p *= rng.random()
        if p <= limit:
            return k
        k += 1


def multinomial(rng: random.Random, n: int, weights: dict[str, float]) -> dict[str, int]:
    """Split ``n`` items over the keys of ``weights``."""
    keys = list(weights)
    total = sum(weights.values())
    out = dict.fromkeys(keys, 0)
    remaining, mass = n, total
    for key in keys[:-1]:
        if remaining == 0:
            break
        p = min(1.0, weights[key] / mass) if mass > 0 else 0.0
        draw = sum(1 for _ in range(remaining) if rng.random() < p) if remaining < 400 else \
            max(0, min(remaining, round(rng.gauss(remaining * p, math.sqrt(max(remaining * p * (1 - p), 1e-9))))))
        out[key] = draw
        remaining -= draw
        mass -= weights[key]
    out[keys[-1]] += remaining
    return out


class AgencyHistory:
    """Simulates one agency year after year, carrying the chained quantities forward."""

    def __init__(self, agency: Agency, rng: random.Random):
        self.agency = agency
        self.rng = rng
        base = _LEVEL_BASE[(agency.level, agency.kind)] * agency.scale
        # heavy tail: the agency's own factor is log-normal, so a few agencies get hundreds
        self.mean_requests = base * math.exp(rng.gauss(0, 1.2))
        self.natural_share = rng.uniform(0.75, 0.98)
        self.carried = dict.fromkeys(APPLICANT_COLS, 0)
        self.rules_public = poisson(rng, 40) if agency.issues_rules else 0
        self.norm_public = poisson(rng, 12 + 60 * (agency.level == "province"))
        self.rules_in_force = poisson(rng, 30) if agency.issues_rules else 0
        self.norm_in_force = poisson(rng, 10 + 40 * (agency.level == "province"))
        self.items = {code: poisson(rng, lam) for code, lam in
                      (("licensing", 25 * agency.scale), ("other_services", 8), ("penalty", 60 * agency.scale),
                       ("coercion", 6), ("fees", 4))}
        self.decision_scale = {code: math.exp(rng.gauss(math.log(max(lam, 0.5)), 1.0)) for code, lam in
                               (("licensing", 300 * agency.scale), ("other_services", 50),
                                ("penalty", 80 * agency.scale), ("coercion", 6))}
        self.changes = dict.fromkeys(self.items, 0)
        self.fee_level = math.exp(rng.gauss(3, 2)) if rng.random() < 0.4 else 0.0

    # --- table 三 -------------------------------------------------------------------------
    def _table3(self, template: str) -> tuple[dict, int]:
        rng = self.rng
        received_total = poisson(rng, self.mean_requests * math.exp(rng.gauss(0, 0.35)))
        org_weights = {"business": 5, "research": 0.4, "public_interest": 0.4, "legal_services": 1.2,
                       "other_org": 1.5}
        n_natural = sum(1 for _ in range(received_total) if rng.random() < self.natural_share) \
            if received_total < 400 else round(received_total * self.natural_share)
        received = {"natural": n_natural, **multinomial(rng, received_total - n_natural, org_weights)}
        rows = table3_rows(template)
        outcome_rows = [r for r in rows if r not in ("received", "carried_in", "total", "carried_forward")]
        weights = {}
        for code in outcome_rows:
            if code in _OTHER_SPLIT:
                weights[code] = _OUTCOME_WEIGHTS["other"] * _OTHER_SPLIT[code] / sum(_OTHER_SPLIT.values())
            else:
                weights[code] = _OUTCOME_WEIGHTS[code]
        table = {code: {} for code in rows}
        backlog_rate = rng.choice([0, 0, 0.03, 0.06, 0.1]) if received_total > 10 else 0
        for col in APPLICANT_COLS:
            available = received[col] + self.carried[col]
            forward = sum(1 for _ in range(available) if rng.random() < backlog_rate) if available < 400 \
                else round(available * backlog_rate)
            split = multinomial(rng, available - forward, weights)
            table["received"][col] = received[col]
            table["carried_in"][col] = self.carried[col]
            for code in outcome_rows:
                table[code][col] = split[code]
            table["total"][col] = available - forward
            table["carried_forward"][col] = forward
            self.carried[col] = forward
        for code in rows:
            table[code]["total"] = sum(table[code][c] for c in APPLICANT_COLS)
        return table, received_total

    def _table4(self, received_total: int) -> dict:
        rng = self.rng
        table = {}
        for row, rate in zip(TABLE4_ROWS, (0.03, 0.012, 0.01)):
            cases = poisson(rng, received_total * rate)
            split = multinomial(rng, cases, {"upheld": 6, "corrected": 1.5, "other": 1.5, "pending": 1.5})
            table[row] = {**split, "total": cases}
        return table

    # --- table 二 -------------------------------------------------------------------------
    def _decisions(self, code: str) -> int:
        return poisson(self.rng, self.decision_scale[code] * math.exp(self.rng.gauss(0, 0.3)))

    def _table2(self, template: str) -> dict:
        rng, a = self.rng, self.agency
        t2: dict[tuple[str, str], float | int | None] = {}
        new_rules = poisson(rng, 3 if a.level == "province" else 1) if a.issues_rules else 0
        new_norm = poisson(rng, 6 if a.level == "province" else 2.5)
        repealed_rules = poisson(rng, new_rules * 0.5) if a.issues_rules else 0
        repealed_norm = poisson(rng, new_norm * 0.6)
        self.rules_public += new_rules
        self.norm_public += new_norm
        self.rules_in_force = max(0, self.rules_in_force + new_rules - repealed_rules)
        self.norm_in_force = max(0, self.norm_in_force + new_norm - repealed_norm)
        if rng.random() < 0.1:  # a clean-up campaign revises the stock: X3 legitimately breaks
            self.norm_in_force = max(0, self.norm_in_force - poisson(rng, 4) - 1)
        if template == "v2019":
            t2[("rules", "made")] = new_rules
            t2[("rules", "published")] = new_rules
            t2[("rules", "public_total")] = self.rules_public
            t2[("normative_docs", "made")] = new_norm
            t2[("normative_docs", "published")] = new_norm if rng.random() < 0.85 else max(0, new_norm - 1)
            t2[("normative_docs", "public_total")] = self.norm_public
        else:
            t2[("rules", "issued")] = new_rules
            t2[("rules", "repealed")] = repealed_rules
            t2[("rules", "in_force")] = self.rules_in_force
            t2[("normative_docs", "issued")] = new_norm
            t2[("normative_docs", "repealed")] = repealed_norm
            t2[("normative_docs", "in_force")] = self.norm_in_force
        for code in ("licensing", "other_services", "penalty", "coercion", "fees"):
            prev = self.items[code]
            change = rng.choice([0, 0, 0, 1, -1, 2, -2, 3, -4, 5, -8]) if prev > 8 else rng.choice([0, 0, 1])
            self.items[code] = max(0, prev + change)
            if template == "v2019":
                t2[(code, "prev_items")] = prev
                t2[(code, "change")] = self.items[code] - prev
                if code != "fees":
                    t2[(code, "decisions")] = self._decisions(code)
            elif code in ("licensing", "penalty", "coercion"):
                t2[(code, "decisions")] = self._decisions(code)
        if template == "v2019":
            items = poisson(rng, 30 * a.scale) if rng.random() < 0.8 else 0
            t2[("procurement", "items")] = items
            t2[("procurement", "amount")] = round(items * math.exp(rng.gauss(11, 1.2)), rng.choice([0, 0, 1, 2])) \
                if items else 0
        else:
            fee = self.fee_level * math.exp(rng.gauss(0, 0.2)) if self.fee_level else 0
            t2[("fees", "fee_amount")] = round(fee, rng.choice([2, 2, 4])) if fee else 0
        return t2

    def year(self, year: int, template: str) -> YearFigures:
        """The figures of ``year`` (``template`` legacy: only counts quoted in the prose)."""
        if template == "legacy":
            _, received_total = self._table3("v2019")  # keeps the carry-over state moving
            for col in APPLICANT_COLS:  # legacy reports have no backlog column; start clean in 2019
                self.carried[col] = 0
            return YearFigures(year, template, received_total=received_total,
                               active_items=poisson(self.rng, 80 + 400 * self.agency.scale))
        table3, received_total = self._table3(template)
        return YearFigures(year, template, table3=table3, table4=self._table4(received_total),
                           table2=self._table2("v2019" if template == "v2019" else "v2021"),
                           received_total=received_total,
                           active_items=poisson(self.rng, 80 + 400 * self.agency.scale))


def blank_out(figures: YearFigures, habits: dict, rng: random.Random, tables_may_blank: bool = True) -> None:
    """Apply the agency's blank-cell habits to the printed figures (blank ≠ 0).

    ``tables_may_blank`` is False when tables 三/四 are printed glued: such text only comes
    from fully filled tables (a glued row with blanks would be unreadable even by hand).
    """
    t3 = figures.table3
    if tables_may_blank:
        _blank_tables(t3, figures.table4, habits, rng)
    if habits.get("table2_blank") and rng.random() < 0.5:
        key = rng.choice([k for k in figures.table2 if k[1] in ("decisions", "prev_items")] or [None])
        if key is not None:
            figures.table2[key] = None


def _blank_tables(t3: dict, t4: dict, habits: dict, rng: random.Random) -> None:
    if habits.get("zeros_blank"):
        # prints nothing where nothing happened, keeping the key rows filled
        for row, cells in t3.items():
            if row in ("received", "total"):
                continue
            for col, value in cells.items():
                if value == 0 and rng.random() < 0.9:
                    cells[col] = None
        for cells in t4.values():
            for col, value in cells.items():
                if value == 0 and col != "total":
                    cells[col] = None
    if habits.get("total_blank"):
        # fills the 总计 column only on 一、二、（七）、四 (a real report does this)
        for row, cells in t3.items():
            if row not in ("received", "carried_in", "total", "carried_forward"):
                cells["total"] = None
    elif rng.random() < 0.05:
        row = rng.choice([r for r in t3 if r not in ("received", "total")])
        t3[row]["total"] = None


def inject_error(figures: YearFigures, rng: random.Random) -> YearFigures:
    """A copy of ``figures`` with one printed arithmetic slip; the slip is named in ``injected``."""
    out = copy.deepcopy(figures)
    t3 = out.table3
    delta = rng.choice([1, 1, 2, -1, 3, 10])
    kind = rng.choice(["outcome_typo", "row_total", "carried_forward", "review_total"])
    if kind == "review_total" and out.table4["review"]["total"]:
        out.table4["review"]["total"] = 0
        out.injected.append("R4[复议]: 总计 printed 0")
        return out
    if kind == "review_total":
        kind = "row_total"
    filled = [r for r in t3 if r not in ("received", "carried_in", "total", "carried_forward")
              and t3[r]["natural"] is not None and t3[r]["total"] is not None]
    if kind == "outcome_typo" and filled:
        row = rng.choice(filled)
        t3[row]["natural"] = max(0, t3[row]["natural"] + delta)
        t3[row]["total"] = max(0, t3[row]["total"] + delta)
        out.injected.append(f"R3: table3/{row}/natural and total printed {delta:+d}")
    elif kind == "carried_forward" and t3["carried_forward"]["natural"] is not None \
            and t3["carried_forward"]["total"] is not None:
        t3["carried_forward"]["natural"] += abs(delta)
        t3["carried_forward"]["total"] += abs(delta)
        out.injected.append(f"R1: table3/carried_forward/natural and total printed +{abs(delta)}")
    else:
        row = rng.choice([r for r in t3 if t3[r]["total"] is not None])
        t3[row]["total"] = max(0, t3[row]["total"] + abs(delta))
        out.injected.append(f"R2: table3/{row}/total printed +{abs(delta)}")
    return out
