"""Screens generated from the models. Each view is a declaration: columns, filters, scope.
Which role may use which view is declared in app/security.py (ROLES)."""
from __future__ import annotations

from flask_appbuilder import IndexView, expose
from flask_appbuilder.models.sqla.filters import FilterEqualFunction
from flask_appbuilder.security.decorators import has_access, permission_name
from flask_appbuilder.security.sqla.models import User
from flask_appbuilder.urltools import get_filter_args
from flask_babel import lazy_gettext as _l
from sqlalchemy import inspect

from . import audit_labels
from .accounts.api_base import RegistryApi, add_twins, all_of, twin, unique_value
from .accounts.api_forms import form_twin
from .accounts.enterprise_staff import EnterpriseStaffView
from .accounts.lookups import ENTERPRISES, LookupViews, accounts
from .accounts.signup_api import SignupApi
from .accounts.signup_views import SignupView, activate_verified_enterprise
from .accounts.two_factor_views import TwoFactorCodeView, TwoFactorResetView, TwoFactorView
from .applications.api_views import APPLICATION_APIS, APPLICATION_FORM_APIS
from .applications.views import (
    FORM_VIEWS,
    AcceptanceQueueView,
    ApplicationAdminView,
    DecisionQueueView,
    DecisionView,
    EnterpriseApplicationView,
    EnterpriseQueueView,
    MyApplicationView,
    ReviewQueueView,
)
from .applications.workflow_views import WorkflowApi
from .certificates.api_views import registration_apis
from .certificates.batch_print import BatchPrint
from .certificates.public_api import PublicVerificationApi
from .certificates.public_views import PublicVerificationView
from .certificates.register_export import RegisterListWidget, csv_response, specialties_text, xlsx_response
from .certificates.views import CertificateFileCheckView, MyRegistrationView
from .enums import (
    N_,
    CertificateSource,
    VerificationStatus,
)
from .identity import (
    CreditCodeValidator,
    ResidentIdValidator,
    marshmallow_validator,
    parse_credit_code,
    parse_resident_id,
)
from .models import (
    AuditLog,
    Certificate,
    Employment,
    Enterprise,
    EnterpriseUser,
    Practitioner,
    QualificationCertificate,
    QualificationType,
    Registration,
    RegistrationSpecialty,
    Specialty,
)
from .notifications import deliver_outbox
from .registry.entry_api import RegistryEntryApi, certificate_apis
from .registry.roster_api import RosterImportApi
from .registry.roster_views import RosterImportView
from .registry.views import MyQualificationCertificateView, RegistryEntryView, tell_verification_result
from .reporting.views import DashboardView, EnterpriseDashboardView
from .scoping import (
    current_enterprise_id,
    current_user_id,
    refuse,
)
from .service.api_views import SERVICE_APIS
from .service.consultation_views import (
    ConsultationAdminView,
    ConsultationQueueView,
    FaqPublishView,
    MyConsultationView,
)
from .service.faq import FaqView
from .service.message_views import MyNotificationView
from .view_base import READ, BaseView, RegistryInterface, file_preview


# ---------------------------------------------------------------- practitioner (个人)
class MyProfileView(BaseView):
    datamodel = RegistryInterface(Practitioner)
    base_filters = [["user_id", FilterEqualFunction, current_user_id]]
    base_permissions = READ + ["can_edit"]
    list_title = show_title = edit_title = _l("My personal data")
    list_columns = ["real_name", "id_number", "sex", "birth_date", "phone", "registry_status"]
    show_columns = list_columns + ["email", "education"]
    # Name and ID number come from real-name sign-up; photo and signature change only
    # through a data-correction application.
    edit_columns = ["phone", "email", "education"]


# ---------------------------------------------------------------- enterprise (企业)
class OwnEnterpriseView(BaseView):
    datamodel = RegistryInterface(Enterprise)
    base_filters = [["id", FilterEqualFunction, current_enterprise_id]]
    base_permissions = READ + ["can_edit"]
    list_title = _l("Our enterprise")
    list_columns = ["name", "credit_code", "city", "status", "aptitude_expiry"]
    show_columns = list_columns + ["legal_representative", "address", "aptitude_certificate_no"]
    # Name, credit code and 资质 are verified by the authority, not self-edited.
    edit_columns = ["legal_representative", "address"]


class EnterpriseEmploymentView(BaseView):
    datamodel = RegistryInterface(Employment)
    base_filters = [["enterprise_id", FilterEqualFunction, current_enterprise_id]]
    base_permissions = READ + ["can_edit"]
    list_title = _l("Our practitioners")
    list_columns = ["practitioner", "start_date", "end_date", "contract_checked", "insurance_checked"]
    show_columns = list_columns
    edit_columns = ["end_date", "contract_checked", "insurance_checked"]


class EnterpriseRegistrationView(BatchPrint, BaseView):
    datamodel = RegistryInterface(Registration)
    base_filters = [["enterprise_id", FilterEqualFunction, current_enterprise_id]]
    base_permissions = READ
    list_title = _l("Our registered practitioners")
    list_columns = ["number", "practitioner", "qualification", "status"]
    show_columns = list_columns + ["specialties", "first_registered_on"]
    formatters_columns = {"specialties": specialties_text}


class PractitionerAdminView(BaseView):
    datamodel = RegistryInterface(Practitioner)
    base_permissions = READ + ["can_add", "can_edit"]
    list_title = _l("Practitioners")
    list_columns = ["real_name", "id_number", "sex", "birth_date", "phone", "registry_status"]
    show_columns = list_columns + ["email", "education", "created_at"]
    add_columns = ["real_name", "id_number", "phone", "email", "education"]
    edit_columns = ["phone", "email", "education"]
    search_columns = ["real_name", "id_number", "phone", "registry_status"]
    validators_columns = {"id_number": [ResidentIdValidator()]}


class QualificationCertificateAdminView(BaseView):
    datamodel = RegistryInterface(QualificationCertificate)
    base_permissions = READ + ["can_add", "can_edit"]
    list_title = _l("Qualification roster")
    list_columns = ["real_name", "id_number", "qualification", "specialty", "certificate_number",
                    "issue_date", "verification"]
    show_columns = list_columns + ["source", "scan_file", "rejection_reason", "practitioner"]
    add_columns = ["real_name", "id_number", "qualification", "specialty", "certificate_number",
                   "issue_date"]
    edit_columns = ["verification", "rejection_reason"]
    search_columns = ["real_name", "id_number", "certificate_number", "qualification", "verification"]
    validators_columns = {"id_number": [ResidentIdValidator()]}
    formatters_columns = {"scan_file": file_preview}
    add_template = "specialty_add.html"
    edit_template = "edit_with_record.html"  # the reviewer verifies with the scan in view
    edit_shows_record = True

    def pre_update(self, item):
        if item.verification == VerificationStatus.rejected and not (item.rejection_reason or "").strip():
            refuse(str(_l("State the reason for the rejection; the practitioner will see it.")))
        if item.verification == VerificationStatus.verified:
            item.rejection_reason = None
        if inspect(item).attrs.verification.history.has_changes():
            tell_verification_result(item)  # in this transaction: saved together or not at all

    def post_update(self, item):
        deliver_outbox()

    def pre_add(self, item):
        item.source = CertificateSource.roster
        item.verification = VerificationStatus.verified


class EnterpriseAdminView(BaseView):
    datamodel = RegistryInterface(Enterprise)
    base_permissions = READ + ["can_add", "can_edit"]
    list_title = _l("Enterprises")
    list_columns = ["name", "credit_code", "city", "status", "aptitude_expiry"]
    show_columns = list_columns + ["legal_representative", "address", "aptitude_certificate_no",
                                   "created_at"]
    add_columns = edit_columns = ["name", "credit_code", "legal_representative", "city", "address",
                                  "aptitude_certificate_no", "aptitude_expiry", "status"]
    search_columns = ["name", "credit_code", "city", "status"]
    validators_columns = {"credit_code": [CreditCodeValidator()]}

    def post_update(self, item):
        activate_verified_enterprise(item)  # its administrator's account starts to work
        self.datamodel.session.commit()


class RegistrationSpecialtyView(BaseView):
    datamodel = RegistryInterface(RegistrationSpecialty)
    base_permissions = READ
    list_title = _l("Specialties and expiry dates")
    list_columns = ["specialty", "registered_on", "expires_on"]


class RegistrationAdminView(LookupViews, BatchPrint, BaseView):
    datamodel = RegistryInterface(Registration)
    base_permissions = READ + ["can_export"]
    list_title = _l("Registration register")
    list_columns = ["number", "practitioner", "qualification", "enterprise", "status",
                    "first_registered_on"]
    show_columns = list_columns
    search_columns = ["number", "qualification", "enterprise", "status"]
    lookups = {"enterprise": ENTERPRISES}
    related_views = [RegistrationSpecialtyView]
    list_widget = RegisterListWidget  # the list with export buttons

    @expose("/export/csv")
    @has_access
    @permission_name("export")
    def export_csv(self):
        return csv_response(self._filtered_ids())

    @expose("/export/xlsx")
    @has_access
    @permission_name("export")
    def export_xlsx(self):
        return xlsx_response(self._filtered_ids())

    def _filtered_ids(self):
        """The ids the list page shows for the same search arguments, without paging. A
        Filters object of its own, as FAB's self._filters is shared between requests."""
        filters = self.datamodel.get_filters(self.search_columns)
        get_filter_args(filters)
        query = self.datamodel.session.query(Registration.id)
        return self.datamodel.apply_filters(query, filters.get_joined_filters(self._base_filters))


class EmploymentAdminView(LookupViews, BaseView):
    datamodel = RegistryInterface(Employment)
    base_permissions = READ
    list_title = _l("Employments")
    list_columns = ["practitioner", "enterprise", "start_date", "end_date", "contract_checked",
                    "insurance_checked"]
    show_columns = list_columns
    search_columns = ["enterprise", "start_date", "end_date"]
    lookups = {"enterprise": ENTERPRISES}


class CertificateAdminView(BaseView):
    datamodel = RegistryInterface(Certificate)
    base_permissions = READ
    list_title = _l("Electronic certificates")
    list_columns = ["registration", "version", "issued_at", "usage_until", "void"]
    show_columns = list_columns
    search_columns = ["issued_at", "usage_until", "void"]


# ---------------------------------------------------------------- configuration and oversight
class SpecialtyView(BaseView):
    datamodel = RegistryInterface(Specialty)
    base_permissions = READ + ["can_add", "can_edit"]
    list_title = _l("Specialties")
    list_columns = ["qualification", "code", "name"]
    add_columns = edit_columns = show_columns = list_columns


class QualificationTypeView(BaseView):
    datamodel = RegistryInterface(QualificationType)
    base_permissions = READ + ["can_edit"]
    list_title = _l("Qualifications")
    list_columns = ["code", "name", "validity_years", "initial_window_years", "age_cap"]
    show_columns = list_columns + ["validity_per_specialty", "number_pattern"]
    edit_columns = ["validity_years", "initial_window_years", "age_cap", "number_pattern"]
    description_columns = {
        "number_pattern": _l("How registration numbers are made: {province} is the province "
                             "code, {qualified} the year of the qualification certificate, "
                             "{registered} the year of registration, {serial:05d} the serial "
                             "number in five digits."),
        "age_cap": _l("Empty: no age cap."),
    }
    edit_template = "edit_with_record.html"  # which qualification is being edited
    edit_shows_record = True
    related_views = [SpecialtyView]


class EnterpriseUserAdminView(LookupViews, BaseView):
    datamodel = RegistryInterface(EnterpriseUser)
    base_permissions = READ + ["can_add", "can_edit", "can_delete"]
    list_title = _l("Enterprise accounts")
    list_columns = ["user", "enterprise", "is_admin"]
    add_columns = edit_columns = show_columns = list_columns
    # Every person has an account, and the province has 40,000 enterprises: both typed.
    lookups = {"enterprise": ENTERPRISES, "user": accounts(User)}


class AuditLogView(BaseView):
    """Read-only by construction: no add, edit or delete permission exists for it."""

    datamodel = RegistryInterface(AuditLog)
    base_permissions = READ
    list_title = _l("Audit log")
    list_columns = ["created_at", "actor_name", "actor_role", "client_address", "action",
                    "object_type", "object_id", "result"]
    show_columns = list_columns + ["request_id", "detail"]
    search_columns = ["created_at", "actor_name", "action", "object_type", "result", "request_id"]
    base_order = ("created_at", "desc")
    formatters_columns = {"action": audit_labels.action_label,
                          "object_type": audit_labels.object_label,
                          "detail": audit_labels.detail_text}


# ---------------------------------------------------------------- home page
class HomeView(IndexView):
    """The home page lists what the signed-in user can do, grouped as in the menu."""

    index_template = "index.html"

    @expose("/")
    def index(self):
        self.update_redirect()
        return self.render_template(self.index_template, appbuilder=self.appbuilder)


# ---------------------------------------------------------------- REST API (/api/v1/...)
class PractitionerApi(RegistryApi):
    """The registry of practitioners for the authority's systems; same rules as the form."""

    resource_name = "practitioner"
    datamodel = RegistryInterface(Practitioner)
    list_columns = show_columns = ["id", "real_name", "id_number", "sex", "birth_date", "phone",
                                   "email", "education", "registry_status"]
    add_columns = ["real_name", "id_number", "phone", "email", "education"]
    edit_columns = ["phone", "email", "education"]
    validators_columns = {"id_number": all_of(
        marshmallow_validator(parse_resident_id),
        unique_value(Practitioner.id_number, _l("This ID number is already registered.")),
    )}


class EnterpriseApi(RegistryApi):
    resource_name = "enterprise"
    datamodel = RegistryInterface(Enterprise)
    list_columns = show_columns = ["id", "name", "credit_code", "legal_representative", "city",
                                   "address", "aptitude_certificate_no", "aptitude_expiry", "status"]
    add_columns = ["name", "credit_code", "legal_representative", "city", "address",
                   "aptitude_certificate_no", "aptitude_expiry"]
    # status: the authority's verification, with the web screen's effect (post_update).
    edit_columns = ["legal_representative", "address", "aptitude_certificate_no", "aptitude_expiry",
                    "status"]
    validators_columns = {"credit_code": all_of(
        marshmallow_validator(parse_credit_code),
        unique_value(Enterprise.credit_code, _l("This credit code is already registered.")),
    )}

    def post_update(self, item):
        activate_verified_enterprise(item)  # as EnterpriseAdminView: its administrator's account
        self.datamodel.session.commit()


APIS = [PractitionerApi, EnterpriseApi, WorkflowApi, PublicVerificationApi, SignupApi]
# The enterprise's own record, its practitioners and its staff accounts (its administrator
# adds them), as its staff see them on the web.
ENTERPRISE_APIS = [
    twin(OwnEnterpriseView, "own_enterprise", list_columns=["id", *OwnEnterpriseView.show_columns],
         show_columns=["id", *OwnEnterpriseView.show_columns], openapi_spec_tag="Enterprise"),
    twin(EnterpriseEmploymentView, "enterprise_employment", openapi_spec_tag="Enterprise",
         list_columns=(employment := ["id", "practitioner.id", "practitioner.real_name",
                                      "start_date", "end_date", "contract_checked",
                                      "insurance_checked"]), show_columns=employment),
    twin(EnterpriseStaffView, "enterprise_staff", openapi_spec_tag="Enterprise",
         list_columns=(staff := ["id", "user.id", "user.username", "user.first_name",
                                 "is_admin", "active"]), show_columns=staff),
    form_twin(EnterpriseStaffView, "enterprise_staff", ("post",), openapi_spec_tag="Enterprise"),
]

# ---------------------------------------------------------------- menus
# (view, menu name, category, icon). Menu names are stable identifiers (they name FAB's
# menu_access permissions); labels are translated.
MENU = [
    (RegistryEntryView, N_("Registry entry"), N_("Personal"), "fa-id-badge"),
    (MyProfileView, N_("My personal data"), N_("Personal"), "fa-id-card"),
    (MyQualificationCertificateView, N_("My qualification certificates"), N_("Personal"), "fa-certificate"),
    (MyApplicationView, N_("My applications"), N_("Personal"), "fa-file-text"),
    (MyRegistrationView, N_("My registrations"), N_("Personal"), "fa-check-square"),
    (EnterpriseDashboardView, N_("Our statistics"), N_("Enterprise services"), "fa-bar-chart"),
    (OwnEnterpriseView, N_("Our enterprise"), N_("Enterprise services"), "fa-building"),
    (EnterpriseQueueView, N_("Applications to verify"), N_("Enterprise services"), "fa-inbox"),
    (EnterpriseApplicationView, N_("All our applications"), N_("Enterprise services"), "fa-list-alt"),
    (EnterpriseEmploymentView, N_("Our practitioners"), N_("Enterprise services"), "fa-users"),
    (EnterpriseRegistrationView, N_("Our registered practitioners"), N_("Enterprise services"), "fa-list"),
    (EnterpriseStaffView, N_("Our accounts"), N_("Enterprise services"), "fa-user"),
    (DashboardView, N_("Registration statistics"), N_("Registration management"), "fa-bar-chart"),
    (AcceptanceQueueView, N_("Waiting for acceptance"), N_("Registration management"), "fa-inbox"),
    (ReviewQueueView, N_("Under review"), N_("Registration management"), "fa-search"),
    (DecisionQueueView, N_("Waiting for a decision"), N_("Registration management"), "fa-gavel"),
    (ApplicationAdminView, N_("All applications"), N_("Registration management"), "fa-list-alt"),
    (RegistrationAdminView, N_("Registration register"), N_("Registration management"), "fa-book"),
    (PractitionerAdminView, N_("Practitioners"), N_("Registration management"), "fa-id-card"),
    (QualificationCertificateAdminView, "Qualification roster", "Registration management",
     "fa-certificate"),
    (RosterImportView, N_("Import qualification roster"), N_("Registration management"),
     "fa-upload"),
    (EnterpriseAdminView, N_("Enterprises"), N_("Registration management"), "fa-building"),
    (EmploymentAdminView, N_("Employments"), N_("Registration management"), "fa-briefcase"),
    (CertificateAdminView, N_("Electronic certificates"), N_("Registration management"),
     "fa-file-pdf-o"),
    (ConsultationQueueView, N_("Questions to answer"), N_("Registration management"),
     "fa-question-circle"),
    (ConsultationAdminView, N_("Consultations"), N_("Registration management"), "fa-comments"),
    (FaqPublishView, N_("FAQ publishing"), N_("Registration management"), "fa-bullhorn"),
    (QualificationTypeView, N_("Qualifications"), N_("Configuration"), "fa-cog"),
    (SpecialtyView, N_("Specialties"), N_("Configuration"), "fa-cogs"),
    (EnterpriseUserAdminView, N_("Enterprise accounts"), N_("Security"), "fa-link"),
    (TwoFactorResetView, N_("Two-factor authentication"), N_("Security"), "fa-mobile"),
    (AuditLogView, N_("Audit log"), N_("Audit"), "fa-history"),
    (MyConsultationView, N_("My questions"), N_("Service"), "fa-question-circle"),
    (MyNotificationView, N_("Messages"), N_("Service"), "fa-envelope"),
]
NO_MENU = [DecisionView, RegistrationSpecialtyView, SignupView, PublicVerificationView, FaqView,
           CertificateFileCheckView, TwoFactorCodeView, TwoFactorView,
           *FORM_VIEWS]


def register(appbuilder) -> None:
    for view, name, category, icon in MENU:
        appbuilder.add_view(
            view, name, icon=icon, label=_l(name), category=category, category_label=_l(category)
        )
    for view in NO_MENU:
        appbuilder.add_view_no_menu(view)
    for api in APIS:
        appbuilder.add_api(api)
    # The twins of web screens (app/accounts/api_base.py, api_forms.py), after the screens.
    add_twins(appbuilder, [
        *ENTERPRISE_APIS, RegistryEntryApi, RosterImportApi,
        *certificate_apis(QualificationCertificateAdminView),
        *APPLICATION_APIS, *APPLICATION_FORM_APIS, *SERVICE_APIS,
        *registration_apis(EnterpriseRegistrationView, RegistrationAdminView)])
