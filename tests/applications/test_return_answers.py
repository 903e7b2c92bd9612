"""A return is answered from the returned application itself (issue 12, item 7): each item a
return can name is one the applicant can correct there; what changed since the return is
shown to the enterprise and the reviewer; a new photo becomes the registry's on approval."""
from __future__ import annotations

import io

import sqlalchemy as sa

from app.applications.return_answers import returnable_items
from app.enums import ApplicationState as S
from app.extensions import db
from app.models import Application, Practitioner
from tests import image_samples as samples
from tests.workflow_support import act, enterprise_of, make_applicant, put_application, state_of


def _returned(app, login, items, username="answerer"):
    person = make_applicant(app, username, enterprise_of("ent_a", app))
    app_id = put_application(person, enterprise_of("ent_a", app), S.pending_acceptance)
    response = act(login("reviewer"), app_id, "review_return", reason="请补正", items=items)
    assert response.status_code == 200, response.json
    return person, app_id


def _application(app_id: int) -> Application:
    db.session.expire_all()
    return db.session.get(Application, app_id)


def test_an_item_the_applicant_cannot_correct_is_not_offered_nor_accepted(app, login):
    person = make_applicant(app, "strict", enterprise_of("ent_a", app))
    app_id = put_application(person, enterprise_of("ent_a", app), S.pending_acceptance)
    offered = returnable_items(_application(app_id))
    assert "real_name" not in offered and "id_number" not in offered
    assert "photo" in offered and "specialties" in offered and "registration" not in offered
    page = login("reviewer").get(f"/applicationadminview/show/{app_id}").get_data(as_text=True)
    assert 'value="photo"' in page and 'value="id_number"' not in page
    refused = act(login("reviewer"), app_id, "review_return", reason="请补正",
                  items=[{"field": "real_name", "reason": "姓名有误"}])
    assert refused.status_code == 422 and state_of(app_id) == S.pending_acceptance


def test_a_returned_application_is_corrected_and_the_changes_are_shown(app, login):
    person, app_id = _returned(app, login, [
        {"field": "photo", "reason": "背景不是浅色"},
        {"field": "手机号码", "reason": "号码有误"},  # a label works as well as a key
        {"field": "labour_contract", "reason": "请上传劳动合同"},
        {"field": "continuing_education", "reason": "请注明年度"}])
    me = login("answerer")
    shown = me.get(f"/myapplicationview/show/{app_id}").get_data(as_text=True)
    assert "逐项补正" in shown and f"/myapplicationview/answer/{app_id}" in shown
    form = me.get(f"/myapplicationview/answer/{app_id}").get_data(as_text=True)
    assert "背景不是浅色" in form and "请上传劳动合同" in form and "修改申请内容" in form
    old_photo = person.photo_id

    # Bad input: nothing is kept, and the page says what is wrong.
    bad = me.post(f"/myapplicationview/answer/{app_id}", data={
        "phone": "abc", "photo": (io.BytesIO(samples.gif()), "p.gif")},
        content_type="multipart/form-data")
    assert bad.status_code == 200 and "未保存任何内容" in bad.get_data(as_text=True)
    assert _application(app_id).details.get("corrections") in (None, {})
    assert db.session.get(Practitioner, person.id).phone == "13700000000"

    good = me.post(f"/myapplicationview/answer/{app_id}", data={
        "phone": "13912340000",
        "photo": (io.BytesIO(samples.photo(background=(250, 250, 250))), "p.jpg"),
        "labour_contract": (io.BytesIO(samples.scan_pdf()), "contract.pdf"),
        "labour_contract_note": "新签合同"}, content_type="multipart/form-data")
    assert good.status_code == 302
    details = _application(app_id).details
    assert details["corrections"]["photo_id"] != old_photo and details["attachments"]["labour_contract"]
    # The form field is corrected in the type's own form, open while returned.
    edit = me.post(f"/apply/initial/edit/{app_id}", data={
        "qualification": str(_application(app_id).qualification_id),
        "specialties": [str(s.id) for s in _application(app_id).specialties],
        "enterprise": str(enterprise_of("ent_a", app).id),
        "continuing_education": "2025年度 60学时"})
    assert edit.status_code == 302 and edit.headers["Location"].endswith(f"/show/{app_id}")
    assert act(me, app_id, "resubmit").status_code == 200

    changes = {c["key"] for c in _application(app_id).details["changes_since_return"]}
    assert {"phone", "photo", "labour_contract", "continuing_education"} <= changes
    for username, url in (("ent_a", f"/enterpriseapplicationview/show/{app_id}"),
                          ("reviewer", f"/applicationadminview/show/{app_id}")):
        page = login(username).get(url).get_data(as_text=True)
        assert "退回后修改的内容" in page and "13912340000" in page and "2025年度 60学时" in page
        assert "新签合同" in page
    # The enterprise may open the contract and the new photo of the application it verifies.
    contract = details["attachments"]["labour_contract"]
    assert login("ent_a").get(f"/registry/file/{contract}").status_code == 200
    assert login("ent_b").get(f"/registry/file/{contract}").status_code == 404
    pdf = login("reviewer").get(f"/registry/file/{contract}")
    assert pdf.mimetype == "application/pdf" and b"/URI" not in pdf.data  # the link is gone


def test_the_corrected_photo_becomes_the_registrys_on_approval(app, login):
    person, app_id = _returned(app, login, [{"field": "photo", "reason": "不清晰"}], "photoer")
    me = login("photoer")
    me.post(f"/myapplicationview/answer/{app_id}", content_type="multipart/form-data",
            data={"photo": (io.BytesIO(samples.photo(background=(250, 250, 250))), "p.jpg")})
    new_photo = _application(app_id).details["corrections"]["photo_id"]
    assert db.session.get(Practitioner, person.id).photo_id != new_photo  # not before approval
    db.session.execute(sa.update(Application).where(Application.id == app_id)
                       .values(state=S.pending_decision))
    db.session.commit()
    assert act(login("approver"), app_id, "approve").status_code == 200
    db.session.expire_all()
    assert db.session.get(Practitioner, person.id).photo_id == new_photo


def test_only_draft_and_returned_applications_open_in_their_form(app, login):
    person = make_applicant(app, "editor", enterprise_of("ent_a", app))
    app_id = put_application(person, enterprise_of("ent_a", app), S.approved)
    me = login("editor")
    response = me.get(f"/myapplicationview/edit/{app_id}", follow_redirects=True)
    assert "只有草稿或被退回的申请可以修改" in response.get_data(as_text=True)
    assert me.get(f"/myapplicationview/answer/{app_id}").status_code == 302
