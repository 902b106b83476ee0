"""Placeholder: fixtures for the engines peer."""
