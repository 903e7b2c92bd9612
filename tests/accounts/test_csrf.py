"""With the production setting (CSRF on), state changes need a token and never happen by GET."""

import sqlalchemy as sa

from app.extensions import db
from app.models import Application, Practitioner
from tests import logins
from tests.people import ID_A


def _login_with_csrf(app, username):
    return logins.logged_in_client(app, username)


def test_post_without_token_and_get_mutations_are_refused(app):
    app.config["WTF_CSRF_ENABLED"] = True
    client = _login_with_csrf(app, "prac_a")
    me = db.session.scalar(sa.select(Practitioner).filter_by(id_number=ID_A))
    draft = db.session.scalar(sa.select(Application.id).filter_by(practitioner_id=me.id))
    refused = client.post(f"/myapplicationview/delete/{draft}")
    assert refused.status_code == 400 and "页面已过期" in refused.get_data(as_text=True)
    client.get(f"/myapplicationview/delete/{draft}")
    response = client.post(f"/myprofileview/edit/{me.id}", data={"phone": "13900000000"})
    assert "CSRF" in response.get_data(as_text=True) or response.status_code == 400
    db.session.expire_all()
    assert db.session.get(Application, draft) is not None
    assert db.session.get(Practitioner, me.id).phone != "13900000000"
