"""Online consultation (网上咨询答疑): anyone signed in asks, authority staff answer, and staff
publish an anonymised copy as a public FAQ entry (app/service/faq.py shows those)."""
from __future__ import annotations

import datetime as dt

from flask import url_for
from flask_appbuilder.fields import QuerySelectField
from flask_appbuilder.fieldwidgets import BS3TextAreaFieldWidget
from flask_appbuilder.models.filters import BaseFilter
from flask_appbuilder.models.sqla.filters import FilterEqualFunction, get_field_setup_query
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from markupsafe import Markup
from sqlalchemy import inspect
from wtforms import BooleanField, TextAreaField, ValidationError
from wtforms.validators import DataRequired, Length

from ..audit import record as audit_record
from ..labels import COLUMN_LABELS
from ..models import Consultation
from ..notifications import default_locale, deliver_outbox, notify
from ..scoping import current_practitioner_id, current_user_id, refuse
from ..view_base import READ, BaseView, RegistryInterface
from .anonymise import anonymised

SUBJECT_MAX = 100
QUESTION_MIN, QUESTION_MAX = 5, 2000
ANSWER_MAX = 5000


# ---------------------------------------------------------------- filters and formatters
class FilterIsNull(BaseFilter):
    """A base filter: the column has no value (an unanswered question)."""

    name = "is null"

    def apply(self, query, value):
        query, field = get_field_setup_query(query, self.model, self.column_name)
        return query.filter(field.is_(None))


class FilterIsNotNull(BaseFilter):
    name = "is not null"

    def apply(self, query, value):
        query, field = get_field_setup_query(query, self.model, self.column_name)
        return query.filter(field.is_not(None))


def _status_label(answered: bool) -> Markup:
    """Consultation.is_answered() as 已答复 / 待答复."""
    if answered:
        return Markup('<span class="label label-success">%s</span>') % gettext("Answered")
    return Markup('<span class="label label-warning">%s</span>') % gettext("Awaiting answer")


def _yes_no(value: bool) -> str:
    return gettext("Yes") if value else gettext("No")


def _application_link(endpoint: str):
    """The linked application as a link to the page the viewer may open."""

    def format_application(application) -> Markup | str:
        if application is None:
            return ""
        return Markup('<a href="%s">%s</a>') % (
            url_for(endpoint, pk=application.id), str(application))

    return format_application


def _multiline(text) -> Markup | str:
    """Questions and answers keep their line breaks; the text itself stays escaped."""
    if not text:
        return ""
    return Markup('<div class="consultation-text" style="white-space: pre-wrap">%s</div>') % text


# ---------------------------------------------------------------- asking
class OwnApplicationField(QuerySelectField):
    """FAB's relation drop-down (filtered by add_form_query_rel_fields to the asker's own
    applications), with a message that says why another id is refused."""

    def pre_validate(self, form):
        try:
            super().pre_validate(form)
        except ValidationError:
            raise ValidationError(gettext(
                "Choose one of your own applications, or leave it empty.")) from None


def _own_application_field(form_class) -> None:
    unbound = getattr(form_class, "application", None)
    if unbound is not None:
        kwargs = {**unbound.kwargs, "blank_text": _l("Not about an application")}
        form_class.application = OwnApplicationField(*unbound.args, **kwargs)


class MyConsultationView(BaseView):
    datamodel = RegistryInterface(Consultation)
    base_filters = [["asker_id", FilterEqualFunction, current_user_id]]
    base_permissions = READ + ["can_add"]
    list_title = _l("My questions")
    add_title = _l("Ask a question")
    list_columns = ["subject", "category", "is_answered", "created_at", "answered_at"]
    show_columns = ["subject", "category", "application", "question", "is_answered", "answer",
                    "created_at", "answered_at"]
    add_columns = ["category", "application", "subject", "question"]
    search_columns = ["subject", "category"]
    base_order = ("created_at", "desc")
    # Only one's own applications are offered; anyone else's id fails validation.
    add_form_query_rel_fields = {
        "application": [["practitioner_id", FilterEqualFunction, current_practitioner_id]]}
    validators_columns = {
        "category": [DataRequired(message=_l("Choose a category."))],
        "subject": [DataRequired(message=_l("Enter a subject.")),
                    Length(max=SUBJECT_MAX, message=_l(
                        "The subject may have at most %(max)d characters.", max=SUBJECT_MAX))],
        "question": [DataRequired(message=_l("Enter your question.")),
                     Length(min=QUESTION_MIN, max=QUESTION_MAX, message=_l(
                         "The question must have %(min)d to %(max)d characters.",
                         min=QUESTION_MIN, max=QUESTION_MAX))],
    }
    description_columns = {
        "application": _l("Optional: the application your question is about."),
        "question": _l("Do not write ID numbers or other personal data you do not need to; "
                       "staff answer within a few working days."),
    }
    formatters_columns = {"is_answered": _status_label, "question": _multiline,
                          "answer": _multiline,
                          "application": _application_link("MyApplicationView.show")}
    label_columns = {**BaseView.label_columns, "is_answered": _l("Status"),
                     "application": _l("Related application")}

    def _init_forms(self):
        super()._init_forms()
        _own_application_field(self.add_form)

    def pre_add(self, item):
        item.asker_id = current_user_id()
        # A subject is one line (it becomes a message title and an e-mail subject).
        item.subject, item.question = " ".join(item.subject.split()), item.question.strip()
        item.answer = item.answered_at = item.answered_by_id = None
        item.published, item.faq_question, item.faq_answer = False, None, None


# ---------------------------------------------------------------- answering
class ConsultationAdminView(BaseView):
    """All questions, for authority staff; the edit form is the answer form."""

    datamodel = RegistryInterface(Consultation)
    base_permissions = READ + ["can_edit"]
    list_title = _l("Consultations")
    edit_title = _l("Answer the question")
    list_columns = ["subject", "category", "asker", "is_answered", "created_at", "answered_at",
                    "published"]
    show_columns = ["subject", "category", "asker", "application", "question", "is_answered",
                    "answer", "answered_by", "answered_at", "published", "created_at"]
    # The question stands above the answer field, read-only: who answers must see it.
    edit_columns = ["asked", "answer"]
    edit_form_extra_fields = {"asked": TextAreaField(
        COLUMN_LABELS["question"], widget=BS3TextAreaFieldWidget(), render_kw={"readonly": True})}
    search_columns = ["subject", "category", "question", "created_at", "answered_at", "published"]
    base_order = ("created_at", "desc")
    validators_columns = {"answer": [
        DataRequired(message=_l("The answer cannot be empty.")),
        Length(max=ANSWER_MAX, message=_l("The answer may have at most %(max)d characters.",
                                          max=ANSWER_MAX))]}
    formatters_columns = {"is_answered": _status_label, "question": _multiline,
                          "answer": _multiline, "published": _yes_no,
                          "application": _application_link("ApplicationAdminView.show")}
    label_columns = {**BaseView.label_columns, "is_answered": _l("Status"),
                     "answered_by": _l("Answered by"), "application": _l("Related application")}

    def prefill_form(self, form, pk):
        item = self.datamodel.get(pk, self._base_filters)
        if item is not None:
            form.asked.data = f"{item.subject}\n\n{item.question}"

    def pre_update(self, item):
        item.answer = (item.answer or "").strip()
        if not item.answer:  # DataRequired lets white space through on some inputs
            refuse(gettext("The answer cannot be empty."))
        if item.answer == _previous(item, "answer"):
            return  # saved again unchanged: nothing new to tell the asker
        first = item.answered_at is None
        item.answered_by_id, item.answered_at = current_user_id(), dt.datetime.now(dt.UTC)
        # In the same transaction as the answer: FAB's edit commits both, or neither.
        with default_locale():
            notify(item.asker_id,
                   gettext("Your question has been answered: %(s)s", s=item.subject) if first
                   else gettext("The answer to your question was updated: %(s)s",
                                s=item.subject),
                   link=url_for("MyConsultationView.show", pk=item.id),
                   kind="consultation_answered")

    def post_update(self, item):
        deliver_outbox()  # the e-mail copy, now that the answer is committed


def _previous(item, attribute: str):
    """The value `attribute` had before the form wrote into `item`."""
    history = inspect(item).attrs[attribute].history
    before = history.deleted or history.unchanged
    return before[0] if before else None


class ConsultationQueueView(ConsultationAdminView):
    """The questions waiting for an answer, oldest first."""

    list_title = _l("Questions to answer")
    base_filters = [["answered_at", FilterIsNull, None]]
    base_order = ("created_at", "asc")
    list_columns = ["subject", "category", "asker", "created_at"]


# ---------------------------------------------------------------- publishing
class FaqPublishView(BaseView):
    """Answered questions and their public copy. Opening the edit form proposes an
    anonymised copy (app/service/anonymise.py) when there is none yet; staff correct it and tick
    "publish". The public FAQ shows only faq_question and faq_answer."""

    datamodel = RegistryInterface(Consultation)
    base_permissions = READ + ["can_edit"]
    base_filters = [["answered_at", FilterIsNotNull, None]]
    list_title = _l("FAQ publishing")
    edit_title = _l("Publish as FAQ")
    list_columns = ["subject", "category", "answered_at", "published", "published_at"]
    show_columns = ["subject", "category", "question", "answer", "faq_question", "faq_answer",
                    "published", "published_at"]
    edit_columns = ["category", "faq_question", "faq_answer", "published"]
    search_columns = ["subject", "category", "published"]
    base_order = ("answered_at", "desc")
    validators_columns = {
        "faq_question": [Length(max=QUESTION_MAX + SUBJECT_MAX + 1)],
        "faq_answer": [Length(max=ANSWER_MAX)],
    }
    description_columns = {
        "faq_question": _l("Proposed with personal data masked. Read it and remove anything "
                           "that could identify the asker before publishing."),
    }
    # FAB makes a checkbox of a NOT NULL column required, which would forbid unticking it.
    edit_form_extra_fields = {"published": BooleanField(
        COLUMN_LABELS["published"],
        description=_l("Tick to show on the public FAQ page; untick to withdraw it."))}
    formatters_columns = {"question": _multiline, "answer": _multiline, "published": _yes_no,
                          "faq_question": _multiline, "faq_answer": _multiline}
    label_columns = {**BaseView.label_columns, "faq_question": _l("Public question"),
                     "faq_answer": _l("Public answer"), "published_at": _l("Published at")}

    def prefill_form(self, form, pk):
        item = self.datamodel.get(pk, self._base_filters)
        if item is not None and not (item.faq_question or item.faq_answer):
            form.faq_question.data, form.faq_answer.data = anonymised(item)

    def pre_update(self, item):
        item.faq_question = (item.faq_question or "").strip() or None
        item.faq_answer = (item.faq_answer or "").strip() or None
        was_published = item.published_at is not None
        if item.published:
            if not (item.faq_question and item.faq_answer):
                refuse(gettext("Enter the public question and answer before publishing."))
            if not was_published:
                item.published_at = dt.datetime.now(dt.UTC)
                audit_record("faq_publish", object_type="Consultation", object_id=item.id)
        elif was_published:
            item.published_at = None
            audit_record("faq_unpublish", object_type="Consultation", object_id=item.id)
