"""The messages a transition writes, to the parties its row in app/workflow.py names, and the
"certificate issued" message of an approval. Called inside the transaction of the change.

Each message links to the application's page as that recipient opens it: the practitioner's
own application screen, or the enterprise's."""
from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy import select

from ..applications.signals import transition_fired
from ..extensions import db
from ..models import Application, EnterpriseUser
from ..notifications import default_locale, notify, path_for
from ..workflow import APPLICANT, ENTERPRISE, Transition


def enterprise_staff(enterprise_id: int | None) -> list[int]:
    """The enabled staff accounts of an enterprise."""
    if enterprise_id is None:
        return []
    from flask_appbuilder.security.sqla.models import User

    return list(db.session.scalars(
        select(EnterpriseUser.user_id).join(User, User.id == EnterpriseUser.user_id)
        .where(EnterpriseUser.enterprise_id == enterprise_id, User.active.is_(True))
        .order_by(EnterpriseUser.user_id)))


def recipients(app: Application, parties: tuple[str, ...]) -> dict[int, str]:
    """user id -> the link to the application that this user can open."""
    found: dict[int, str] = {}
    if ENTERPRISE in parties:
        link = path_for("EnterpriseApplicationView.show", pk=app.id)
        found.update({user_id: link for user_id in enterprise_staff(app.enterprise_id)})
    if APPLICANT in parties and app.practitioner.user_id is not None:
        found[app.practitioner.user_id] = path_for("MyApplicationView.show", pk=app.id)
    return found


def _body(app: Application, transition: Transition, reason: str, items: list[dict]) -> str:
    lines = [
        _("Application: %(app)s", app=f"{app.app_type} #{app.id}"),
        _("Applicant: %(name)s", name=app.practitioner.real_name),
        _("Qualification: %(q)s", q=app.qualification.name),
    ]
    if app.enterprise is not None:
        lines.append(_("Enterprise: %(e)s", e=app.enterprise.name))
    lines.append(_("What happened: %(event)s", event=_(transition.notice)))
    if reason:
        lines.append(_("Reason: %(reason)s", reason=reason))
    if items:
        lines.append(_("Items to correct:"))
        lines += [f"{n}. {i['field']}：{i['reason']}" for n, i in enumerate(items, 1)]
    return "\n".join(lines)


def tell_parties(app: Application, transition: Transition, reason: str = "",
                 items: list[dict] | None = None) -> int:
    """Write the transition's messages; returns how many."""
    if not transition.notify:
        return 0
    targets = recipients(app, transition.notify)
    with default_locale():
        title = _("%(event)s: %(app)s of %(name)s", event=_(transition.notice),
                  app=f"{app.app_type} #{app.id}", name=app.practitioner.real_name)
        body = _body(app, transition, reason, items or [])
    for user_id, link in targets.items():
        notify(user_id, title, body, link=link, kind=transition.name)
    return len(targets)


@transition_fired.connect
def _tell_parties_of(app: Application, transition: Transition, reason: str,
                     items: list[dict]) -> None:
    tell_parties(app, transition, reason, items)
