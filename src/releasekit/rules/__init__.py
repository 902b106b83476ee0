"""The rules the copy-alone scripts share, each written once.

A script's source (src/releasekit/scripts/) imports the names it needs from these modules;
tools/assemble.py inlines the modules into the script it writes to scripts/. Standard library
only at import time: a rule that needs a package imports it where it is used, so that a
script's --help works without its dependencies.
"""
