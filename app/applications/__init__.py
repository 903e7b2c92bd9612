"""Applications: the per-type forms, firing the transitions of app/workflow.py, eligibility
pre-checks, time limits, what approval does, answering a return, and the application
screens and routes."""
