"""The permissions matrix (issue 12): every route of the app, taken from `app.url_map`, called by
every kind of caller, answers the status written here. A route that is not in the table fails
the test, so a new page or API call cannot be added without deciding who may use it.

Callers (columns):
- `anon`: nobody signed in, no token;
- `ent`, `off`, `sup`, `adm`: an enterprise, a Guangzhou officer, a provincial supervisor and an
  administrator, each signed in on the web (session cookie) and sending their own API token
  with the default scopes of their role (enterprise and officer: cases, read; supervisor and
  administrator: cases, read, export);
- `adm_cookie`: the administrator's session cookie without any token (the JSON API ignores
  cookies, so that a page cannot be made to call it: CSRF);
- `t_cases`, `t_read`, `t_export`: tokens of the supervisor carrying one scope each, no cookie;
- `t_import`: an import token (IMPORT_TOKENS), no cookie.

Every call uses ids that do not exist (a caller who is let in meets 404) and empty bodies (a
caller who is let in meets the form's refusal, 400/422), so the table shows where the gate is;
what each role sees inside a page is tested with real data in the page's own tests. `login`
stands for a redirect to the sign-in page; web forms carry a valid CSRF token.
"""

from __future__ import annotations

import re
from collections import Counter
from urllib.parse import urlencode

import pytest

from tests.helpers import jsonl, operator, uscc

from .web import PASSWORD, make_user

ROLES = ("ent", "off", "sup", "adm")
TOKENS = ("t_cases", "t_read", "t_export", "t_import")
CALLERS = ("anon", *ROLES, "adm_cookie", *TOKENS)
SCOPES = {"t_cases": "cases", "t_read": "read", "t_export": "export", "t_import": None}
ROLE_SCOPES = {"ent": "cases read", "off": "cases read", "sup": "cases read export"}
ROLE_SCOPES["adm"] = ROLE_SCOPES["sup"]
LOGIN = "login"


def row(default, **overrides) -> dict[str, object]:
    """One line of the table: `default` for every caller, `overrides` by caller."""
    unknown = set(overrides) - set(CALLERS)
    assert not unknown, unknown
    return {c: overrides.get(c, default) for c in CALLERS}


def public(status=200, **overrides):
    """A public page: the same for everyone."""
    return row(status, **overrides)


def page(ok, *allowed: str, **overrides):
    """A web page for signed-in users of `allowed` roles: anonymous callers and token holders
    (tokens open no page) are sent to sign in, other roles get 403."""
    cells = row(403, anon=LOGIN, adm_cookie=ok if "adm" in allowed else 403)
    for t in TOKENS:
        cells[t] = LOGIN
    for r in allowed:
        cells[r] = ok
    cells.update(overrides)
    return cells


def api(scope: str, ok, *, denied=403, **overrides):
    """A JSON API call needing a token with `scope`: no token (or a cookie only) 401, a token
    without the scope 403, a token with it `ok`; `overrides` by caller (roles refused inside)."""
    cells = row(401)
    for r in ROLES:
        cells[r] = ok if scope in ROLE_SCOPES[r] else denied
    for t in ("t_cases", "t_read", "t_export"):
        cells[t] = ok if SCOPES[t] == scope else denied
    cells.update(overrides)
    return cells


ADMIN = ("adm",)
STAFF = ("off", "sup")  # case work is for officers and supervisors, not administrators
SUPERVISORS = ("sup",)
ENTERPRISE = ("ent",)

# (method, endpoint) -> expected status per caller. Grouped by blueprint.
MATRIX: dict[tuple[str, str], dict[str, object]] = {
    # -- public pages and assets -----------------------------------------------------------
    ("GET", "public.index"): public(),
    ("GET", "public.a_list"): public(),
    ("GET", "public.dishonesty"): public(),
    ("GET", "public.search"): public(),
    ("GET", "static"): public(),
    ("GET", "api-docs.openapi_json"): public(),
    # -- operations: health for everyone (503: no scheduler has passed in this database), metrics
    # for the addresses of METRICS_ALLOW (the test client is on loopback)
    ("GET", "ops.healthz"): public(503),
    ("GET", "ops.metrics"): public(200),
    # -- sign-in and account ----------------------------------------------------------------
    ("GET", "auth.login"): public(200, ent=302, off=302, sup=302, adm=302, adm_cookie=302),
    ("POST", "auth.login"): public(401),
    ("POST", "auth.logout"): public(302),
    ("GET", "auth.set_language"): public(302),
    ("GET", "auth.tokens"): page(200, *ROLES),
    ("POST", "auth.tokens"): page(400, *ROLES),
    ("POST", "auth.revoke_token"): page(404, *ROLES),
    # -- administration --------------------------------------------------------------------
    ("GET", "admin.home"): page(200, *ADMIN),
    ("GET", "admin.exports"): page(200, *ADMIN),
    ("GET", "admin.bureaus"): page(200, *ADMIN),
    ("POST", "admin.bureau_add"): page(400, *ADMIN),
    ("GET", "admin.bureau"): page(200, *ADMIN),
    ("POST", "admin.bureau_rename"): page(400, *ADMIN),
    ("GET", "admin.calendar"): page(200, *ADMIN),
    ("POST", "admin.calendar_load"): page(400, *ADMIN),
    ("GET", "admin.runs"): page(200, *ADMIN),
    ("POST", "admin.run_start"): page(400, *ADMIN),
    ("GET", "admin.run"): page(404, *ADMIN),
    ("GET", "run_progress.runs"): page(200, *ADMIN),
    ("GET", "admin.tables"): page(200, *ADMIN),
    ("POST", "admin.table_publish"): page(400, *ADMIN),
    ("GET", "admin.table"): page(404, *ADMIN),
    ("GET", "admin.users"): page(200, *ADMIN),
    ("GET", "admin.user_new"): page(200, *ADMIN),
    ("POST", "admin.user_create"): page(400, *ADMIN),
    ("GET", "admin.user"): page(404, *ADMIN),
    ("POST", "admin.user_active"): page(404, *ADMIN),
    ("POST", "admin.user_password"): page(404, *ADMIN),
    # -- supervisor dashboard ----------------------------------------------------------------
    ("GET", "dashboard.overview"): page(200, *SUPERVISORS),
    ("GET", "dashboard.notifications"): page(200, *SUPERVISORS),
    ("POST", "dashboard.mark_read"): page(404, *SUPERVISORS),
    ("POST", "dashboard.mark_all_read"): page(302, *SUPERVISORS),
    ("GET", "dashboard.tasks_download"): page(200, *SUPERVISORS),
    # -- officer inbox -------------------------------------------------------------------------
    ("GET", "inbox.queue"): page(200, *STAFF),
    ("GET", "inbox.cases"): page(200, *STAFF),
    ("GET", "inbox.cases_download"): page(200, *STAFF),
    ("POST", "inbox.bulk"): page(302, *STAFF),
    ("GET", "inbox.case"): page(404, *STAFF),
    ("POST", "inbox.claim"): page(404, *STAFF),
    ("POST", "inbox.unclaim"): page(404, *STAFF),
    ("POST", "inbox.complete"): page(404, *STAFF),
    ("POST", "inbox.reassign"): page(404, *SUPERVISORS),
    ("GET", "inbox.correction"): page(404, *STAFF),
    ("POST", "inbox.correction_post"): page(404, *STAFF),
    ("GET", "inbox.matter"): page(404, *STAFF),
    ("GET", "inbox.matter_new"): page(200, "off"),
    ("POST", "inbox.matter_create"): page(422, "off"),
    ("GET", "inbox.object"): page(404, *STAFF),
    ("POST", "inbox.concealment"): page(404, *STAFF),
    # -- what-if previews (read only) ----------------------------------------------------------
    ("POST", "whatif.matter"): page(422, "off"),
    ("GET", "whatif.case"): page(404, *STAFF),
    ("POST", "whatif.case_post"): page(404, *STAFF),
    ("GET", "whatif.correction"): page(404, *STAFF),
    ("GET", "whatif.portal_repair"): page(404, *ENTERPRISE),
    # -- enterprise portal ---------------------------------------------------------------------
    ("GET", "portal.home"): page(200, *ENTERPRISE),
    ("GET", "portal.object"): page(404, *ENTERPRISE),
    ("GET", "portal.notices"): page(200, *ENTERPRISE),
    ("POST", "portal.notices_read"): page(302, *ENTERPRISE),
    ("GET", "portal.cases"): page(200, *ENTERPRISE),
    ("GET", "portal.case"): page(404, *ENTERPRISE),
    ("POST", "portal.task"): page(404, *ENTERPRISE),
    ("POST", "portal.withdraw"): page(404, *ENTERPRISE),
    ("GET", "portal.repair"): page(400, *ENTERPRISE),
    ("POST", "portal.repair_post"): page(400, *ENTERPRISE),
    ("GET", "portal.objection"): page(400, *ENTERPRISE),
    ("POST", "portal.objection_post"): page(400, *ENTERPRISE),
    ("GET", "portal.reward"): page(400, *ENTERPRISE),
    ("POST", "portal.reward_post"): page(400, *ENTERPRISE),
    ("GET", "portal.filing"): page(200, *ENTERPRISE),
    ("POST", "portal.filing_add"): page(422, *ENTERPRISE),
    ("POST", "portal.filing_declare"): page(422, *ENTERPRISE),
    ("POST", "portal.filing_remove"): page(404, *ENTERPRISE),
    ("POST", "portal.filing_contacts"): page(302, *ENTERPRISE),
    ("POST", "portal.refusal_objection"): page(400, *ENTERPRISE),
    # -- letters, measures, statistics ----------------------------------------------------------
    ("GET", "letters.case"): page(404, *ROLES),
    ("GET", "letters.post_batch"): page(404, *STAFF),
    ("GET", "attachments.download"): page(404, *ROLES),
    ("GET", "letters.klass"): page(404, *ROLES),
    ("GET", "letters.notice"): page(404, *ROLES),
    ("GET", "measures.index"): page(200, *STAFF),
    ("GET", "measures.detail"): page(404, *STAFF, *ENTERPRISE),
    ("POST", "measures.done"): page(404, *STAFF),
    ("POST", "measures.task"): page(404, *STAFF, *ENTERPRISE),
    ("GET", "measures.mine"): page(200, *ENTERPRISE),
    ("POST", "measures.acknowledge"): page(400, *ENTERPRISE),
    ("GET", "measures.plan_list"): page(200, *STAFF),
    ("POST", "measures.plan_new"): page(400, *STAFF),
    ("GET", "measures.plan"): page(404, *STAFF),
    ("GET", "measures.plan_verify"): page(404, *STAFF),
    ("GET", "measures.plan_xlsx"): page(404, *STAFF),
    ("GET", "statistics.index"): page(200, "sup", "adm"),
    ("GET", "statistics.download"): page(200, "sup", "adm"),
    # -- read API (scope read) -------------------------------------------------------------------
    ("GET", "credit_api.OperatorScore"): api("read", 404),
    ("GET", "credit_api.ProductScore"): api("read", 404),
    ("GET", "credit_api.Objects"): api("read", 422),
    ("GET", "credit_api.Bureaus"): api("read", 200),
    ("GET", "credit_api.Runs"): api("read", 200),
    ("GET", "credit_api.RunView"): api("read", 404),
    ("GET", "credit_api.RunResultsView"): api("read", 404),
    ("GET", "credit_api.DeadlineView"): api("read", 422),
    ("GET", "credit_api.CalendarStatusView"): api("read", 200),
    # -- imports: only import tokens ------------------------------------------------------------
    ("POST", "credit_api.Imports"): row(401, t_import=200),
    # -- case API (scope cases) ------------------------------------------------------------------
    ("GET", "cases_api.MyCases"): api("cases", 200),
    ("GET", "cases_api.CaseView"): api("cases", 404),
    ("GET", "cases_api.CaseHistory"): api("cases", 404),
    ("GET", "cases_api.CaseDiagram"): api("cases", 404),
    ("POST", "cases_api.RepairCases"): api("cases", 422),
    ("POST", "cases_api.ObjectionCases"): api("cases", 422),
    ("POST", "cases_api.RewardCases"): api("cases", 422),
    ("POST", "cases_api.CorrectionCases"): api("cases", 422),
    ("POST", "cases_api.Withdraw"): api("cases", 404),
    ("GET", "cases_api.Queue"): api("cases", 200),
    ("POST", "cases_api.Claim"): api("cases", 404),
    ("POST", "cases_api.Unclaim"): api("cases", 404),
    ("POST", "cases_api.Reassign"): api("cases", 422),
    ("POST", "cases_api.Complete"): api("cases", 404),
    ("GET", "cases_api.Overdue"): api("cases", 200, ent=403, off=403),
    ("GET", "cases_api.Notifications"): api("cases", 200),
    # -- exports (scope export) --------------------------------------------------------------------
    ("GET", "exports_api.AClassExport"): api("export", 404),
    ("GET", "exports_api.ClassesExport"): api("export", 404),
    ("GET", "exports_api.MattersExport"): api("export", 200),
    ("GET", "exports_api.DishonestyExport"): api("export", 200),
}

# Values for the URL variables of every route: ids that exist nowhere, the one operator's code.
ARGS = {
    "code": "440100",
    "version": "no-such-version",
    "run_on": "2026-07-01",
    "uscc": uscc(9),
    "brand": "某牌",
    "filename": "css/app.css",
    "fmt": "html",
    "name": "classes",
}
ARG_BY_ENDPOINT = {
    ("auth.set_language", "code"): "en",
    ("statistics.download", "fmt"): "csv",
    ("inbox.cases_download", "fmt"): "csv",
    ("dashboard.tasks_download", "fmt"): "xlsx",
}
MISSING_ID = 987654321


SHARING = "?" + urlencode(
    {"recipient_kind": "department", "recipient": "省商务厅", "legal_basis": "Art. 31"}
)


def routes(app) -> list[tuple[str, str, str]]:
    """(method, endpoint, path) of every route of the URL map, HEAD and OPTIONS aside."""
    found = []
    for rule in app.url_map.iter_rules():
        values = {}
        for arg in rule.arguments:
            if (rule.endpoint, arg) in ARG_BY_ENDPOINT:
                values[arg] = ARG_BY_ENDPOINT[rule.endpoint, arg]
            elif arg in ARGS:
                values[arg] = ARGS[arg]
            else:
                values[arg] = MISSING_ID
        _, path = rule.build(values, append_unknown=False)
        if rule.endpoint.startswith("exports_api."):
            path += SHARING  # every export names its recipient and legal basis (Art. 31, 32)
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            found.append((method, rule.endpoint, path))
    # Sign-out ends every session of the user: it goes last.
    return sorted(found, key=lambda r: r[1] == "auth.logout")


CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


class Caller:
    """A Flask test client with a CSRF token (and a session when signed in) and maybe a token."""

    def __init__(self, app, username: str | None = None, token: str | None = None):
        self.client = app.test_client()
        self.headers = {"Authorization": f"Bearer {token}"} if token else {}
        if username:
            self.client.get("/login")
            self.client.post(
                "/login",
                data={"username": username, "password": PASSWORD, "csrf_token": self._csrf()},
            )
        page = self.client.get("/login", follow_redirects=False)
        found = CSRF.search(page.get_data(as_text=True))
        self.csrf = found.group(1) if found else self._csrf()

    def _csrf(self) -> str:
        page = self.client.get("/login")
        found = CSRF.search(page.get_data(as_text=True))
        if found:
            return found.group(1)
        # A signed-in caller is sent on from /login: take the token of the tokens page.
        page = self.client.get("/account/tokens")
        return CSRF.search(page.get_data(as_text=True)).group(1)

    def call(self, method: str, path: str, who: str) -> object:
        if path == "/login" and method == "POST":  # a wrong password, a name per caller
            form = {"username": f"nobody-{who}", "password": "x", "csrf_token": self.csrf}
            resp = self.client.post(path, data=form)
        elif method == "GET":
            resp = self.client.get(path, headers=self.headers)
        elif path.startswith("/api/"):
            resp = self.client.post(path, json={}, headers=self.headers)
        else:
            resp = self.client.post(path, data={"csrf_token": self.csrf}, headers=self.headers)
        location = resp.headers.get("Location", "")
        if resp.status_code in (302, 303) and location.split("?")[0].endswith("/login"):
            return LOGIN
        return resp.status_code


@pytest.fixture
def callers(seeded):
    from app.auth import issue_token
    from app.extensions import db
    from app.services.imports import import_records
    from models import Operator

    with seeded.app_context():
        from app.context import now, today

        import_records(jsonl([operator(1)]).splitlines(True), today=today(), actor="t", at=now())
        op = db.session.query(Operator).one()
        users = {
            "ent": make_user("ent1", "enterprise", operator_id=op.id),
            "off": make_user("off1", "officer", bureau="440100"),
            "sup": make_user("sup1", "supervisor", bureau="440000"),
            "adm": make_user("adm1", "admin"),
        }
        tokens = {r: issue_token(u) for r, u in users.items()}
        for t, scope in SCOPES.items():
            if scope:
                tokens[t] = issue_token(users["sup"], (scope,), name=t)
        db.session.commit()
    made = {"anon": Caller(seeded)}
    for r in ROLES:
        made[r] = Caller(seeded, f"{r}1", tokens[r])
    made["adm_cookie"] = Caller(seeded, "adm1")
    for t in ("t_cases", "t_read", "t_export"):
        made[t] = Caller(seeded, token=tokens[t])
    made["t_import"] = Caller(seeded, token="s3cret-token")
    return made


def test_every_route_answers_every_caller_as_the_matrix_says(seeded, callers):
    found = routes(seeded)
    keys = {(m, e) for m, e, _ in found}
    missing = sorted(keys - MATRIX.keys())
    assert not missing, f"routes without a line in the permissions matrix: {missing}"
    stale = sorted(MATRIX.keys() - keys)
    assert not stale, f"lines of the matrix for routes that no longer exist: {stale}"

    wrong = []
    for method, endpoint, path in found:
        for who in CALLERS:
            got = callers[who].call(method, path, who)
            want = MATRIX[method, endpoint][who]
            if got != want:
                wrong.append(f"{method} {path} ({endpoint}) as {who}: {got}, expected {want}")
    assert not wrong, "\n".join(wrong)
    # The figures of the report: routes × callers, and how the calls came out.
    print(f"\npermissions matrix: {len(found)} routes × {len(CALLERS)} callers")
    print(Counter(str(MATRIX[m, e][c]) for m, e, _ in found for c in CALLERS))


def test_the_matrix_keeps_its_shape():
    """Denials are what they claim: nobody without a session reaches a role's page, nobody
    without a token reaches the JSON API."""
    for (_, endpoint), cells in MATRIX.items():
        assert set(cells) == set(CALLERS), endpoint
        if endpoint.split(".")[0] in ("credit_api", "cases_api", "exports_api"):
            assert cells["anon"] == cells["adm_cookie"] == 401, endpoint
