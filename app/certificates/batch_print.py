"""Printing the certificates of the ticked registrations as one zip: a FAB list action on
the enterprise's and the authority's registration lists. Each registration goes through
the single print's path (print_certificate: a new version when needed, the signed PDF, the
audit row); one that cannot be printed is listed in 说明.txt in the zip, or on a page when
none can be."""
from __future__ import annotations

import io
import re
import zipfile

from flask import request, url_for
from flask_appbuilder.actions import ActionItem
from flask_appbuilder.baseviews import expose
from flask_babel import LazyString, gettext

from ..applications.batch_actions import list_as_left, own_actions_only, ticked_ids, too_many_or_none
from ..dates import province_today
from ..downloads import private_download
from ..labels import COLUMN_LABELS
from .versions import CertificateBlocked
from .views import certificate_file_name, print_certificate

ACTION = "batch_print"
NOTE_NAME = "说明.txt"  # what was not printed, and why; read first
# A certificate takes 80–120 ms to render and sign (README, provincial benchmark), up to
# 300 ms on a loaded server: 50 stay within seconds, well inside a worker's timeout, where
# the 200 of a batch transition could reach gunicorn's default 30 s.
MAX_PRINT = 50


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
        stop = too_many_or_none(ids, back, MAX_PRINT)
        if stop is not None:
            return stop
        missing = gettext("The registration does not exist.")
        printed, refused = [], []
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


def _zip_response(printed, refused):
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        if refused:  # Python marks a non-ASCII entry name as UTF-8 (flag 0x800)
            lines = [gettext("Not printed (%(n)s):", n=len(refused))]
            lines += [" ".join(str(part) for part in (number, holder) if part) + f"：{message}"
                      for number, holder, message in refused]
            archive.writestr(NOTE_NAME, "\r\n".join(lines) + "\r\n")
        for name, pdf in printed:
            archive.writestr(name, pdf)
    name = gettext("Electronic certificates %(day)s (%(n)s).zip", day=province_today(),
                   n=len(printed))
    return private_download(out.getvalue(), "application/zip", name,
                            f"certificates-{province_today()}.zip")
