"""THE transition table of the application workflow (domain.md sections 3 to 6).

Everything else is generated from it: the FAB permission of each transition (and so the
roles' grants), the buttons on a detail page, the one route per transition used by the web
page and the REST API alike, the history rows, and the permission-matrix tests. A transition
nobody is granted cannot fire (deny by default)."""
from __future__ import annotations

from dataclasses import dataclass

from .enums import N_
from .enums import ApplicationState as S

# Who may act on which applications: the practitioner who owns it, the staff of the
# enterprise it is addressed to, or the authority (province-wide).
OWN = "own"
OWN_ENTERPRISE = "own_enterprise"
AUTHORITY = "authority"

# Who is told of a transition (app/service/transition_messages.py): the practitioner's
# account, and the staff accounts of the enterprise the application is addressed to.
APPLICANT = "applicant"
ENTERPRISE = "enterprise"

# The enterprise's recorded checks (domain.md section 2), each a box it must tick to forward.
ENTERPRISE_CHECKS = {
    "pledge": N_("We pledge that the application and its materials are true"),
    "contract_checked": N_("The labour contract with this enterprise is valid"),
    "insurance_checked": N_("Social insurance is paid by this enterprise"),
}


@dataclass(frozen=True)
class Transition:
    name: str
    source: frozenset[S]
    target: S
    role: str  # key of app.security.ROLES
    scope: str  # OWN, OWN_ENTERPRISE or AUTHORITY
    label: str
    requires: tuple[str, ...] = ()  # keys of ENTERPRISE_CHECKS that must be confirmed
    reason: bool = False  # a reason must be stated
    items: bool = False  # an itemised list (field or attachment, reason) may be given
    prechecks: bool = False  # run app/applications/rules.py; a blocking failure stops the transition
    separate_from: tuple[str, ...] = ()  # who did these on the application may not do this
    style: str = "primary"
    notify: tuple[str, ...] = ()  # APPLICANT and/or ENTERPRISE get an in-app message
    notice: str = ""  # what the message says happened (a msgid), when notify is set

    @property
    def permission(self) -> str:
        """FAB permission name (without the can_ prefix) on WORKFLOW_PERMISSION_VIEW."""
        return self.name


WORKFLOW_PERMISSION_VIEW = "ApplicationWorkflow"


def _t(name, source, target, role, scope, label, **kw) -> Transition:
    return Transition(name, frozenset(source), target, role, scope, label, **kw)


TRANSITIONS: tuple[Transition, ...] = (
    # practitioner
    _t("submit", {S.draft}, S.pending_enterprise, "practitioner", OWN,
       N_("Submit to the enterprise"), prechecks=True,
       notify=(APPLICANT, ENTERPRISE), notice=N_("Submitted to the enterprise for verification")),
    _t("withdraw", {S.pending_enterprise}, S.withdrawn, "practitioner", OWN,
       N_("Withdraw"), style="default",
       notify=(APPLICANT, ENTERPRISE), notice=N_("Withdrawn by the applicant")),
    _t("resubmit", {S.returned}, S.pending_enterprise, "practitioner", OWN,
       N_("Resubmit after correction"), prechecks=True,
       notify=(APPLICANT, ENTERPRISE), notice=N_("Resubmitted to the enterprise after correction")),
    # enterprise
    _t("forward", {S.pending_enterprise}, S.pending_acceptance, "enterprise", OWN_ENTERPRISE,
       N_("Verify and forward to the authority"), requires=tuple(ENTERPRISE_CHECKS),
       prechecks=True, notify=(APPLICANT,),
       notice=N_("Verified by the enterprise and forwarded to the authority")),
    _t("enterprise_return", {S.pending_enterprise}, S.returned, "enterprise", OWN_ENTERPRISE,
       N_("Return to the applicant"), reason=True, items=True, style="warning",
       notify=(APPLICANT,), notice=N_("Returned by the enterprise for correction")),
    # authority: acceptance and review
    _t("accept", {S.pending_acceptance}, S.under_review, "reviewer", AUTHORITY,
       N_("Accept"), notify=(APPLICANT,), notice=N_("Accepted by the authority")),
    _t("review_return", {S.pending_acceptance, S.under_review}, S.returned, "reviewer", AUTHORITY,
       N_("Return with a notice of everything to correct"), reason=True, items=True,
       style="warning", notify=(APPLICANT, ENTERPRISE),
       notice=N_("Returned by the authority for correction")),
    _t("pass_review", {S.under_review}, S.pending_decision, "reviewer", AUTHORITY,
       N_("Pass to decision with an opinion"), reason=True),
    # authority: decision, by someone other than the reviewer (separation of duties)
    _t("approve", {S.pending_decision}, S.approved, "approver", AUTHORITY,
       N_("Approve registration"), separate_from=("accept", "pass_review"), style="success",
       notify=(APPLICANT, ENTERPRISE), notice=N_("Registration approved")),
    _t("refuse", {S.pending_decision}, S.refused, "approver", AUTHORITY,
       N_("Refuse registration"), reason=True, separate_from=("accept", "pass_review"),
       style="danger", notify=(APPLICANT, ENTERPRISE), notice=N_("Registration refused")),
    _t("send_back", {S.pending_decision}, S.under_review, "approver", AUTHORITY,
       N_("Send back to review"), reason=True, separate_from=("accept", "pass_review"),
       style="default"),
)

BY_NAME = {t.name: t for t in TRANSITIONS}


def permissions_for(role_key: str) -> tuple[str, ...]:
    """The FAB permissions a role holds on WORKFLOW_PERMISSION_VIEW, from the table."""
    return tuple(f"can_{t.permission}" for t in TRANSITIONS if t.role == role_key)


def transitions_from(state: S) -> list[Transition]:
    return [t for t in TRANSITIONS if state in t.source]
