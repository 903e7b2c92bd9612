"""The public FAQ (常见问题, /faq/): published consultations, as staff anonymised them, for
anyone without logging in; filtered by category, searched by words, newest first."""
from __future__ import annotations

from dataclasses import dataclass

from flask import current_app, request
from flask_appbuilder import BaseView
from flask_appbuilder.baseviews import expose
from flask_appbuilder.utils.limit import Limit
from flask_babel import lazy_gettext as _l
from flask_limiter.util import get_remote_address
from sqlalchemy import func, or_, select

from ..enums import ConsultationCategory
from ..extensions import db
from ..models import Consultation

PAGE_SIZE = 10
QUERY_MAX = 100  # characters of a search that are used; a longer one is cut


def _faq_rate_limit() -> str:
    return current_app.config["FAQ_RATE_LIMIT"]  # read per request, so tests can lower it


def published():
    """Only what staff published, and only its public text: the asker's own words (question,
    answer) are never selected here."""
    return (Consultation.published.is_(True), Consultation.faq_question.is_not(None),
            Consultation.faq_answer.is_not(None))


def search_condition(words: str):
    """Every word must occur in the public question or answer. `autoescape` makes % and _
    (and the escape character) literal; icontains is ILIKE on PostgreSQL and lower() LIKE
    lower() on SQLite, so both ignore case."""
    return [or_(Consultation.faq_question.icontains(word, autoescape=True),
                Consultation.faq_answer.icontains(word, autoescape=True))
            for word in words.split()]


@dataclass
class FaqPage:
    entries: list
    total: int
    page: int  # 1-based
    pages: int


def find(words: str = "", category: ConsultationCategory | None = None, page: int = 1) -> FaqPage:
    conditions = [*published(), *search_condition(words)]
    if category is not None:
        conditions.append(Consultation.category == category)
    total = db.session.scalar(select(func.count(Consultation.id)).where(*conditions))
    pages = max(1, -(-total // PAGE_SIZE))
    page = min(max(page, 1), pages)
    rows = db.session.execute(
        select(Consultation.id, Consultation.category, Consultation.faq_question,
               Consultation.faq_answer, Consultation.published_at)
        .where(*conditions)
        .order_by(Consultation.published_at.desc(), Consultation.id.desc())
        .offset((page - 1) * PAGE_SIZE).limit(PAGE_SIZE)).all()
    return FaqPage(entries=rows, total=total, page=page, pages=pages)


def _category(value: str | None) -> ConsultationCategory | None:
    """An unknown category in the URL means no category filter, not an error."""
    return ConsultationCategory.__members__.get(value or "")


def _page_number(value: str | None) -> int:
    try:
        return int(value or 1)
    except ValueError:
        return 1


class FaqView(BaseView):
    """Public, without a permission by design (like /verify/). FAB applies `limits` to this
    view's blueprint: its pages count per client address."""

    route_base = "/faq"
    default_view = "index"
    limits = [Limit(limit_value=_faq_rate_limit, key_func=get_remote_address)]

    @expose("/")
    def index(self):
        words = (request.args.get("q") or "").strip()[:QUERY_MAX]
        category = _category(request.args.get("category"))
        result = find(words, category, _page_number(request.args.get("page")))
        return self.render_template(
            "faq.html", title=_l("Frequently asked questions"), result=result, q=words,
            category=category, categories=list(ConsultationCategory))
