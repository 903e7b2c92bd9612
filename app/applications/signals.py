"""What the workflow announces to the parts that build on it (certificates, messages): they
subscribe, and the workflow does not import them. Both are sent inside the transaction of
the change, so what a receiver adds is committed with it or rolled back with it, and a
receiver that raises stops the change."""
from __future__ import annotations

from blinker import Namespace

_signals = Namespace()

# After a transition's history row: sender the Application; transition, reason, items.
transition_fired = _signals.signal("transition fired")
# After an approval's effect on the register: sender the Application; today.
approved = _signals.signal("approved")
