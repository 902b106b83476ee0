"""Placeholder: fixtures for the registry peer."""
