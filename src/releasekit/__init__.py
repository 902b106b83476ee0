"""releasekit: a release train for Python projects; the standalone scripts ship beside this."""

from pathlib import Path

__version__ = "0.1.0"

# The wheel puts the scripts beside this file. An editable install of a checkout finds them
# in the checkout's scripts/ folder, which stays the one copy of each script.
_CHECKOUT_SCRIPTS = Path(__file__).resolve().parents[2] / "scripts"
if (_CHECKOUT_SCRIPTS / "make_rc_changes.py").is_file():
    __path__.append(str(_CHECKOUT_SCRIPTS))
