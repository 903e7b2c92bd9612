"""Reporting: the dashboards' figures, charts and pages."""
