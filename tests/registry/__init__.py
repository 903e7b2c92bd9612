"""Tests of app/registry."""
