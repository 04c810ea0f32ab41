"""Pure computation: no Django, no I/O beyond arguments and return values."""
