"""Hostile input on every route `flask routes` lists (issue 14, points 4 and 5): a fixed corpus
of huge ids, paging that is not a number, filter indexes out of range, unsortable sort
columns, NUL characters, very long values, JSON that is not an object or nested 5,000 deep,
and values of the wrong type. No answer is a 500; each class gets its 400, 404 or 422 with
its Chinese message (app/accounts/request_checks.py, app/applications/transitions.py).

What is sent where (the time budget is a minute per backend for this and the CSRF sweep):
- every route, each class it reads, as the narrowest role that may use it, so that the
  view itself would run: ids on every id route, paging and filters on every list, detail,
  edit and add page, sorting on every list, NUL or a long value (alternately) on every
  route, a non-object, a 5,000-deep or (web forms) a non-text JSON body on every
  state-changing route, and on the API all of those;
- every role, anonymous included, a sample of each class: the checks run before FAB's
  permission check, so the role changes only the page that says no, not the decision;
- wrong types on every transition route and record API route, for a role that may use it;
- through a real threaded server (tests/live_server.py), a sample of every class and what
  only a real server parses: percent-encoded bytes in the path, non-ASCII header values."""
from __future__ import annotations

import itertools
import json
import urllib.parse
from dataclasses import dataclass

import sqlalchemy as sa

from app.accounts.request_checks import ARGUMENT_MAX, ID_MAX, ID_MAX_DEFAULT, JSON_MAX_DEPTH
from app.enums import ApplicationState as S
from app.extensions import db
from app.models import Application, Practitioner
from tests import logins
from tests.route_support import ROLE_USERS, UrlFiller, narrowest_role, routes
from tests.workflow_support import enterprise_of, put_application

# What each class's refusal says (zh_CN, the default language).
SAYS = {
    404: "您访问的页面或记录不存在",
    "paging": "必须是大于或等于零的整数",
    "filter": "没有查询条件",
    "sort": "排序",
    "nul": "空字符",
    "long": f"超过{ARGUMENT_MAX}个字符",
    "not_object": "必须是 JSON 对象",
    "deep": f"嵌套超过{JSON_MAX_DEPTH}层",
    "form_text": "表单字段的值必须是文字",
}
DEEP = "[" * 5000 + "]" * 5000
NOT_OBJECTS = ["[1, 2]", '"x"', "null", DEEP]


@dataclass
class Probe:
    kind: str
    role: str
    method: str
    url: str
    expected: int
    body: object = None  # a dict is sent as a form, a str as a JSON text

    def says(self) -> str:
        if self.kind == "json":
            return SAYS["deep" if self.body == DEEP else "not_object"]
        return SAYS.get(self.kind, SAYS[404] if self.expected == 404 else "")


def _overflowing_ids() -> list[str]:
    """2^63 (past SQLite's integer and PostgreSQL's bigint), the first id past this
    backend's id column (2^31 on PostgreSQL's integer) and 5,000 digits (past int()'s)."""
    limit = ID_MAX.get(db.engine.dialect.name, ID_MAX_DEFAULT)
    return sorted({str(2**63), str(limit + 1), "9" * 5000})


def _query(url: str, **args) -> str:
    return f"{url}{'&' if '?' in url else '?'}{urllib.parse.urlencode(args)}"


def _filter_out_of_range(view) -> str | None:
    """`_flt_<n>_<column>` with n one past the column's filters (FAB reads one digit)."""
    filters = getattr(getattr(view, "_filters", None), "_all_filters", {})
    for column, found in filters.items():
        if len(found) < 10:
            return f"_flt_{len(found)}_{column}"
    return None


def _unsortable(view) -> str:
    """A column the list shows but does not offer to sort by, or a made-up one."""
    offered = set(getattr(view, "order_columns", None) or [])
    shown = [c for c in getattr(view, "list_columns", None) or [] if c not in offered]
    return shown[0] if shown else "no_such_column"


class Corpus:
    """The probes of each route; ids (and the web bodies, the paging and NUL / long
    alternations) taken in turn so that every kind of route meets every variant."""

    def __init__(self, app):
        self.filler = UrlFiller(app)
        self.alternate = itertools.cycle([True, False])
        self.ids = itertools.cycle(_overflowing_ids())
        self.web_bodies = itertools.cycle([NOT_OBJECTS[0], DEEP, json.dumps({"phone": {"a": 1}})])

    def of(self, route, role: str) -> list[Probe]:
        username = ROLE_USERS[narrowest_role(route)]  # its ids: real rows of the fixture data
        url, methods = self.filler.url(route, username), sorted(route.methods)
        name = type(route.view).__name__ if route.view is not None else ""
        probes = []
        for argument in ("pk", "file_id"):
            if argument in route.arguments:
                huge = self.filler.url(route, username, **{argument: next(self.ids)})
                probes += [Probe("id", role, m, huge, 404) for m in methods]
        if route.method_name in ("list", "show", "edit") and "GET" in methods:
            paging = f"page_{name}" if next(self.alternate) else f"psize_{name}"
            probes.append(Probe("paging", role, "GET", _query(url, **{paging: "abc"}), 400))
        if route.method_name in ("list", "show", "edit", "add") and "GET" in methods:
            flt = _filter_out_of_range(route.view)
            if flt:
                probes.append(Probe("filter", role, "GET", _query(url, **{flt: "x"}), 400))
        if route.method_name == "list":
            probes.append(Probe("paging", role, "GET", _query(url, **{f"psize_{name}": "-1"}), 400))
            probes.append(Probe("sort", role, "GET", _query(url, **{
                f"_oc_{name}": _unsortable(route.view), f"_od_{name}": "asc"}), 400))
        method = "GET" if "GET" in methods else methods[0]
        if next(self.alternate):
            probes.append(Probe("nul", role, method, _query(url, q="a\x00b"), 400))
        else:
            probes.append(Probe("long", role, method, _query(url, q="x" * (ARGUMENT_MAX + 1)), 400))
        for write in route.state_changing:
            if route.is_api:
                probes += [Probe("json", role, write, url, 400, body) for body in NOT_OBJECTS]
            else:
                body = next(self.web_bodies)
                kind = "form_text" if body.startswith("{") else "json"
                probes.append(Probe(kind, role, write, url, 400, body))
        return probes


def route_probes(app) -> list[Probe]:
    """Every route: all its probes as the narrowest role that may use it, and one of them
    (taken in turn) as every other role, anonymous included."""
    corpus, probes = Corpus(app), []
    roles = list(ROLE_USERS)
    for index, route in enumerate(r for r in routes(app) if "logout" not in r.rule):
        # (logout would end the session the other probes use)
        own = narrowest_role(route)
        probes += corpus.of(route, own)
        for offset, role in enumerate(r for r in roles if r != own):
            sample = corpus.of(route, role)
            probes.append(sample[(index + offset) % len(sample)])
    return probes


def role_probes(app, app_id: int) -> list[Probe]:
    """Every role, anonymous included, a sample of each class."""
    flt = _filter_out_of_range(next(v for v in app.appbuilder.baseviews
                                    if type(v).__name__ == "ApplicationAdminView"))
    probes = []
    for role in ROLE_USERS:
        probes += [
            Probe("id", role, "GET", f"/myconsultationview/show/{2**63}", 404),
            Probe("id", role, "GET", f"/api/v1/practitioner/{2**63}", 404),
            Probe("id", role, "POST", f"/api/v1/application/{2**63}/submit", 404),
            Probe("paging", role, "GET", "/myconsultationview/list/?page_MyConsultationView=abc", 400),
            Probe("paging", role, "GET", "/myconsultationview/list/?page_MyConsultationView="
                  + "9" * 5000, 400),
            Probe("filter", role, "GET", f"/applicationadminview/list/?{flt}=x", 400),
            Probe("sort", role, "GET", "/mynotificationview/list/?_oc_MyNotificationView=x", 400),
            Probe("nul", role, "GET", "/?q=%00", 400),
            Probe("long", role, "GET", "/faq/?" + urllib.parse.urlencode({"q": "x" * 10_001}), 400),
            Probe("json", role, "POST", f"/api/v1/application/{app_id}/submit", 400, "[1, 2]"),
            Probe("json", role, "POST", "/api/v1/security/login", 400, DEEP),
        ]
    return probes


def send(client, probe: Probe):
    if isinstance(probe.body, dict):
        response = client.open(probe.url, method=probe.method, data=probe.body)
    elif probe.body is not None:
        response = client.open(probe.url, method=probe.method, data=probe.body,
                               content_type="application/json")
    else:
        response = client.open(probe.url, method=probe.method)
    response.get_data()  # a streamed answer ends inside its own request
    response.close()
    return response


def _text(response) -> str:
    if response.is_json:
        return (response.get_json(silent=True) or {}).get("message", "")
    return response.get_data(as_text=True)


def check(clients: dict, probes: list[Probe]) -> list[tuple]:
    wrong = []
    for probe in probes:
        response = send(clients[probe.role], probe)
        if response.status_code != probe.expected or probe.says() not in _text(response):
            wrong.append((probe.kind, probe.role, probe.method, probe.url[:120],
                          str(probe.body)[:40], response.status_code, _text(response)[:80]))
    return wrong


def _draft_of(username: str) -> int:
    user = db.session.scalar(sa.text("SELECT id FROM ab_user WHERE username = :u"), {"u": username})
    person = db.session.scalar(sa.select(Practitioner).filter_by(user_id=user))
    return db.session.scalar(sa.select(Application.id).filter_by(practitioner_id=person.id))


def _clients(app) -> dict:
    return {role: logins.logged_in_client(app, username) if username else app.test_client()
            for role, username in ROLE_USERS.items()}


def test_the_corpus_gets_no_500_on_any_route_and_each_class_its_answer(app):
    clients = _clients(app)
    probes = route_probes(app) + role_probes(app, _draft_of("prac_a"))
    kinds = {p.kind for p in probes}
    assert kinds == {"id", "paging", "filter", "sort", "nul", "long", "json", "form_text"}
    assert check(clients, probes) == []


# ---------------------------------------------------------------- wrong types (point 5)
WRONG_TRANSITION_BODIES = [({"reason": {"a": 1}}, "reason"), ({"reason": ["x"]}, "reason"),
                           ({"confirm": 5}, "confirm"), ({"confirm": "abc"}, "confirm"),
                           ({"items": "x"}, "items"), ({"items": [{"field": 1}]}, "items")]


def test_transition_bodies_of_the_wrong_type_are_refused_naming_the_field(app):
    clients = _clients(app)
    person_app = _draft_of("prac_a")
    db.session.execute(sa.update(Application).where(Application.id == person_app)
                       .values(state=S.pending_acceptance))
    db.session.commit()
    filler = UrlFiller(app)
    tried = 0
    for route in routes(app):
        if not route.endpoint.startswith("WorkflowApi."):
            continue
        client = clients[narrowest_role(route)]
        url = filler.url(route, None, pk=person_app)
        for body, field in WRONG_TRANSITION_BODIES:
            response = client.post(url, json=body)
            tried += 1
            assert response.status_code == 422, (url, body, response.status_code)
            assert field in response.json["details"], (url, body, response.json)
    assert tried == 11 * len(WRONG_TRANSITION_BODIES)
    db.session.expire_all()
    application = db.session.get(Application, person_app)
    assert application.state == S.pending_acceptance and application.decisions == []


def test_a_refusal_with_a_reason_of_the_wrong_type_stores_nothing(app, login):
    app_id = put_application(_person("prac_a"), enterprise_of("ent_a", app), S.pending_decision)
    approver = login("approver")
    for reason in ({"a": 1}, ["x"]):
        response = approver.post(f"/api/v1/application/{app_id}/refuse", json={"reason": reason})
        assert response.status_code == 422 and "理由必须是文字" in response.json["details"]["reason"]
    db.session.expire_all()
    assert db.session.get(Application, app_id).state == S.pending_decision
    assert approver.post(f"/api/v1/application/{app_id}/refuse",
                         json={"reason": "材料不全"}).status_code == 200


def _person(username: str) -> Practitioner:
    user = db.session.scalar(sa.text("SELECT id FROM ab_user WHERE username = :u"), {"u": username})
    return db.session.scalar(sa.select(Practitioner).filter_by(user_id=user))


def test_the_record_api_refuses_arrays_strings_and_wrong_types(app, login):
    reviewer = login("reviewer")
    person = _person("prac_a")
    for method, url in (("PUT", f"/api/v1/practitioner/{person.id}"), ("POST", "/api/v1/practitioner/"),
                        ("PUT", f"/api/v1/enterprise/{enterprise_of('ent_a', app).id}"),
                        ("POST", "/api/v1/enterprise/")):
        for body in NOT_OBJECTS:
            response = reviewer.open(url, method=method, data=body, content_type="application/json")
            assert response.status_code == 400 and response.is_json, (url, body[:10])
        for body in ({"phone": {"a": 1}}, {"phone": ["x"]}, {"legal_representative": 5}):
            response = reviewer.open(url, method=method, json=body)
            assert response.status_code in (400, 422) and response.is_json, (url, body)
    db.session.expire_all()
    assert db.session.get(Practitioner, person.id).phone == "13800000001"


def test_the_limits_are_where_they_are_said_to_be(app, login):
    client = login("reviewer")
    at_limit = "x" * ARGUMENT_MAX
    assert client.get("/faq/?" + urllib.parse.urlencode({"q": at_limit})).status_code == 200
    assert client.get("/faq/?" + urllib.parse.urlencode({"q": at_limit + "x"})).status_code == 400
    nested = "[" * (JSON_MAX_DEPTH - 1) + "1" + "]" * (JSON_MAX_DEPTH - 1)
    ok = client.post("/api/v1/security/login", data=json.dumps({"a": json.loads(nested)}),
                     content_type="application/json")
    assert ok.status_code != 400 or "嵌套" not in ok.json["message"]
    too_deep = json.dumps({"a": json.loads("[" + nested + "]")})
    refused = client.post("/api/v1/security/login", data=too_deep, content_type="application/json")
    assert refused.status_code == 400 and SAYS["deep"] in refused.json["message"]
    page = client.get("/applicationadminview/list/?page_ApplicationAdminView=0"
                      "&psize_ApplicationAdminView=0")
    assert page.status_code == 200
    largest = client.get("/applicationadminview/list/?psize_ApplicationAdminView=100")
    assert largest.status_code == 200
    too_large = client.get("/applicationadminview/list/?psize_ApplicationAdminView=101")
    assert too_large.status_code == 400 and "每页最多显示 100 条" in too_large.text


# ---------------------------------------------------------------- through a real server
def test_a_sample_through_a_real_threaded_server(live_server):
    base = live_server.url
    anonymous = logins.LiveSession(base)
    reviewer = logins.login_live(base, "reviewer")
    _status, _url, page = reviewer.get("/practitioneradminview/list/")
    token = {"X-CSRFToken": logins.csrf_token_of(page)}
    app_id = _draft_of("prac_a")
    flt = _filter_out_of_range(next(v for v in live_server.app.appbuilder.baseviews
                                    if type(v).__name__ == "ApplicationAdminView"))
    cases = [
        (anonymous, "GET", "/api/v1/practitioner/9223372036854775808", None, {}, 404),
        (reviewer, "GET", "/myconsultationview/show/9223372036854775808", None, {}, 404),
        (reviewer, "GET", "/myconsultationview/show/%00", None, {}, 404),
        (reviewer, "GET", "/myconsultationview/show/%ff%fe", None, {}, 404),
        (reviewer, "GET", "/myconsultationview/list/?page_MyConsultationView=abc", None, {}, 400),
        (reviewer, "GET", f"/applicationadminview/list/?{flt}=x", None, {}, 400),
        (reviewer, "GET", "/applicationadminview/list/?_oc_ApplicationAdminView=nothing", None, {}, 400),
        (reviewer, "GET", "/faq/?q=" + "x" * 10_001, None, {}, 400),
        (reviewer, "GET", "/faq/?q=a%00b", None, {}, 400),
        (anonymous, "POST", "/api/v1/security/login", DEEP, {}, 400),
        (reviewer, "POST", f"/api/v1/application/{app_id}/accept", "[1, 2]", token, 400),
        (reviewer, "POST", f"/api/v1/application/{app_id}/accept", '{"confirm": 5}', token, 422),
        (reviewer, "PUT", "/api/v1/practitioner/1", '"x"', token, 400),
        # Header values a real server passes on as Latin-1 bytes: FAB refuses the token.
        (anonymous, "POST", f"/api/v1/application/{app_id}/accept", "{}",
         {"Authorization": "Bearer \u00ff\u00fe"}, (401, 422)),
        (reviewer, "GET", "/", None, {"Accept-Language": "zh;q=abc, \u00ff"}, 200),
    ]
    wrong = []
    for session, method, path, body, headers, expected in cases:
        status, text = _raw(session, method, path, body, headers)
        if status not in (expected if isinstance(expected, tuple) else (expected,)):
            wrong.append((method, path[:80], str(body)[:20], headers, status, text[:120]))
    assert wrong == []


def _raw(session, method: str, path: str, body: str | None, headers: dict):
    """A request of a LiveSession (its cookies) with the body sent as the bytes given."""
    import urllib.error
    import urllib.request

    headers = {**headers, **({"Content-Type": "application/json"} if body is not None else {})}
    request = urllib.request.Request(session.base + path, method=method, headers=headers,
                                     data=body.encode() if body is not None else None)
    try:
        with session.opener.open(request, timeout=60) as response:
            return response.status, response.read().decode("utf-8", "replace")
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode("utf-8", "replace")


# ---------------------------------------------------------------- FAB's routes left unused
def test_fab_routes_this_app_does_not_use_answer_404_not_500(app, login):
    """FAB's download route (for FileColumn uploads, which no screen has) and its action
    route given a missing record, or the one record of a detail page for an action that
    takes a list (copy role), each failed with a 500; the superuser may call them all."""
    admin, filler, wrong, tried = login("admin"), UrlFiller(app), [], 0
    missing = str(ID_MAX["postgresql"])  # in range on both backends, and no such row
    for route in routes(app):
        if route.method_name == "download":
            calls = [("GET", filler.url(route, "admin"))]
        elif route.method_name == "action" and getattr(route.view, "actions", None):
            # A missing record for every action; a real one for the list-only actions.
            calls = [("POST", filler.url(route, "admin", name=name, pk=pk))
                     for name, action in route.view.actions.items()
                     for pk in (missing, *([] if action.single else [filler.id_for(route, "admin")]))]
        else:
            continue
        for method, url in calls:
            response = admin.open(url, method=method)
            response.close()
            tried += 1
            if response.status_code >= 500:
                wrong.append((method, url, response.status_code))
    assert tried > 40 and wrong == []
