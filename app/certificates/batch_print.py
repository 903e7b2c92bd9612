"""Printing the certificates of the ticked registrations as one zip: a FAB list action on
the enterprise's and the authority's registration lists. Each registration goes through
the single print's path (print_certificate: a new version when needed, the signed PDF, the
audit row); one that cannot be printed is listed in 说明.txt in the zip, or on a page when
none can be."""
from __future__ import annotations

import io
import re
import zipfile

from flask import abort, redirect, request, url_for
from flask_appbuilder.actions import ActionItem
from flask_appbuilder.baseviews import expose
from flask_appbuilder.security.decorators import has_access
from flask_appbuilder.security.sqla.models import User
from flask_babel import LazyString, gettext
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from ..applications.batch_actions import list_as_left, own_actions_only, ticked_ids, too_many_or_none
from ..dates import province_today
from ..downloads import private_download
from ..extensions import db
from ..labels import COLUMN_LABELS
from ..models import Registration
from ..operations import jobs
from ..operations.queue import connection, task_queue
from .versions import CertificateBlocked
from .views import certificate_file_name, print_certificate

ACTION = "batch_print"
NOTE_NAME = "说明.txt"  # what was not printed, and why; read first
# A certificate takes 80–120 ms to render and sign (README, provincial benchmark), up to
# 300 ms on a loaded server: 50 stay within seconds, well inside a worker's timeout, where
# the 200 of a batch transition could reach gunicorn's default 30 s.
MAX_PRINT = 50
# With the queue (REDIS_URL) a batch of more than PRINT_IN_REQUEST is printed by the queue
# worker while the page shows the progress, and a batch may hold up to MAX_PRINT_QUEUED; the
# zip is kept in Redis for ZIP_KEEP seconds for its download.
PRINT_IN_REQUEST = 5
MAX_PRINT_QUEUED = 500
ZIP_KEEP = 3600
STAGES = {"print": _l("Certificates printed")}


def _action_text() -> str:
    return gettext("Batch: %(action)s", action=gettext("Print the electronic certificate"))


def entry_name(certificate) -> str:
    """The holder's name before the single print's file name; no path separators."""
    name = f"{certificate.registration.practitioner.real_name} {certificate_file_name(certificate)}"
    return re.sub(r'[\\/:*?"<>|\x00-\x1f]', "_", name)


class BatchPrint:
    """Mixin for a registration list (before the ModelView in the bases)."""

    def __init__(self, **kwargs):
        own_actions_only(self)
        # The queued batch's page and its zip: the list's permission here, the action's
        # checked inside (FAB names actions bare, and protect adds "can_").
        self.method_permission_name = {**(self.method_permission_name or {}),
                                       "batch_job": "list", "batch_zip": "list"}
        super().__init__(**kwargs)
        run = self._print_ticked
        self.actions[ACTION] = ActionItem(ACTION, LazyString(_action_text), None, "fa-print",
                                          True, False, func=run)
        self.base_permissions.append(ACTION)

    @expose("/action_post", methods=["POST"])
    def action_post(self):
        # FAB's (and ScopedModelView's) action_post look every ticked row up first and answer
        # 404 for one outside the list; here such a row is reported like any unprintable one.
        if request.form.get("action") == ACTION:
            return self._run_action(ACTION, None)  # ScopedModelView checks the permission
        return super().action_post()

    def _print_ticked(self, _target=None):
        back = list_as_left(url_for(f"{self.endpoint}.list"))
        ids = ticked_ids()
        queued = task_queue() is not None
        stop = too_many_or_none(ids, back, MAX_PRINT_QUEUED if queued else MAX_PRINT)
        if stop is not None:
            return stop
        missing = gettext("The registration does not exist.")
        printed, refused = [], []
        if queued and len(ids) > PRINT_IN_REQUEST:
            answer = self._print_in_the_queue(ids, missing)
            if answer is not None:
                return answer
            stop = too_many_or_none(ids, back, MAX_PRINT)
            if stop is not None:
                return stop
        for pk in ids:
            registration = self.datamodel.get(pk, self._base_filters)  # this list's scope
            if registration is None:
                refused.append((pk, "", missing))
                continue
            number, holder = registration.number, registration.practitioner.real_name
            try:
                current, pdf = print_certificate(registration)
            except CertificateBlocked as blocked:
                refused.append((number, holder, str(blocked)))
                continue
            printed.append((entry_name(current), pdf))
        if not printed:
            return self.render_template(
                "batch_result.html", title=_action_text(), done=0, back=back,
                id_label=COLUMN_LABELS["number"], name_label=COLUMN_LABELS["practitioner"],
                outcomes=[{"id": n, "row": {"name": h}, "done": False, "message": m}
                          for n, h, m in refused])
        return _zip_response(printed, refused)

    def _print_in_the_queue(self, ids, missing: str):
        """The scope is judged here, for the user who ticked; the worker prints what it
        allows (the list's own scope, as in the request)."""
        in_scope, refused = [], []
        for pk in ids:
            registration = self.datamodel.get(pk, self._base_filters)
            if registration is None:
                refused.append((pk, "", missing))
            else:
                in_scope.append(registration.id)
        job_id = jobs.start("app.certificates.batch_print.print_job", in_scope, refused,
                            current_user.id, owner=current_user.id, kind="batch_print")
        if job_id is not None:
            return redirect(url_for(f"{self.endpoint}.batch_job", job_id=job_id))
        return None  # Redis is away: printed here if the batch is small enough

    def _queued_batch(self, job_id: str):
        if not self.appbuilder.sm.has_access(ACTION, self.class_permission_name):
            abort(403)
        state = jobs.state_of(job_id, current_user.id, "batch_print")
        if state is None:
            abort(404)
        return state

    @expose("/batch_print/<job_id>")
    @has_access
    def batch_job(self, job_id: str):
        state = self._queued_batch(job_id)
        back = url_for(f"{self.endpoint}.list")
        if state.status != "done":
            return self.render_template("job_progress.html", title=_action_text(), state=state,
                                        what=_action_text(), stages=STAGES, again=back)
        return self.render_template(
            "batch_print_result.html", title=_action_text(), result=state.result, back=back,
            download=url_for(f"{self.endpoint}.batch_zip", job_id=job_id)
            if state.result["printed"] else None)

    @expose("/batch_print/<job_id>/zip")
    @has_access
    def batch_zip(self, job_id: str):
        state = self._queued_batch(job_id)
        data = connection().get(_zip_key(job_id)) if state.status == "done" else None
        if data is None:
            abort(404)
        return private_download(data, "application/zip", state.result["name"],
                                state.result["ascii_name"])


def _zip_key(job_id: str) -> str:
    return f"registry:batch-zip:{job_id}"


def print_job(registration_ids: list[int], refused: list, actor_id: int) -> dict:
    """The queue worker's batch: each certificate through print_certificate, the zip kept in
    Redis for its download, the outcome returned for the page."""
    from rq import get_current_job

    actor, report = db.session.get(User, actor_id), jobs.Reporter()
    printed, refused = [], [tuple(r) for r in refused]
    for done, registration_id in enumerate(registration_ids, start=1):
        registration = db.session.get(Registration, registration_id)
        if registration is None:  # deleted since it was ticked
            refused.append((registration_id, "", gettext("The registration does not exist.")))
            report("print", done, len(registration_ids))
            continue
        try:
            current, pdf = print_certificate(registration, actor=actor)
        except CertificateBlocked as blocked:
            refused.append((registration.number, registration.practitioner.real_name,
                            str(blocked)))
        else:
            printed.append((entry_name(current), pdf))
        report("print", done, len(registration_ids))
    name, ascii_name = _zip_names(len(printed))
    if printed:
        connection().set(_zip_key(get_current_job().id), _zip_bytes(printed, refused),
                         ex=ZIP_KEEP)
    return {"printed": len(printed), "refused": refused, "name": name,
            "ascii_name": ascii_name}


def _zip_names(printed: int) -> tuple[str, str]:
    return (gettext("Electronic certificates %(day)s (%(n)s).zip", day=province_today(),
                    n=printed), f"certificates-{province_today()}.zip")


def _zip_response(printed, refused):
    name, ascii_name = _zip_names(len(printed))
    return private_download(_zip_bytes(printed, refused), "application/zip", name, ascii_name)


def _zip_bytes(printed, refused) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        if refused:  # Python marks a non-ASCII entry name as UTF-8 (flag 0x800)
            lines = [gettext("Not printed (%(n)s):", n=len(refused))]
            lines += [" ".join(str(part) for part in (number, holder) if part) + f"：{message}"
                      for number, holder, message in refused]
            archive.writestr(NOTE_NAME, "\r\n".join(lines) + "\r\n")
        for name, pdf in printed:
            archive.writestr(name, pdf)
    return out.getvalue()
