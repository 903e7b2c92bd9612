"""Tests of app/applications."""
