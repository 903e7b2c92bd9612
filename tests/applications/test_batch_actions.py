"""Batch actions on the application lists (app/applications/batch_actions.py): each one with
a row refused among allowed ones (wrong state, separation of duties, a failing pre-check),
the batch's reason page, and a matrix generated from app/workflow.py proving that no role is
offered, or can fire by a forged POST, a batch action for a transition it may not fire."""
from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from app.applications.batch_actions import MAX_BATCH
from app.enums import ApplicationState as S
from app.enums import AuditResult
from app.extensions import db
from app.models import AuditLog, Decision
from app.security import ROLES
from app.workflow import TRANSITIONS
from tests.people import ACCOUNTS
from tests.workflow_support import (
    FULL_PAYLOAD,
    enterprise_of,
    history,
    make_applicant,
    put_application,
    state_of,
)

CONFIRM = FULL_PAYLOAD["confirm"]
# Every application list with batch actions, by its URL.
LISTS = {"EnterpriseQueueView": "/enterprisequeueview", "EnterpriseApplicationView":
         "/enterpriseapplicationview", "AcceptanceQueueView": "/acceptancequeueview",
         "ReviewQueueView": "/reviewqueueview", "DecisionQueueView": "/decisionqueueview",
         "ApplicationAdminView": "/applicationadminview"}


def _applications(app, prefix: str, states: list[S], enterprise="ent_a", **kw) -> list[int]:
    """One applicant per state, each with one application in it."""
    ent = enterprise_of(enterprise, app)
    return [put_application(make_applicant(app, f"{prefix}{n}", ent, **kw), ent, state)
            for n, state in enumerate(states)]


def _batch(client, view: str, action: str, ids, **form):
    data = {"action": action, "rowid": [str(i) for i in ids], **form}
    return client.post(f"{LISTS[view]}/action_post", data=data)


def _outcomes(html: str) -> dict[int, bool]:
    """The result page's rows: application id -> done."""
    return {int(i): d == "1" for i, d in re.findall(r'data-id="(\d+)" data-done="([01])"', html)}


def _said(html: str, pk) -> str:
    """The result page's text on row `pk`."""
    row = re.search(rf'data-id="{pk}" data-done="[01]">(.*?)</tr>', html, re.S).group(1)
    return re.sub(r"<[^>]+>|\s+", " ", row)


def _decisions(app_id: int, name: str) -> list[Decision]:
    return [d for d in history(app_id) if d.transition == name]


def test_batch_accept_with_one_row_in_the_wrong_state(app, login):
    ids = _applications(app, "acc", [S.pending_acceptance] * 3 + [S.under_review])
    response = _batch(login("reviewer"), "AcceptanceQueueView", "batch_accept", ids)
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "批量受理" in html
    assert _outcomes(html) == {ids[0]: True, ids[1]: True, ids[2]: True, ids[3]: False}
    assert "该申请已被办理" in _said(html, ids[3])  # fire()'s own reason
    for pk in ids[:3]:
        assert state_of(pk) == S.under_review and len(_decisions(pk, "accept")) == 1
    assert state_of(ids[3]) == S.under_review and history(ids[3]) == []


def _reviewed_by(app, pk: int, username: str) -> None:
    """Test arrangement: `username` passed this application to decision (separation of duties)."""
    user = app.appbuilder.sm.find_user(username=username)
    db.session.add(Decision(application_id=pk, transition="pass_review", from_state=S.under_review,
                            to_state=S.pending_decision, actor_id=user.id, actor_role="审查人员"))
    db.session.commit()


def test_batch_approve_with_one_row_refused_by_separation_of_duties(app, login):
    ids = _applications(app, "apv", [S.pending_decision] * 3)
    _reviewed_by(app, ids[1], "approver")
    html = _batch(login("approver"), "DecisionQueueView", "batch_approve", ids).get_data(as_text=True)
    assert "批量准予注册" in html
    assert _outcomes(html) == {ids[0]: True, ids[1]: False, ids[2]: True}
    assert "审查与决定相分离" in _said(html, ids[1])
    for pk in (ids[0], ids[2]):
        assert state_of(pk) == S.approved and len(_decisions(pk, "approve")) == 1
    assert state_of(ids[1]) == S.pending_decision and _decisions(ids[1], "approve") == []


def test_batch_refuse_asks_one_reason_on_a_page_listing_the_rows(app, login):
    ids = _applications(app, "ref", [S.pending_decision] * 2 + [S.approved])
    client = login("approver")
    form_page = _batch(client, "DecisionQueueView", "batch_refuse", ids).get_data(as_text=True)
    assert "批量不予注册" in form_page and 'name="reason"' in form_page
    assert all(f'name="rowid" value="{pk}"' in form_page for pk in ids)
    assert all(state_of(pk) != S.refused for pk in ids)  # the page itself changes nothing
    # No reason: fire() refuses every row for it, and the page asks again; nothing is done.
    again = _batch(client, "DecisionQueueView", "batch_refuse", ids[:2], batch_step="fire",
                   reason="  ").get_data(as_text=True)
    assert "请填写理由。" in again
    assert 'class="alert alert-danger batch-errors"' in again
    assert all(history(pk) == [] for pk in ids[:2])
    done = _batch(client, "DecisionQueueView", "batch_refuse", ids, batch_step="fire",
                  reason="不符合注册条件").get_data(as_text=True)
    assert _outcomes(done) == {ids[0]: True, ids[1]: True, ids[2]: False}
    for pk in ids[:2]:
        [decision] = _decisions(pk, "refuse")
        assert state_of(pk) == S.refused and decision.reason == "不符合注册条件"
    assert state_of(ids[2]) == S.approved and history(ids[2]) == []


def test_batch_forward_with_the_confirmations_and_a_failing_precheck(app, login):
    ids = _applications(app, "fwd", [S.pending_enterprise] * 2)
    ids += _applications(app, "nophoto", [S.pending_enterprise], photo=False)
    client = login("ent_a")
    page = _batch(client, "EnterpriseQueueView", "batch_forward", ids).get_data(as_text=True)
    assert all(f'name="confirm" value="{key}"' in page for key in CONFIRM)
    missing = _batch(client, "EnterpriseQueueView", "batch_forward", ids, batch_step="fire",
                     confirm=CONFIRM[:2]).get_data(as_text=True)
    assert "batch-errors" in missing and "请确认：" in missing and all(history(pk) == [] for pk in ids)
    html = _batch(client, "EnterpriseQueueView", "batch_forward", ids, batch_step="fire",
                  confirm=CONFIRM).get_data(as_text=True)
    assert _outcomes(html) == {ids[0]: True, ids[1]: True, ids[2]: False}
    assert "预审未通过" in _said(html, ids[2])  # the pre-check's own message
    for pk in ids[:2]:
        assert state_of(pk) == S.pending_acceptance and len(_decisions(pk, "forward")) == 1
    assert state_of(ids[2]) == S.pending_enterprise and history(ids[2]) == []


def test_batch_return_with_items_and_pass_review_with_an_opinion(app, login):
    ids = _applications(app, "ret", [S.under_review] * 2 + [S.pending_decision])
    client = login("reviewer")
    page = _batch(client, "ReviewQueueView", "batch_review_return", ids).get_data(as_text=True)
    assert 'name="item_field"' in page and 'value="photo"' in page
    html = _batch(client, "ReviewQueueView", "batch_review_return", ids, batch_step="fire",
                  reason="请补正", item_field=["photo"], item_reason=["照片不清晰"]
                  ).get_data(as_text=True)
    assert _outcomes(html) == {ids[0]: True, ids[1]: True, ids[2]: False}
    for pk in ids[:2]:
        [decision] = _decisions(pk, "review_return")
        assert state_of(pk) == S.returned and decision.items[0]["reason"] == "照片不清晰"
    more = _applications(app, "pas", [S.under_review, S.under_review])
    html = _batch(client, "ApplicationAdminView", "batch_pass_review", [*more, ids[0]],
                  batch_step="fire", reason="同意").get_data(as_text=True)
    assert _outcomes(html) == {more[0]: True, more[1]: True, ids[0]: False}
    assert all(state_of(pk) == S.pending_decision and len(_decisions(pk, "pass_review")) == 1
               for pk in more)


def test_batch_enterprise_return_and_send_back(app, login):
    ids = _applications(app, "ert", [S.pending_enterprise] * 2 + [S.pending_acceptance])
    html = _batch(login("ent_a"), "EnterpriseApplicationView", "batch_enterprise_return", ids,
                  batch_step="fire", reason="劳动合同已过期", item_field=["labour_contract"],
                  item_reason=["请上传新合同"]).get_data(as_text=True)
    assert _outcomes(html) == {ids[0]: True, ids[1]: True, ids[2]: False}
    assert "该申请已被办理" in _said(html, ids[2])
    for pk in ids[:2]:
        [decision] = _decisions(pk, "enterprise_return")
        assert state_of(pk) == S.returned and decision.reason == "劳动合同已过期"
    assert state_of(ids[2]) == S.pending_acceptance and history(ids[2]) == []
    back = _applications(app, "sbk", [S.pending_decision] * 2)
    _reviewed_by(app, back[0], "approver")
    html = _batch(login("approver"), "DecisionQueueView", "batch_send_back", back,
                  batch_step="fire", reason="请核实业绩").get_data(as_text=True)
    assert _outcomes(html) == {back[0]: False, back[1]: True}
    assert "审查与决定相分离" in _said(html, back[0])
    assert state_of(back[1]) == S.under_review and len(_decisions(back[1], "send_back")) == 1
    assert state_of(back[0]) == S.pending_decision and _decisions(back[0], "send_back") == []


def test_a_batch_over_the_bound_or_empty_does_nothing_and_says_so(app, login):
    [pk] = _applications(app, "big", [S.pending_acceptance])
    client = login("reviewer")
    response = _batch(client, "AcceptanceQueueView", "batch_accept",
                      [pk] + list(range(10**6, 10**6 + MAX_BATCH)))
    assert response.status_code == 302
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert f"每次最多处理{MAX_BATCH}行" in page and state_of(pk) == S.pending_acceptance
    empty = _batch(client, "AcceptanceQueueView", "batch_accept", [])
    assert "请先勾选" in client.get(empty.headers["Location"]).get_data(as_text=True)


def test_a_forged_id_of_another_enterprise_is_refused_on_the_result_page(app, login):
    mine = _applications(app, "own", [S.pending_enterprise])
    theirs = _applications(app, "oth", [S.pending_enterprise], enterprise="ent_b")
    html = _batch(login("ent_a"), "EnterpriseApplicationView", "batch_forward", mine + theirs,
                  batch_step="fire", confirm=CONFIRM).get_data(as_text=True)
    assert _outcomes(html) == {mine[0]: True, theirs[0]: False}
    assert "该申请不存在。" in _said(html, theirs[0])
    assert state_of(theirs[0]) == S.pending_enterprise and history(theirs[0]) == []


# ---------------------------------------------------------------- the matrix from the table
def _offered(html: str) -> set[str]:
    return set(re.findall(r'class="(batch_\w+)_menu_item"', html))


@pytest.fixture
def one_in_each_source_state(app):
    """An application at ent_a in each source state of the table."""
    states = sorted({s for t in TRANSITIONS for s in t.source}, key=lambda s: s.name)
    return dict(zip(states, _applications(app, "mx", states), strict=True))


def test_no_role_is_offered_or_can_force_a_batch_action_the_table_forbids(
        app, login, one_in_each_source_state):
    from app.applications.batch_actions import batch_transitions

    views = {type(v).__name__: v for v in app.appbuilder.baseviews if type(v).__name__ in LISTS}
    assert set(views) == set(LISTS)
    for username, role in ACCOUNTS.items():
        if role == "admin":
            continue  # FAB's superuser holds every permission by design
        client = login(username)
        for name, view in views.items():
            allowed = {f"batch_{t.name}" for t in batch_transitions(view) if t.role == role}
            page = client.get(f"{LISTS[name]}/list/")
            offered = _offered(page.get_data(as_text=True)) if page.status_code == 200 else set()
            assert offered == allowed, (username, name)
            for transition in TRANSITIONS:
                if transition.role == role:
                    continue
                pk = one_in_each_source_state[sorted(transition.source, key=lambda s: s.name)[0]]
                before = db.session.scalar(sa.select(sa.func.count(AuditLog.id)).where(
                    AuditLog.result == AuditResult.denied))
                response = _batch(client, name, f"batch_{transition.name}", [pk],
                                  batch_step="fire", reason="强行", confirm=CONFIRM)
                assert response.status_code == 302, (username, name, transition.name)
                after = db.session.scalar(sa.select(sa.func.count(AuditLog.id)).where(
                    AuditLog.result == AuditResult.denied))
                assert after == before + 1, (username, name, transition.name)
                assert history(pk) == [], (username, name, transition.name)
        shown = client.get(f"{LISTS['ApplicationAdminView']}/list/", follow_redirects=True)
        if role not in ("reviewer", "approver"):
            continue
        assert "您没有权限执行此操作" in shown.get_data(as_text=True)  # the forged POSTs' flash
    assert {t.role for t in TRANSITIONS} <= set(ROLES)
