"""Messages and consultations over the REST API, twins of the web screens (WebTwinApi,
FormTwinApi): one's own messages (reading one marks it read, as opening it on the web does;
read_all marks them all), one's own questions (ask one through the web's form, read the
answer), and the authority's queue of questions with the answer written through the web's
answer form (the asker is told, as on the web)."""
from __future__ import annotations

from flask_appbuilder.api import expose, safe
from flask_appbuilder.security.decorators import permission_name, protect

from ..accounts.api_base import WebTwinApi, twin
from ..accounts.api_forms import form_twin
from ..models import Notification
from .consultation_views import ConsultationQueueView, MyConsultationView
from .message_views import MyNotificationView, _mark_read

QUESTION = ["id", "subject", "category", "application.id", "question", "answer", "created_at",
            "answered_at"]


class MessageApi(WebTwinApi):
    list_columns = ["id", "title", "kind", "created_at", "read_at"]
    show_columns = ["id", "title", "body", "link", "kind", "created_at", "read_at"]
    include_route_methods = {*WebTwinApi.include_route_methods, "read_all"}
    method_permission_name = {**WebTwinApi.method_permission_name, "read_all": "list"}
    openapi_spec_tag = "Messages"

    def pre_get(self, data):
        _mark_read(Notification.id == data["id"])  # found within the user's own: marked

    @expose("/read_all", methods=["POST"])
    @protect()
    @safe
    @permission_name("list")
    def read_all(self):
        """Mark every message of the signed-in user read.
        ---
        post:
          summary: Mark all one's messages read
          responses:
            200:
              description: How many were unread
              content:
                application/json:
                  schema:
                    type: object
                    properties:
                      marked:
                        type: integer
        """
        return self.response(200, marked=_mark_read())


class QuestionApi(WebTwinApi):
    list_columns = show_columns = QUESTION
    openapi_spec_tag = "Consultations"


SERVICE_APIS = [
    twin(MyNotificationView, "my_message", MessageApi),
    twin(MyConsultationView, "my_consultation", QuestionApi),
    form_twin(MyConsultationView, "my_consultation", ("post",),
              openapi_spec_tag="Consultations"),
    twin(ConsultationQueueView, "consultation_queue", QuestionApi,
         list_columns=[*QUESTION, "asker.id", "asker.username"]),
    form_twin(ConsultationQueueView, "consultation_queue", ("put",),
              openapi_spec_tag="Consultations"),
]
