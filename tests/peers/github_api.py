"""Placeholder: fixtures for the github_api peer."""
