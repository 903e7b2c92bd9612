"""The permission matrix, generated from app/workflow.py: every transition × every actor
(each role; for practitioners and enterprises the owner, someone at the same enterprise, and
someone at another) × every source state, through the REST route and the web form route.
Allowed exactly when the table says so; on denial the state is unchanged and no history row
is written; on success exactly one. The detail page shows exactly the allowed buttons."""
import re
import uuid

import pytest
import sqlalchemy as sa

from app import create_app
from app.enums import ApplicationState, ApplicationType
from app.extensions import db
from app.models import Application, Decision
from app.security import ROLES
from app.workflow import AUTHORITY, OWN, OWN_ENTERPRISE, TRANSITIONS
from tests import logins
from tests.conftest import FreshContextClient, app_config
from tests.workflow_support import (
    act,
    act_web,
    enterprise_of,
    make_applicant,
    payload_for,
    put_application,
)

# actor -> (role key, relation to the application of "owner" at enterprise A)
ACTORS = {
    "owner": ("practitioner", "own"),
    "colleague": ("practitioner", "same_enterprise"),
    "prac_b": ("practitioner", "other_enterprise"),
    "ent_a": ("enterprise", "own"),
    "ent_b": ("enterprise", "other_enterprise"),
    "reviewer": ("reviewer", "authority"),
    "approver": ("approver", "authority"),
    "sysadmin": ("sysadmin", None),
    "secadmin": ("secadmin", None),
    "auditor": ("auditor", None),
}
SCOPE_OF_RELATION = {OWN: {"own"}, OWN_ENTERPRISE: {"own"}, AUTHORITY: {"authority"}}
DETAIL_PAGE = {"practitioner": "myapplicationview", "enterprise": "enterpriseapplicationview",
               "reviewer": "applicationadminview", "approver": "applicationadminview"}


def expected_status(transition, actor, state) -> int:
    role, relation = ACTORS[actor]
    if transition.role != role:
        return 403
    if relation not in SCOPE_OF_RELATION[transition.scope]:
        return 404
    if state not in transition.source:
        return 409
    return 200


@pytest.fixture(scope="module")
def matrix(backend_db):
    """One database per module: the owner's application is re-created for every case."""
    manager, template_url = backend_db
    url = manager.copy_url(template_url, f"x{uuid.uuid4().hex[:10]}")
    application = create_app(app_config(url, manager.workdir))
    application.test_client_class = FreshContextClient
    ctx = application.app_context()
    ctx.push()
    ent_a = enterprise_of("ent_a", application)
    owner = make_applicant(application, "owner", ent_a)
    make_applicant(application, "colleague", ent_a)
    clients = {}
    for actor in ACTORS:
        clients[actor] = logins.logged_in_client(application, actor)
    yield {"app": application, "owner": owner, "ent_a": ent_a, "clients": clients}
    db.session.remove()
    db.engines[None].dispose()
    ctx.pop()
    manager.drop(url)


def _fresh(matrix, state) -> int:
    return put_application(matrix["owner"], matrix["ent_a"], state,
                           app_type=ApplicationType.correction,
                           details={"corrections": {"phone": "13600000000"}})


def _decisions(app_id) -> int:
    return db.session.scalar(sa.select(sa.func.count(Decision.id)).filter_by(application_id=app_id))


@pytest.mark.parametrize("route", ["api", "web"])
@pytest.mark.parametrize("actor", list(ACTORS))
@pytest.mark.parametrize("transition", TRANSITIONS, ids=[t.name for t in TRANSITIONS])
def test_transition_matrix(matrix, transition, actor, route):
    client = matrix["clients"][actor]
    for state in ApplicationState:
        app_id = _fresh(matrix, state)
        payload = payload_for(transition)
        if route == "api":
            response = act(client, app_id, transition.name, **payload)
            expected = expected_status(transition, actor, state)
            assert response.status_code == expected, (state, response.get_data(as_text=True)[:300])
        else:
            response = act_web(client, app_id, transition.name, payload)
            assert response.status_code in (302, 403), state
        db.session.expire_all()
        after = db.session.get(Application, app_id)
        if expected_status(transition, actor, state) == 200:
            assert after.state == transition.target, state
            assert _decisions(app_id) == 1, state
        else:
            assert after.state == state, state
            assert _decisions(app_id) == 0, state


@pytest.mark.parametrize("actor", [a for a, (role, _) in ACTORS.items() if role in DETAIL_PAGE])
def test_buttons_are_exactly_the_allowed_transitions(matrix, actor):
    client = matrix["clients"][actor]
    role, _relation = ACTORS[actor]
    for state in ApplicationState:
        app_id = _fresh(matrix, state)
        response = client.get(f"/{DETAIL_PAGE[role]}/show/{app_id}")
        allowed = {t.name for t in TRANSITIONS if expected_status(t, actor, state) == 200}
        if response.status_code == 404:
            assert not allowed, (state, allowed)
            continue
        shown = set(re.findall(r'data-transition="(\w+)"', response.get_data(as_text=True)))
        assert shown == allowed, state


def test_every_transition_is_granted_to_its_role_only(matrix):
    sm = matrix["app"].appbuilder.sm
    for transition in TRANSITIONS:
        holders = {key for key, spec in ROLES.items()
                   if any(pv.permission.name == f"can_{transition.permission}"
                          for pv in sm.find_role(spec.name).permissions)}
        assert holders == {transition.role}, transition.name
