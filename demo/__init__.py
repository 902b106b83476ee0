"""`make demo`: the whole release train, end to end, on the kit's local stand-ins."""
