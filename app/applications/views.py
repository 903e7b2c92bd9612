"""Application screens for the three kinds of users, and one form per application type
declared in APPLICATION_FORMS. State never appears in a form: only transitions change it."""
from __future__ import annotations

from flask import abort, flash, redirect, request, url_for
from flask_appbuilder.baseviews import expose
from flask_appbuilder.fieldwidgets import BS3TextAreaFieldWidget, BS3TextFieldWidget, Select2Widget
from flask_appbuilder.models.sqla.filters import FilterEqual, FilterEqualFunction, FilterNotEqual
from flask_appbuilder.security.decorators import has_access, permission_name
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from wtforms import FileField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from ..accounts.lookups import ACTIVE_ENTERPRISES as EMPLOYERS
from ..accounts.lookups import ENTERPRISES, LookupViews
from ..audit import changes, record
from ..enums import (
    OPEN_APPLICATION_STATES,
    ApplicationState,
    ApplicationType,
    RegistrationStatus,
    VerificationStatus,
)
from ..extensions import db
from ..labels import COLUMN_LABELS
from ..models import CORRECTABLE_IMAGES, Application, Decision, Practitioner
from ..registry import storage
from ..registry.images import ACCEPT, PHOTO, SIGNATURE, SPECS, ImageRejected, check_and_normalise
from ..registry.scans import DESCRIPTION as SCAN_DESCRIPTION
from ..scoping import current_enterprise_id, current_practitioner_id, refuse
from ..view_base import READ, BaseView, RegistryInterface
from ..workflow import BY_NAME
from .batch_actions import BatchTransitions
from .effects import CORRECTABLE_FIELDS
from .forms import APPLICATION_FORMS
from .return_answers import answer_fields, save_answer
from .workflow_views import ApplicationDetailMixin, format_deadline

L = COLUMN_LABELS

TEXT, TEXTAREA = BS3TextFieldWidget(), BS3TextAreaFieldWidget()  # FAB's look for every field
CONTINUING_EDUCATION = {
    ApplicationType.renewal: _l("The continuing education of this registration period: "
                                "course, hours, year."),
    ApplicationType.re_registration: _l("Re-registration needs continuing education: course, "
                                        "hours, year."),
}
# Which of the registration's specialties a form offers (static/registry.js).
SPECIALTY_MODES = {ApplicationType.add_specialty: "not_held", ApplicationType.renewal: "held"}

# Extra (non-column) fields, kept in Application.details; each made for its type's form.
EXTRA_FIELDS = {
    "continuing_education": lambda app_type: StringField(
        L["continuing_education"], [Length(max=200)], widget=TEXT,
        description=CONTINUING_EDUCATION.get(app_type, _l(
            "Needed when applying later than the initial window: course, hours, year."))),
    "change_reason": lambda app_type: TextAreaField(
        L["change_reason"], [DataRequired(), Length(max=500)], widget=TEXTAREA),
    "cancellation_reason": lambda app_type: TextAreaField(
        L["cancellation_reason"], [DataRequired(), Length(max=500)], widget=TEXTAREA,
        description=_l("A cancelled registration cannot be used again: a new registration "
                       "needs a re-registration application.")),
    "correction_field": lambda app_type: SelectField(
        L["correction_field"], widget=Select2Widget(),
        choices=lambda: [(f, str(L[f])) for f in CORRECTABLE_FIELDS + CORRECTABLE_IMAGES]),
    "correction_value": lambda app_type: StringField(
        L["correction_value"], [Optional(), Length(max=120)], widget=TEXT,
        description=_l("For a text item: the value as it should be.")),
    "correction_file": lambda app_type: FileField(
        L["correction_file"],
        description=_l("For the ID photo or the signature: the new image. %(photo)s %(sig)s",
                       photo=PHOTO.description, sig=SIGNATURE.description),
        render_kw={"accept": ACCEPT}),
    "correction_reason": lambda app_type: TextAreaField(
        L["correction_reason"], [DataRequired(), Length(max=500)], widget=TEXTAREA),
}

RESUBMIT = BY_NAME["resubmit"]
# A returned application is corrected in its own form before it is resubmitted.
EDITABLE_STATES = (ApplicationState.draft, ApplicationState.returned)
OWN_REGISTRATIONS = [["practitioner_id", FilterEqualFunction, current_practitioner_id],
                     ["status", FilterEqual, RegistrationStatus.valid]]


class DecisionView(BaseView):
    """History rows, shown under an application; never added or edited by hand."""

    datamodel = RegistryInterface(Decision)
    base_permissions = READ
    list_title = _l("History")
    list_columns = ["created_at", "transition", "from_state", "to_state", "actor_role", "reason"]
    show_columns = list_columns + ["items", "actor"]
    # Not "items": a JSON column, which PostgreSQL cannot compare with search text (a 500).
    search_columns = list_columns
    base_order = ("id", "asc")
    formatters_columns = {"transition": lambda name: _(BY_NAME[name].label) if name in BY_NAME
                          else name}


class MyApplicationView(ApplicationDetailMixin, BaseView):
    datamodel = RegistryInterface(Application)
    after_action_view = "MyApplicationView"
    base_filters = [["practitioner_id", FilterEqualFunction, current_practitioner_id]]
    list_title = _l("My applications")
    list_columns = ["id", "app_type", "qualification", "enterprise", "state", "submitted_at"]
    show_columns = ["id", "app_type", "qualification", "registration", "specialties", "enterprise",
                    "state", "submitted_at", "decided_at"]
    # Drafts are edited in the form of their type (ApplicationFormView below).
    edit_columns = ["enterprise"]
    search_columns = ["app_type", "qualification", "state"]
    add_template = "application_choose.html"

    @expose("/add", methods=["GET"])
    @has_access
    def add(self):
        """Choose the type of application; each type has its own form."""
        return self.render_template(
            self.add_template, title=_l("New application"),
            choices=[(t, url_for(f"{form_view_name(t)}.add")) for t in APPLICATION_FORMS])

    @expose("/edit/<pk>", methods=["GET", "POST"])
    @has_access
    def edit(self, pk):
        item = self.datamodel.get(self._deserialize_pk_if_composite(pk), self._base_filters)
        if item is None:
            abort(404)
        if item.state not in EDITABLE_STATES:
            flash(_("Only a draft or a returned application can be changed."), "warning")
            return redirect(url_for(".show", pk=item.id))
        return redirect(url_for(f"{form_view_name(item.app_type)}.edit", pk=item.id))

    @expose("/answer/<int:pk>", methods=["GET", "POST"])
    @has_access
    @permission_name("edit")
    def answer(self, pk):
        """Correct what a return named, from the returned application itself."""
        item = self.datamodel.get(pk, self._base_filters)
        if item is None:
            abort(404)
        if item.state != ApplicationState.returned:
            flash(_("Only a returned application is corrected here."), "warning")
            return redirect(url_for(".show", pk=pk))
        errors = {}
        if request.method == "POST":
            errors = save_answer(item, request.form, request.files)
            if not errors:
                record("return_answer", object_type="Application", object_id=item.id,
                       detail={"changes": changes(item.practitioner)})
                db.session.commit()
                flash(_("Your corrections are saved. Check the application, then press "
                        "\"%(button)s\".", button=_(RESUBMIT.label)), "success")
                return redirect(url_for(".show", pk=pk))
            db.session.rollback()
        return self.render_template(
            "application_answer.html", title=_("Correct and resubmit"), application=item,
            fields=answer_fields(item), errors=errors, typed=request.form,
            edit_url=url_for(f"{form_view_name(item.app_type)}.edit", pk=item.id),
            specs=SPECS, scan_description=SCAN_DESCRIPTION)

    def pre_delete(self, item):
        if item.state != ApplicationState.draft:
            refuse(str(_l("Only a draft can be deleted.")))


def form_view_name(app_type: ApplicationType) -> str:
    return f"Apply{app_type.name.title().replace('_', '')}View"


class ApplicationFormView(LookupViews, BaseView):
    """Base of the per-type forms. The seven share one permission name of their own: sharing
    MyApplicationView's, with fewer permissions, would make FAB prune that view's others."""

    datamodel = RegistryInterface(Application)
    class_permission_name = "ApplicationFormView"
    base_filters = [["practitioner_id", FilterEqualFunction, current_practitioner_id]]
    base_permissions = ["can_add", "can_edit"]
    app_type: ApplicationType = ApplicationType.initial
    add_form_query_rel_fields = edit_form_query_rel_fields = {"registration": OWN_REGISTRATIONS}
    # The employer is typed, not picked from every active enterprise of the province.
    lookups = {"enterprise": EMPLOYERS}
    method_permission_name = {"lookup": "add"}  # this view has no list permission

    def post_add_redirect(self):
        return self.form_again("add") or redirect(url_for("MyApplicationView.list"))

    def post_edit_redirect(self):
        """Back to the application, where it is submitted (or resubmitted)."""
        pk = (request.view_args or {}).get("pk")
        return self.form_again("edit") or redirect(
            url_for("MyApplicationView.show", pk=pk) if pk else url_for("MyApplicationView.list"))

    @expose("/edit/<pk>", methods=["GET", "POST"])
    @has_access
    def edit(self, pk):
        """An application past its draft (or its return) is not offered as a form."""
        item = self.datamodel.get(self._deserialize_pk_if_composite(pk), self._base_filters)
        if item is not None and item.state not in EDITABLE_STATES:
            flash(_("Only a draft or a returned application can be changed."), "warning")
            return redirect(url_for("MyApplicationView.show", pk=item.id))
        return super().edit(pk)

    def prefill_form(self, form, pk):
        item = self.datamodel.get(pk, self._base_filters)
        for key in self.add_form_extra_fields:
            if key in form and item.details and key in item.details:
                getattr(form, key).data = item.details[key]

    def pre_add(self, item):
        practitioner_id = current_practitioner_id()
        if practitioner_id < 0:
            refuse(str(_l("Complete your personal data before applying.")))
        item.practitioner_id = practitioner_id
        item.app_type = self.app_type
        self._complete(item)
        # The database refuses a second open application too; say it in words first.
        open_one = self.datamodel.session.scalar(select(Application.id).where(
            Application.practitioner_id == practitioner_id,
            Application.qualification_id == item.qualification.id,
            Application.state.in_(OPEN_APPLICATION_STATES)))
        if open_one is not None:
            refuse(str(_l("Application No. %(n)s for this qualification is still in progress; "
                          "finish or withdraw it first.", n=open_one)))

    def pre_update(self, item):
        if item.state not in EDITABLE_STATES:
            refuse(str(_l("Only a draft or a returned application can be changed.")))
        self._complete(item)

    def _complete(self, item):
        details = dict(item.details or {})
        for key in self.add_form_extra_fields:
            if key != "correction_file":  # the upload is stored as a file, not in details
                details[key] = getattr(item, key, None)
        if "correction_field" in details:
            details["corrections"] = _corrections(details)
        item.details = details
        # The form sets relationships; their foreign keys are filled only at flush.
        if item.registration is not None:  # registration-based types follow it
            item.qualification = item.registration.qualification
            if item.enterprise is None:
                item.enterprise = item.registration.enterprise
        if item.app_type == ApplicationType.correction:
            self._file_correction_under_person(item)
        wrong = [s.name for s in item.specialties if s.qualification is not item.qualification]
        if wrong:
            refuse(str(_l("These specialties do not belong to the qualification: %(s)s",
                          s="、".join(wrong))))
        self._specialties_fit_the_registration(item)

    @staticmethod
    def _specialties_fit_the_registration(item):
        """An added specialty is one not yet registered; a renewed one is one registered."""
        if item.registration is None or item.app_type not in SPECIALTY_MODES:
            return
        held = {p.specialty_id for p in item.registration.specialties}
        if item.app_type == ApplicationType.add_specialty:
            wrong = [s.name for s in item.specialties if s.id in held]
            message = _l("Already registered: %(s)s. Choose a specialty not yet registered.")
        else:
            wrong = [s.name for s in item.specialties if s.id not in held]
            message = _l("Not registered, so not renewable: %(s)s.")
        if wrong:
            refuse(str(message) % {"s": "、".join(wrong)})

    @staticmethod
    def _file_correction_under_person(item):
        """A correction concerns the person, not one registration: it is filed under their
        first registration's qualification (or first verified certificate's) and, like every
        application, verified by their current employer."""
        person = db.session.get(Practitioner, item.practitioner_id)
        verified = [c for c in person.certificates
                    if c.verification == VerificationStatus.verified]
        qualifications = [r.qualification for r in person.registrations] + \
            [c.qualification for c in verified]
        employer = next((e.enterprise for e in person.employments if e.end_date is None), None)
        if not qualifications:
            refuse(str(_l("A data correction needs a verified qualification on file.")))
        if employer is None:
            refuse(str(_l("A data correction is verified by your current employer, and none "
                          "is on file.")))
        item.qualification, item.enterprise = qualifications[0], employer


def _corrections(details: dict) -> dict:
    """What the correction replaces on approval. A new photo or signature is checked by the
    rules of the registry entry and stored now; the registry uses it only once approved."""
    field, value = details["correction_field"], (details.get("correction_value") or "").strip()
    if field not in CORRECTABLE_IMAGES:
        if not value:
            refuse(str(_l("Enter the correct value.")))
        return {field: value}
    details["correction_value"] = ""
    upload = request.files.get("correction_file")
    content = upload.read(SPECS[field].max_bytes + 1) if upload else b""
    kept = (details.get("corrections") or {}).get(f"{field}_id")
    if not content and kept:  # editing a draft without a new file keeps the one uploaded
        return {f"{field}_id": kept}
    if not content:
        refuse(str(_l("Upload the new image: %(what)s.", what=L[field])))
    try:
        normalised, content_type = check_and_normalise(field, content)
    except ImageRejected as rejected:
        refuse(str(_l("Not accepted: %(why)s", why=rejected)))
    return {f"{field}_id": storage.save(normalised, content_type).id}


def _form_view(app_type: ApplicationType, columns: list[str]) -> type:
    extras = {key: EXTRA_FIELDS[key](app_type) for key in columns if key in EXTRA_FIELDS}
    model_columns = [c for c in columns if c not in EXTRA_FIELDS]
    # A qualification without specialties has none to choose, except when adding one.
    required = [c for c in model_columns
                if c != "specialties" or app_type == ApplicationType.add_specialty]
    templates = {"add_template": "specialty_add.html", "edit_template": "specialty_edit.html",
                 "extra_args": {"specialty_mode": SPECIALTY_MODES.get(app_type, "all")}} \
        if "specialties" in columns else {}  # the specialty list follows the qualification
    return type(form_view_name(app_type), (ApplicationFormView,), {
        **templates,
        "app_type": app_type,
        "route_base": f"/apply/{app_type.name}",
        "list_title": _l(app_type.value),
        "add_title": _l(app_type.value),
        "edit_title": _l(app_type.value),
        "add_columns": columns,
        "edit_columns": columns,
        "add_form_extra_fields": extras,
        "edit_form_extra_fields": extras,
        "base_filters": ApplicationFormView.base_filters + [["app_type", FilterEqual, app_type]],
        "validators_columns": {c: [DataRequired()] for c in required},
    })


FORM_VIEWS = [_form_view(t, cols) for t, cols in APPLICATION_FORMS.items()]


class EnterpriseApplicationView(ApplicationDetailMixin, BatchTransitions, BaseView):
    datamodel = RegistryInterface(Application)
    after_action_view = "EnterpriseApplicationView"
    # A draft is the applicant's own business until it is submitted.
    base_filters = [["enterprise_id", FilterEqualFunction, current_enterprise_id],
                    ["state", FilterNotEqual, ApplicationState.draft]]
    base_permissions = READ
    list_title = _l("All our applications")
    list_columns = ["id", "practitioner", "app_type", "qualification", "state", "submitted_at"]
    show_columns = ["id", "practitioner", "app_type", "qualification", "registration",
                    "specialties", "state", "submitted_at", "decided_at"]
    search_columns = ["app_type", "qualification", "state"]


class EnterpriseQueueView(EnterpriseApplicationView):
    list_title = _l("Applications to verify")
    base_filters = EnterpriseApplicationView.base_filters + [
        ["state", FilterEqual, ApplicationState.pending_enterprise]]
    base_order = ("submitted_at", "asc")


class ApplicationAdminView(LookupViews, ApplicationDetailMixin, BatchTransitions, BaseView):
    datamodel = RegistryInterface(Application)
    base_permissions = READ
    base_filters = [["state", FilterNotEqual, ApplicationState.draft]]  # not submitted: private
    # Newest first; without an order, pages of LIMIT/OFFSET could repeat or skip rows.
    base_order = ("id", "desc")
    list_title = _l("All applications")
    list_columns = ["id", "practitioner", "app_type", "qualification", "city", "state",
                    "submitted_at", "deadline"]
    show_columns = ["id", "practitioner", "app_type", "qualification", "registration",
                    "specialties", "enterprise", "city", "state", "submitted_at", "deadline",
                    "decided_at"]
    search_columns = ["app_type", "qualification", "city", "state", "enterprise", "deadline",
                      "submitted_at"]
    lookups = {"enterprise": ENTERPRISES}  # 40,000 of them: typed, not listed
    formatters_columns = {"deadline": format_deadline}
    related_views = [DecisionView]


def _queue(name: str, title, state: ApplicationState) -> type:
    return type(name, (ApplicationAdminView,), {
        "list_title": title,
        "base_filters": [["state", FilterEqual, state]],
        "base_order": ("deadline", "asc"),  # due first
    })


AcceptanceQueueView = _queue("AcceptanceQueueView", _l("Waiting for acceptance"),
                             ApplicationState.pending_acceptance)
ReviewQueueView = _queue("ReviewQueueView", _l("Under review"), ApplicationState.under_review)
DecisionQueueView = _queue("DecisionQueueView", _l("Waiting for a decision"),
                           ApplicationState.pending_decision)
