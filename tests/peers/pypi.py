"""Placeholder: fixtures for the pypi peer."""
