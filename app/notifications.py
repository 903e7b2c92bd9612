"""The in-app message centre: one function writes a message for a user, in the caller's
transaction, so a message exists exactly when what it reports happened."""
from __future__ import annotations

from .extensions import db
from .models import Notification


def notify(user_id: int, title: str, body: str = "", link: str | None = None,
           kind: str = "message") -> Notification:
    """Add a message for `user_id` to the current session; the caller commits."""
    message = Notification(user_id=user_id, title=title[:200], body=body, link=link, kind=kind)
    db.session.add(message)
    return message
