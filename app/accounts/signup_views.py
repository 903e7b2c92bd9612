"""Real-name sign-up (domain.md 3.1): a practitioner signs up with real name, resident ID
number and mobile number, and logs in with the ID number; an enterprise registers with its
credit code and an administrator account that works once the authority has verified it."""
from __future__ import annotations

import secrets

from flask import current_app, flash, redirect, url_for
from flask_appbuilder import BaseView
from flask_appbuilder.baseviews import expose
from flask_appbuilder.security.sqla.models import User
from flask_appbuilder.utils.limit import Limit
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_limiter.util import get_remote_address
from flask_wtf import FlaskForm
from sqlalchemy import func, select
from wtforms import DateField, PasswordField, StringField
from wtforms.validators import DataRequired, Email, EqualTo, Length, Optional, Regexp

from ..audit import record
from ..enums import EnterpriseStatus
from ..extensions import db
from ..identity import CreditCodeValidator, ResidentIdValidator
from ..labels import COLUMN_LABELS as L
from ..models import Enterprise, EnterpriseUser, Practitioner
from ..security import ROLES
from .passwords import RULES as PASSWORD_RULES
from .passwords import StrongPassword

MOBILE = Regexp(r"^1\d{10}$", message=_l("Enter the 11-digit mobile number."))
# Said the same way whether the ID number has an account, a registry record with another
# name, or anything else that stops a new account: no more is revealed than needed.
REFUSED = _l("An account cannot be created for this ID number. If you have signed up before, "
             "log in with your ID number; otherwise contact the registration authority.")
PLACEHOLDER_DOMAIN = "users.invalid"


def placeholder_email() -> str:
    """FAB wants a unique, non-null e-mail per account; an account without one gets this.
    Random, so that no ID number or user name ever travels in an address; under .invalid,
    so that no mail is ever sent to it (app/notifications.deliverable)."""
    return f"{secrets.token_hex(10)}@{PLACEHOLDER_DOMAIN}"


def contact_email_field(description, **widget):
    return StringField(_l("E-mail"), [Optional(), Length(max=120), Email(
        message=_l("Enter a valid e-mail address."), check_deliverability=False)],
        description=description, **widget)


class PractitionerSignupForm(FlaskForm):
    real_name = StringField(L["real_name"], [DataRequired(), Length(max=32)])
    id_number = StringField(L["id_number"], [DataRequired(), ResidentIdValidator()],
                            description=_l("You will log in with this number."))
    phone = StringField(L["phone"], [DataRequired(), MOBILE])
    email = contact_email_field(_l("Optional. Copies of your messages are e-mailed here."))
    password = PasswordField(_l("Password"), [DataRequired(), StrongPassword("id_number", "phone")],
                             description=PASSWORD_RULES)
    confirm = PasswordField(_l("Repeat the password"),
                            [EqualTo("password", message=_l("The passwords differ."))])


class EnterpriseSignupForm(FlaskForm):
    name = StringField(_l("Enterprise name"), [DataRequired(), Length(max=128)])
    credit_code = StringField(L["credit_code"], [DataRequired(), CreditCodeValidator()])
    legal_representative = StringField(L["legal_representative"], [DataRequired(), Length(max=64)])
    city = StringField(L["city"], [DataRequired(), Length(max=32)])
    address = StringField(L["address"], [DataRequired(), Length(max=255)])
    aptitude_certificate_no = StringField(L["aptitude_certificate_no"], [DataRequired(), Length(max=64)])
    aptitude_expiry = DateField(L["aptitude_expiry"], [Optional()])
    admin_name = StringField(_l("Administrator's name"), [DataRequired(), Length(max=32)])
    username = StringField(_l("Administrator's user name"), [
        DataRequired(), Regexp(r"^[A-Za-z0-9_.-]{4,32}$",
                               message=_l("4 to 32 letters, digits, dot, dash or underscore."))])
    phone = StringField(L["phone"], [DataRequired(), MOBILE])
    email = contact_email_field(_l("Optional. Copies of the administrator's messages are "
                                   "e-mailed here."))
    password = PasswordField(_l("Password"), [DataRequired(), StrongPassword("username", "phone")],
                             description=PASSWORD_RULES)
    confirm = PasswordField(_l("Repeat the password"),
                            [EqualTo("password", message=_l("The passwords differ."))])


EMAIL_TAKEN = _l("This e-mail address belongs to another account; give another or none.")


def account_email(given: str | None) -> str | None:
    """The e-mail for a new enterprise account: the address given (FAB keeps them unique:
    None when another account has it) or, when none is given, a placeholder."""
    given = (given or "").strip()
    if not given:
        return placeholder_email()
    taken = db.session.scalar(select(User.id).where(func.lower(User.email) == given.lower()))
    return None if taken is not None else given


def _signup_rate_limit() -> str:
    return current_app.config["SIGNUP_RATE_LIMIT"]  # read per request, so tests can lower it


class SignupView(BaseView):
    """Public pages: no permission, by design (anyone may ask for an account). Sending the
    forms is rate limited per client address, against account creation in bulk and against
    probing which ID numbers already have an account."""

    route_base = "/signup"
    default_view = "practitioner"
    limits = [Limit(limit_value=_signup_rate_limit, key_func=get_remote_address,
                    methods=("POST",))]

    @expose("/", methods=["GET", "POST"])
    def practitioner(self):
        form = PractitionerSignupForm()
        if form.validate_on_submit():
            if self._create_practitioner(form):
                flash(_("Your account is ready. Log in with your ID number."), "success")
                return redirect(current_app.appbuilder.get_url_for_login)
            flash(str(REFUSED), "danger")
        return self.render_template("signup.html", form=form, title=_l("Sign up (practitioner)"))

    @expose("/enterprise", methods=["GET", "POST"])
    def enterprise(self):
        form = EnterpriseSignupForm()
        if form.validate_on_submit():
            problem = self._create_enterprise(form)
            if problem is None:
                flash(_("Registered. The account works once the authority has verified the "
                        "enterprise."), "success")
                return redirect(url_for("HomeView.index"))
            flash(problem, "danger")
        return self.render_template("signup.html", form=form, title=_l("Register an enterprise"))

    @staticmethod
    def _create_practitioner(form) -> bool:
        sm = current_app.appbuilder.sm
        id_number = form.id_number.data
        if sm.find_user(username=id_number) is not None:
            return False
        person = db.session.scalar(select(Practitioner).where(Practitioner.id_number == id_number))
        if person is not None and (person.user_id is not None
                                   or person.real_name != form.real_name.data.strip()):
            return False
        user = sm.add_user(id_number, form.real_name.data.strip(), "", placeholder_email(),
                           sm.find_role(ROLES["practitioner"].name), password=form.password.data)
        if not user:
            return False
        if person is None:
            person = Practitioner(real_name=form.real_name.data.strip(), id_number=id_number,
                                  phone=form.phone.data)
            db.session.add(person)
        if form.email.data:  # the contact address the copies go to (app/notifications.py)
            person.email = form.email.data.strip()
        person.user_id = user.id
        record("signup", object_type="Practitioner", object_id=user.id, actor=user)
        db.session.commit()
        return True

    @staticmethod
    def _create_enterprise(form) -> str | None:
        sm = current_app.appbuilder.sm
        if db.session.scalar(select(Enterprise.id).where(
                Enterprise.credit_code == form.credit_code.data)) is not None:
            return _("This credit code is already registered.")
        if sm.find_user(username=form.username.data) is not None:
            return _("This user name is taken; choose another.")
        email = account_email(form.email.data)
        if email is None:
            return str(EMAIL_TAKEN)
        enterprise = Enterprise(
            name=form.name.data.strip(), credit_code=form.credit_code.data,
            legal_representative=form.legal_representative.data.strip(),
            city=form.city.data.strip(), address=form.address.data.strip(),
            aptitude_certificate_no=form.aptitude_certificate_no.data.strip(),
            aptitude_expiry=form.aptitude_expiry.data, status=EnterpriseStatus.pending)
        db.session.add(enterprise)
        db.session.flush()
        user = sm.add_user(form.username.data, form.admin_name.data.strip(), "", email,
                           sm.find_role(ROLES["enterprise"].name), password=form.password.data)
        if not user:
            db.session.rollback()
            return _("The data could not be saved. Please check it and try again.")
        user.active = False  # until the authority verifies the enterprise
        db.session.add(EnterpriseUser(user_id=user.id, enterprise_id=enterprise.id, is_admin=True))
        record("signup", object_type="Enterprise", object_id=enterprise.id, actor=user,
               detail={"credit_code": enterprise.credit_code})
        db.session.commit()
        return None


def activate_verified_enterprise(enterprise: Enterprise) -> None:
    """Called when the authority sets an enterprise active: its accounts start to work."""
    if enterprise.status != EnterpriseStatus.active:
        return
    for link in enterprise.staff:
        if link.is_admin:
            link.user.active = True
