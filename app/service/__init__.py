"""Service: online consultation and the FAQ, the message centre, e-mail copies, the daily
reminders, the messages a transition writes."""
