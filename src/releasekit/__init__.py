"""releasekit: a release train for Python projects; the standalone scripts ship beside this."""

__version__ = "0.1.0"
