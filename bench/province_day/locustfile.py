"""The province day's users, for locust (run from .venv-bench by `python -m bench.province_day`;
imports nothing of the app). Users and tokens come from the JSON file named by PD_DATA.

The mix (locust user-class weights; inside each class, task weights), each user waiting 1-3 s
between requests as a person at a page would:

- Enterprise, weight 40 (signs in with the web form once): its portal home with its scores and
  classes (5), its notices (3), its score with the explanation over the API (3), its cases (1),
  and once, if its seller has not yet applied, an objection (2 in 3) or a repair application
  (1 in 3) to its deduction over the API (201 expected).
- Officer, weight 20 (API token of a city bureau): its queue of objections and repairs (4), then
  claims an unclaimed task from it and completes it: accept an objection, resolve it as
  revoked, approve a repair (4; a task another officer claimed or completed meanwhile answers
  409 or 403: expected, counted as a conflict, not an error); a case file (1).
- Supervisor, weight 10 (province or a city; web form sign-in and an API token): the dashboard
  (3), the overdue overview over the API (3), the statistics page with its charts (2), the
  notifications page (1).
- Public, weight 30 (no sign-in): the home page (2), a search by a word of a name (4), the
  A-class list (2), the dishonesty matters (2).

Every request checks its status; any other status is a failure. The step load (LoadTestShape)
adds PD_STEP_USERS users every PD_STEP_SECONDS for PD_STEPS steps. Each request is also
recorded in the step it ended in; at the end the steps (users, requests, failures, p50, p95)
are written to PD_OUT as JSON for the driver.
"""

from __future__ import annotations

import itertools
import json
import os
import random
import re
import time

from locust import FastHttpUser, LoadTestShape, between, events, task

with open(os.environ["PD_DATA"], encoding="utf-8") as _fh:
    DATA = json.load(_fh)
STEP_USERS = int(os.environ.get("PD_STEP_USERS", "10"))
STEP_SECONDS = float(os.environ.get("PD_STEP_SECONDS", "20"))
STEPS = int(os.environ.get("PD_STEPS", "5"))
EVIDENCE = "该产品未列入淘汰目录，附核对记录。"
REASONS = "经核实，该产品未列入淘汰目录，撤销该记分。"
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')

_enterprises = itertools.cycle(DATA["enterprises"])
_supervisors = itertools.cycle(DATA["supervisors"])
_officers = itertools.cycle(DATA["officers"])
_unfiled = [e for e in DATA["enterprises"] if not e.get("filed")]
random.Random(1).shuffle(_unfiled)

# ---- per-step figures -------------------------------------------------------------------

_t0: list[float] = []
_steps: dict[int, dict] = {}


@events.test_start.add_listener
def _started(**_kw) -> None:
    _t0.append(time.monotonic())


@events.request.add_listener
def _record(request_type, name, response_time, exception, context, **_kw) -> None:
    if not _t0:
        return
    k = int((time.monotonic() - _t0[0]) // STEP_SECONDS)
    s = _steps.setdefault(
        k, {"times": [], "failures": 0, "conflicts": 0, "by_name": {}, "times_by_name": {}}
    )
    s["times"].append(response_time)
    s["times_by_name"].setdefault(name, []).append(response_time)
    if exception is not None:
        s["failures"] += 1
        s["by_name"][name] = s["by_name"].get(name, 0) + 1
    if (context or {}).get("conflict"):
        s["conflicts"] += 1


def _pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    k = max(0, min(len(ordered) - 1, round(p / 100 * len(ordered) + 0.5) - 1))
    return ordered[k]


@events.quitting.add_listener
def _write(**_kw) -> None:
    out = []
    for k in sorted(_steps):
        s = _steps[k]
        if k >= STEPS or not s["times"]:
            continue
        out.append(
            {
                "step": k,
                "users": STEP_USERS * (k + 1),
                "requests": len(s["times"]),
                "failures": s["failures"],
                "conflicts": s["conflicts"],
                "p50": _pct(s["times"], 50),
                "p95": _pct(s["times"], 95),
                "failed": s["by_name"],
                # The slowest requests by their own p95: where the step's p95 comes from.
                "slowest": sorted(
                    (
                        (name, round(_pct(times, 95)), len(times))
                        for name, times in s["times_by_name"].items()
                    ),
                    key=lambda x: -x[1],
                )[:4],
            }
        )
    with open(os.environ["PD_OUT"], "w", encoding="utf-8") as fh:
        json.dump({"step_seconds": STEP_SECONDS, "steps": out}, fh)


class StepLoad(LoadTestShape):
    """PD_STEP_USERS more users every PD_STEP_SECONDS, PD_STEPS steps, then stop."""

    def tick(self):
        k = int(self.get_run_time() // STEP_SECONDS)
        if k >= STEPS:
            return None
        return STEP_USERS * (k + 1), STEP_USERS * 5


# ---- the users --------------------------------------------------------------------------


def check(resp, expected=(200,), conflict=(), name=None):
    """Success for an expected status; a conflict status is a success counted apart."""
    if resp.status_code in expected:
        resp.success()
    elif resp.status_code in conflict:
        resp.request_meta["context"]["conflict"] = True
        resp.success()
    else:
        resp.failure(f"HTTP {resp.status_code}: {resp.text[:200] if resp.text else ''}")


class WebUser(FastHttpUser):
    abstract = True
    wait_time = between(1, 3)

    def page(self, path: str, name: str | None = None) -> str:
        """GET a page, expecting 200; counted under `name` (default: the path). Its text."""
        with self.client.get(path, name=name or path, catch_response=True) as r:
            check(r)
            return r.text or ""

    def sign_in(self, username: str) -> None:
        token = CSRF.search(self.page("/login"))
        data = {
            "username": username,
            "password": DATA["password"],
            "csrf_token": token.group(1) if token else "",
        }
        with self.client.post(
            "/login", data=data, name="/login [POST]", catch_response=True, allow_redirects=False
        ) as r:
            check(r, (302, 303))

    def api(
        self,
        method,
        path,
        token,
        *,
        name=None,
        json_body=None,
        expected=(200,),
        conflict=(),
        headers=None,
    ):
        h = {"Authorization": f"Bearer {token}", **(headers or {})}
        with self.client.request(
            method, path, name=name or path, headers=h, json=json_body, catch_response=True
        ) as r:
            check(r, expected, conflict)
            try:
                return r.json() if r.status_code in expected else None
            except ValueError:
                return None


class Enterprise(WebUser):
    weight = 40

    def on_start(self):
        self.me = next(_enterprises)
        self.sign_in(self.me["username"])
        self.me_unfiled = _unfiled.pop() if _unfiled else None

    @task(5)
    def portal(self):
        self.page("/portal/")

    @task(3)
    def notices(self):
        self.page("/portal/notices")

    @task(3)
    def score(self):
        self.api(
            "GET",
            f"/api/v1/operators/{self.me['uscc']}/score",
            self.me["token"],
            name="/api/v1/operators/[uscc]/score",
        )

    @task(1)
    def cases(self):
        self.page("/portal/cases")

    @task(2)
    def apply(self):
        ent = self.me_unfiled
        if ent is None:
            return self.portal()
        self.me_unfiled = None
        key = {"Idempotency-Key": f"pd-{ent['username']}"}
        if random.random() < 2 / 3:
            body = {"entry_ids": [ent["entry_id"]], "evidence": EVIDENCE}
            self.api(
                "POST",
                "/api/v1/cases/objection",
                ent["token"],
                json_body=body,
                expected=(201,),
                headers=key,
            )
        else:
            body = {
                "entry_id": ent["entry_id"],
                "not_intentional_statement": "供应商目录版本错误",
                "rectification": "已下架并更新进货查验制度",
                "undertaking": True,
            }
            self.api(
                "POST",
                "/api/v1/cases/repair",
                ent["token"],
                json_body=body,
                expected=(201,),
                headers=key,
            )


FORMS = {
    "accept_objection": {"decision": "accept"},
    "resolve_objection": {"outcome": "revoked", "reasons": REASONS},
    "verify_repair": {"decision": "approve", "rectified_confirmed": True},
}


class Officer(WebUser):
    weight = 20

    def on_start(self):
        self.me = next(_officers)
        self.tasks_seen: list[dict] = []

    @task(4)
    def queue(self):
        process = random.choice(("objection", "objection", "repair"))
        rows = self.api(
            "GET",
            f"/api/v1/queue?process={process}&limit=20",
            self.me["token"],
            name="/api/v1/queue",
        )
        self.tasks_seen = [t for t in rows or [] if t["task"] in FORMS and not t["claimed_by"]]

    @task(4)
    def work(self):
        if not self.tasks_seen:
            return self.queue()
        t = self.tasks_seen.pop(random.randrange(len(self.tasks_seen)))
        tok = self.me["token"]
        claimed = self.api(
            "POST",
            f"/api/v1/tasks/{t['id']}/claim",
            tok,
            name="/api/v1/tasks/[id]/claim",
            conflict=(403, 409),
        )
        if claimed is None:
            return
        done = self.api(
            "POST",
            f"/api/v1/tasks/{t['id']}/complete",
            tok,
            name="/api/v1/tasks/[id]/complete",
            json_body=FORMS[t["task"]],
            conflict=(403, 409),
        )
        nxt = [n for n in (done or {}).get("open_tasks", []) if n["task"] in FORMS]
        for n in nxt:  # a step claimed once stays with its officer: resolve it too
            self.api(
                "POST",
                f"/api/v1/tasks/{n['id']}/complete",
                tok,
                name="/api/v1/tasks/[id]/complete",
                json_body=FORMS[n["task"]],
                conflict=(403, 409),
            )

    @task(1)
    def case_file(self):
        if self.tasks_seen:
            t = random.choice(self.tasks_seen)
            self.api(
                "GET", f"/api/v1/cases/{t['case_id']}", self.me["token"], name="/api/v1/cases/[id]"
            )


class Supervisor(WebUser):
    weight = 10

    def on_start(self):
        self.me = next(_supervisors)
        self.sign_in(self.me["username"])

    @task(3)
    def dashboard(self):
        self.page("/supervision/")

    @task(3)
    def overdue(self):
        self.api("GET", "/api/v1/overdue", self.me["token"])

    @task(2)
    def statistics(self):
        self.page("/statistics/")

    @task(1)
    def notifications(self):
        self.page("/supervision/notifications")


class Public(WebUser):
    weight = 30

    @task(2)
    def home(self):
        self.page("/")

    @task(4)
    def search(self):
        q = random.choice(DATA["search_words"])
        self.page(f"/public/search?q={q}", "/public/search")

    @task(2)
    def a_class(self):
        self.page("/public/a-class")

    @task(2)
    def dishonesty(self):
        self.page("/public/dishonesty")
