"""The two dashboard pages: the authority's, over every application, and an enterprise's,
over the applications addressed to it plus its registered practitioners' expiry dates.
Both pages draw the same figures (app/reporting/dashboard.py) with the same charts
(app/reporting/svg_charts.py);
only the scope and the detail page an item links to differ."""
from __future__ import annotations

from flask_appbuilder import BaseView as PageView
from flask_appbuilder import expose
from flask_appbuilder.security.decorators import has_access
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from ..dates import province_today
from ..extensions import db
from ..models import Enterprise
from ..scoping import current_enterprise_id
from . import dashboard, svg_charts


def charts(figures: dashboard.Dashboard, subject: str) -> dict:
    """{key: (title, svg, table headers, table rows)}; `subject` (the province, or the
    enterprise's name) is part of each chart's accessible title."""
    categories = {
        "state": (_("Applications by state"), figures.by_state),
        "type": (_("Applications by type"), figures.by_type),
        "qualification": (_("Applications by qualification"), figures.by_qualification),
        "city": (_("Applications by city"), figures.by_city),
    }
    result = {}
    for key, (title, counts) in categories.items():
        rows = [(c.label, c.value) for c in counts]
        result[key] = (title, svg_charts.bar_chart(f"chart-{key}", f"{subject}：{title}", rows),
                       [_("Category"), _("Applications")], rows)
    weeks = figures.weeks
    title = _("Received and decided per week")
    received, decided = _("Received"), _("Decided")
    result["weekly"] = (
        title,
        svg_charts.grouped_columns(
            "chart-weekly", f"{subject}：{title}", [f"{w.monday:%m-%d}" for w in weeks],
            [(received, [w.received for w in weeks]), (decided, [w.decided for w in weeks])]),
        [_("Week (from Monday)"), received, decided],
        [(f"{w.label}（{w.monday:%m-%d}）", w.received, w.decided) for w in weeks],
    )
    return result


class _DashboardPage(PageView):
    default_view = "index"
    template = "dashboard.html"
    detail_endpoint = "ApplicationAdminView.show"

    def scope(self) -> int | None:
        return None

    def render_dashboard(self, title, subject: str, **extra):
        figures = dashboard.build(enterprise_id=self.scope())
        return self.render_template(
            self.template, title=title, subject=subject, figures=figures,
            charts=charts(figures, subject),
            detail_endpoint=self.detail_endpoint, window_days=dashboard.PROCESSING_WINDOW_DAYS,
            due_soon_days=dashboard.DUE_SOON_WORKING_DAYS,
            expiry_warning_days=dashboard.EXPIRY_WARNING_DAYS, **extra)


class DashboardView(_DashboardPage):
    """The authority's view over every application in the province."""

    route_base = "/dashboard"

    @expose("/")
    @has_access
    def index(self):
        return self.render_dashboard(_l("Registration statistics"), _("All applications"))


class EnterpriseDashboardView(_DashboardPage):
    """The same figures over the enterprise's own applications, and its practitioners."""

    route_base = "/enterprise/dashboard"
    detail_endpoint = "EnterpriseApplicationView.show"

    def scope(self) -> int | None:
        # An account without an enterprise gets NOBODY (-1): every figure is then empty.
        return current_enterprise_id()

    @expose("/")
    @has_access
    def index(self):
        enterprise_id = self.scope()
        enterprise = db.session.get(Enterprise, enterprise_id)
        return self.render_dashboard(
            _l("Our statistics"), enterprise.name if enterprise else "—",
            practitioners=dashboard.registered_practitioners(enterprise_id, province_today()))
