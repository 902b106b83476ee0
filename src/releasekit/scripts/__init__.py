"""The scripts' own code; tools/assemble.py writes each one, with its rules, to scripts/."""
