"""The ``likvard`` command: one module per command group, all calling ``likvard.workflows``.

``allocate``/``compare``/``demo-data`` work on files or the demo; ``index``/``expected``/
``valueadded`` fit the statistics; ``import``/``run``/``user``/``token``/``serve`` work on the
database that ``likvard serve`` uses (same ``LIKVARD_HOME`` and ``DATABASE_URL``).
"""

from __future__ import annotations

import sys

from . import allocate, goals, interventions, stats, web
from .common import app, t

__all__ = ["app", "main", "t"]

for _group in (allocate, goals, interventions, stats, web):
    _group.register(app)


def main() -> None:
    try:
        app()
    except KeyboardInterrupt:  # pragma: no cover
        sys.exit(130)


if __name__ == "__main__":  # pragma: no cover
    main()
