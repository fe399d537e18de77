"""Yearly inspection plans (rules §10, Art. 27): every B, C and D object of a bureau's subtree
with the inspections its class needs (B ≥ 1, C ≥ 2, D ≥ 4 a year) and those done so far, and a
random selection of A-class objects (双随机) that anyone can draw again.

How the plan reads the rules:
- The classes are those of the latest classification run on or before the plan date (the
  earlier of today and 31 December of the year), which must fall in the year.
- The inspections of Art. 27 (每年实施N次以上监督抽查或检查) are inspections: an inspection
  of an object is a spot check (监督抽查, passed or failed) of it, dated when it was sampled.
  An operator's own object is also inspected by spot checks of its products and of products
  sampled from it as a seller. Other credit matters (a penalty decision, a refusal found
  elsewhere) are not inspections and are not counted (rules §10). The system records no
  on-site visits (现场检查) of their own yet; spot checks are the inspections it knows. "Done
  so far" counts those dated in the year up to today.
- Art. 27(1) lets the random-selection coefficient of an A object be lowered after two or
  more consecutive inspections that found nothing ("未发现不合格或其他违法行为"): when its two
  latest inspections up to the plan date were both clean (passed spot checks) and no matter
  was recorded against it in between or since, its weight in the draw is
  INSPECTION_CLEAN_WEIGHT (0.5 by default) instead of 1. There a matter breaks the run of
  clean inspections (a violation was found), although it is not counted as an inspection.
- The draw: candidates ordered by object id, `random.Random(seed)` gives each a number u in
  that order, and the ceil(N × ratio) candidates with the largest u ** (1 / weight) are
  selected (weighted sampling without replacement, Efraimidis–Spirakis). The seed, run,
  bureau, ratio, weight and a digest of the candidate list are recorded with the plan.
"""

from .draw import digest, draw, weight_text
from .inspections import REQUIRED, clean_twice, inspections_done
from .plan import PlanData, PlanRow, build_plan, plan_date, plan_view, run_for_year, settings
from .recorded import MAX_SEED, generate_plan, get_plan, list_plans, verify
from .workbook import to_xlsx

__all__ = [
    "MAX_SEED",
    "REQUIRED",
    "PlanData",
    "PlanRow",
    "build_plan",
    "clean_twice",
    "digest",
    "draw",
    "generate_plan",
    "get_plan",
    "inspections_done",
    "list_plans",
    "plan_date",
    "plan_view",
    "run_for_year",
    "settings",
    "to_xlsx",
    "verify",
    "weight_text",
]
