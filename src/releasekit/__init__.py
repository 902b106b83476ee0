"""releasekit: a release train for Python projects (the standalone scripts live beside this file)."""

__version__ = "0.1.0"
