"""The screens of two-factor login (app/accounts/two_factor.py):

- the code step after the password (/login/code/): an account with an enrolment gives its
  password, is remembered in the session as waiting (not signed in) for PENDING_SECONDS, and
  is signed in only when it gives a right TOTP code or recovery code;
- its own page (/two-factor/, from the account page): enrolment with the QR code and the
  secret in text, a confirmation code before it takes effect, the recovery codes shown once,
  new recovery codes, and switching it off for the accounts that may;
- a required account that has not enrolled is signed in after its password but sent to the
  enrolment from every page, as the forced password change does (which comes first);
- the security administrator's list of enrolments under 安全, whose action resets one."""
from __future__ import annotations

import segno
from flask import current_app, flash, redirect, request, session, url_for
from flask_appbuilder import BaseView
from flask_appbuilder.actions import action
from flask_appbuilder.api import safe
from flask_appbuilder.baseviews import expose
from flask_appbuilder.const import (
    API_SECURITY_ACCESS_TOKEN_KEY,
    API_SECURITY_PROVIDER_DB,
    API_SECURITY_REFRESH_TOKEN_KEY,
)
from flask_appbuilder.models.sqla.filters import FilterInFunction
from flask_appbuilder.security import api as fab_api
from flask_appbuilder.security.decorators import has_access, no_cache
from flask_appbuilder.security.schemas import LoginPost
from flask_appbuilder.utils.limit import Limit
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_jwt_extended import create_access_token, create_refresh_token
from flask_limiter.util import get_remote_address
from flask_login import current_user, login_user
from flask_wtf import FlaskForm
from markupsafe import Markup
from marshmallow import ValidationError, fields
from marshmallow.validate import Length as Length_
from sqlalchemy import select
from wtforms import StringField
from wtforms.validators import DataRequired, Length

from ..models import TwoFactor
from ..view_base import BaseView as RecordView
from ..view_base import RegistryInterface
from . import lockout, password_change, two_factor
from .request_account import loaded_state

PENDING = "two_factor_pending"
PENDING_SECONDS = 300
# The same words as the login page's (AuthDBView.invalid_login_message): a lock that starts
# on the code step is told like any other refused login.
REFUSED = _l("Wrong user name or password, or the account is temporarily locked.")
WRONG_CODE = _l("The code is wrong or has been used already. Enter the code your "
                "authenticator app shows now, or an unused recovery code.")


class CodeForm(FlaskForm):
    code = StringField(_l("Verification code"), [DataRequired(), Length(max=64)],
                       description=_l("The 6-digit code of your authenticator app, or one of "
                                      "your recovery codes."),
                       render_kw={"autocomplete": "one-time-code", "autofocus": True})


# ---------------------------------------------------------------- the login's code step

def after_password(user, next_url: str):
    """The password was right: sign in, or first ask for the code of an enrolled account."""
    if two_factor.is_enrolled(user.id):
        session[PENDING] = {"user": user.id, "at": lockout.now().timestamp(), "next": next_url}
        return redirect(url_for("TwoFactorCodeView.code"))
    login_user(user, remember=False)
    return redirect(next_url)


def _pending_user():
    pending = session.get(PENDING)
    if not isinstance(pending, dict) or \
            lockout.now().timestamp() - pending.get("at", 0) > PENDING_SECONDS:
        return None, None
    user = current_app.appbuilder.sm.get_user_by_id(pending.get("user"))
    if user is None or not user.is_active:
        return None, None
    return user, pending.get("next") or current_app.appbuilder.get_url_for_index


def _auth_rate_limit() -> str:
    return current_app.config["AUTH_RATE_LIMIT"]


class TwoFactorCodeView(BaseView):
    """Public by design, like the login page: what it serves is decided by the waiting
    login in the session. Sending codes is rate limited like the login form."""

    route_base = "/login/code"
    default_view = "code"
    limits = [Limit(limit_value=_auth_rate_limit, key_func=get_remote_address,
                    methods=("POST",))]

    @expose("/", methods=["GET", "POST"])
    @no_cache
    def code(self):
        if current_user.is_authenticated:
            return redirect(self.appbuilder.get_url_for_index)
        user, next_url = _pending_user()
        if user is None:
            session.pop(PENDING, None)
            flash(_("Please log in again."), "warning")
            return redirect(self.appbuilder.get_url_for_login)
        form = CodeForm()
        if form.validate_on_submit():
            kind = two_factor.verify_login(user, form.code.data)
            if kind is None and lockout.is_locked(user.id):
                session.pop(PENDING, None)
                flash(str(REFUSED), "warning")
                return redirect(self.appbuilder.get_url_for_login)
            if kind is None:
                form.code.errors = [WRONG_CODE]
            else:
                session.pop(PENDING, None)
                login_user(user, remember=False)
                if kind == "recovery":
                    flash(_("You signed in with a recovery code; %(left)d remain. Each works "
                            "once: make new ones on your two-factor page when few are left.",
                            left=two_factor.remaining_recovery_codes(user.id)), "warning")
                return redirect(next_url)
        return self.render_template("two_factor_code.html", form=form,
                                    title=_("Two-factor authentication"))


# ---------------------------------------------------------------- one's own enrolment

def _qr_svg(uri: str) -> Markup:
    """The QR code as inline SVG: no request, no script, within the page's CSP. Without a
    size of its own it fills its box (two_factor_enrol.html), so it fits a phone too."""
    return Markup(segno.make(uri, error="m").svg_inline(dark="#000", light="#fff",
                                                         omitsize=True))


def _grouped(secret: str) -> str:
    return " ".join(secret[i:i + 4] for i in range(0, len(secret), 4))


class TwoFactorView(BaseView):
    """Every signed-in account's own two-factor page (one permission, can_use)."""

    route_base = "/two-factor"
    default_view = "index"
    method_permission_name = {name: "use" for name in
                              ("index", "enrol", "recovery_codes", "disable")}

    @expose("/")
    @has_access
    def index(self):
        if not two_factor.is_enrolled(current_user.id):
            return redirect(url_for(".enrol"))
        return self.render_template(
            "two_factor_status.html", title=_("Two-factor authentication"),
            enrolment=two_factor.enrolment(current_user.id), form=CodeForm(),
            remaining=two_factor.remaining_recovery_codes(current_user.id),
            may_disable=not two_factor.is_required(current_user))

    @expose("/enrol/", methods=["GET", "POST"])
    @has_access
    @no_cache
    def enrol(self):
        if two_factor.is_enrolled(current_user.id):
            return redirect(url_for(".index"))
        secret = two_factor.begin_enrolment(current_user.id)
        form = CodeForm()
        if form.validate_on_submit():
            codes = two_factor.confirm_enrolment(current_user.id, form.code.data)
            if codes is not None:
                return self._show_codes(codes, _("Two-factor authentication is on."))
            form.code.errors = [_("The code does not match. Check the time of your phone and "
                                  "enter the code the app shows now.")]
        return self.render_template(
            "two_factor_enrol.html", title=_("Set up two-factor authentication"), form=form,
            qr=_qr_svg(two_factor.provisioning_uri(secret, current_user.username)),
            secret=_grouped(secret), required=two_factor.is_required(current_user))

    @expose("/recovery-codes/", methods=["POST"])
    @has_access
    def recovery_codes(self):
        if self._code_is_right():
            return self._show_codes(two_factor.new_recovery_codes(current_user.id),
                                    _("New recovery codes; the old ones no longer work."))
        return redirect(url_for(".index"))

    @expose("/disable/", methods=["POST"])
    @has_access
    def disable(self):
        if two_factor.is_required(current_user):
            flash(_("Your role requires two-factor authentication."), "danger")
        elif self._code_is_right():
            two_factor.remove(current_user.id, "two_factor_disable", end_sessions=False)
            flash(_("Two-factor authentication is off."), "success")
            return redirect(url_for("UserDBModelView.userinfo"))
        return redirect(url_for(".index"))

    def _code_is_right(self) -> bool:
        """A change to the second factor needs a right code; wrong ones count in the
        lockout, as at the login (a stolen session may not guess its way in)."""
        form = CodeForm()
        if not form.validate_on_submit():
            flash(_("Enter a code to confirm."), "danger")
            return False
        if two_factor.check_code(current_user.id, form.code.data):
            return True
        lockout.record_failure(current_user.id)
        flash(str(WRONG_CODE), "danger")
        return False

    def _show_codes(self, codes: list[str], message: str):
        """The recovery codes, in this one response only: they are stored hashed."""
        return self.render_template("two_factor_codes.html", title=message, codes=codes)


# ---------------------------------------------------------------- required, not enrolled

ENROLMENT_ENDPOINTS = {"TwoFactorView.enrol", "AuthDBView.logout", "static", "appbuilder.static",
                       *password_change.ALLOWED_ENDPOINTS}


def _enrolled_this_request(user_id: int) -> bool:
    """As the request's user load read it (app/accounts/request_account.py)."""
    state = loaded_state(user_id)
    return state.enrolled if state is not None else two_factor.is_enrolled(user_id)


def register(app) -> None:
    """Register after password_change.register: a password to change comes first (its
    pages are allowed here, and the enrolment is not allowed there)."""

    @app.before_request
    def send_to_enrolment():
        if (not current_user.is_authenticated or request.endpoint in ENROLMENT_ENDPOINTS
                or not two_factor.is_required(current_user)
                or _enrolled_this_request(current_user.id)):
            return None
        flash(_("Your role requires two-factor authentication: set it up before you "
                "continue."), "warning")
        return redirect(url_for("TwoFactorView.enrol"))


# ---------------------------------------------------------------- reset (安全管理员)

def _enrolled_user_ids():
    return select(TwoFactor.user_id)


def _account(user) -> str:
    return f"{user.username}（{user.first_name}）" if user is not None else ""


class TwoFactorResetView(RecordView):
    """The security administrator's list of enrolments. Resetting one (a lost phone and no
    recovery code left) removes it, is audited and ends the account's sessions; the holder
    enrols again at the next login (required roles) or may (the others)."""

    datamodel = RegistryInterface(TwoFactor)
    base_permissions = ["can_list"]
    list_title = _l("Two-factor authentication")
    list_columns = ["user", "confirmed_at", "created_at"]
    search_columns = ["user", "confirmed_at"]
    # The search's account list: the enrolled accounts, not every practitioner's.
    search_form_query_rel_fields = {"user": [["id", FilterInFunction, _enrolled_user_ids]]}
    label_columns = {**RecordView.label_columns, "confirmed_at": _l("In effect since"),
                     "created_at": _l("Set up started")}
    formatters_columns = {"user": _account}
    base_order = ("id", "asc")

    @action("reset", _l("Reset two-factor authentication"),
            _l("Remove the two-factor authentication of the selected accounts? Their sessions "
               "end, and they set it up again at their next login."), "fa-undo")
    def reset(self, items):
        items = items if isinstance(items, list) else [items]
        for item in items:
            two_factor.remove(item.user_id, "two_factor_reset", end_sessions=True)
        flash(_("Two-factor authentication reset for %(count)d accounts.", count=len(items)),
              "success")
        return redirect(self.get_redirect())


# ---------------------------------------------------------------- the API login

class LoginWithCode(LoginPost):
    """FAB's login body, with the code of an enrolled account ("totp": a TOTP code or a
    recovery code)."""

    totp = fields.String(required=False, allow_none=True, validate=Length_(max=64))


login_with_code = LoginWithCode()


class SecurityApi(fab_api.SecurityApi):
    """FAB's token login (same name, so FAB's permission names stay), asking an enrolled
    account for its code too. A wrong or missing code answers 401 and counts in the lockout;
    a required account that has not enrolled gets no token (403): it enrols on the web."""

    # FAB's refresh as FAB documents it, plus what flask_jwt_extended answers to an access
    # token sent where a refresh token is wanted (422). FAB merges this over its docstring's
    # operation key by key, so the responses are given whole.
    openapi_spec_methods = {"refresh": {"post": {"responses": {
        "200": {"description": "A new access token",
                "content": {"application/json": {"schema": {
                    "type": "object", "properties": {"access_token": {"type": "string"}}}}}},
        "401": {"$ref": "#/components/responses/401"},
        "422": {"$ref": "#/components/responses/422"},
        "500": {"$ref": "#/components/responses/500"}}}}}

    @expose("/login", methods=["POST"])
    @safe
    def login(self):
        """A JWT access token (and a refresh token), for the password and, for an account
        with two-factor authentication, the current code.
        ---
        post:
          description: >-
            Sign in with the password and, where the account uses two-factor
            authentication, the current code of the authenticator app (or a recovery code)
            as totp. Failed attempts count in the account's lockout.
          requestBody:
            required: true
            content:
              application/json:
                schema:
                  type: object
                  required: [username, password, provider]
                  properties:
                    username: {type: string}
                    password: {type: string}
                    provider: {type: string, enum: [db]}
                    refresh: {type: boolean}
                    totp: {type: string, maxLength: 64, nullable: true}
          responses:
            200:
              description: Signed in
              content:
                application/json:
                  schema:
                    type: object
                    required: [access_token]
                    properties:
                      access_token: {type: string}
                      refresh_token: {type: string}
            400:
              description: >-
                The body is not JSON, or a field is missing or of the wrong type (message
                names each field)
              content:
                application/json:
                  schema:
                    type: object
                    properties:
                      message:
                        oneOf:
                        - {type: string}
                        - {type: object}
            401:
              $ref: '#/components/responses/401'
            403:
              $ref: '#/components/responses/403'
            429:
              description: Too many sign-in attempts from this address; try again later
            500:
              $ref: '#/components/responses/500'
        """
        if not request.is_json:
            return self.response_400(message=_("The request body must be JSON."))
        try:
            body = login_with_code.load(request.json)
        except ValidationError as error:
            messages = error.messages
            if isinstance(messages, dict) and "totp" in messages:
                messages = {**messages, "totp": [_("The code must be text of at most 64 "
                                                   "characters.")]}
            return self.response_400(message=messages)
        if body["provider"] != API_SECURITY_PROVIDER_DB:
            return self.response_401()
        user = self.appbuilder.sm.auth_user_db(body["username"], body["password"])
        if not user:
            return self.response_401()
        if two_factor.is_enrolled(user.id):
            if two_factor.verify_login(user, body.get("totp") or "") is None:
                return self.response(401, message=_(
                    "Two-factor authentication: give the current code of your authenticator "
                    "app (or a recovery code) as \"totp\"."))
        elif two_factor.is_required(user):
            return self.response(403, message=_(
                "Your role requires two-factor authentication: log in on the web site and set "
                "it up first."))
        tokens = {API_SECURITY_ACCESS_TOKEN_KEY: create_access_token(identity=str(user.id),
                                                                      fresh=True)}
        if body.get("refresh"):
            tokens[API_SECURITY_REFRESH_TOKEN_KEY] = create_refresh_token(identity=str(user.id))
        return self.response(200, **tokens)
