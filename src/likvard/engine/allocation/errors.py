"""Errors a user can cause, with the place they caused it."""

from __future__ import annotations


class ModelError(ValueError):
    """A model file that cannot be used: names the file, the component and the key."""

    def __init__(self, message: str, *, file: str = "", component: str = "", key: str = "") -> None:
        self.file = file
        self.component = component
        self.key = key
        self.detail = message
        where = ", ".join(
            part
            for part in (
                file,
                f"komponent {component!r}" if component else "",
                f"nyckel {key!r}" if key else "",
            )
            if part
        )
        super().__init__(f"{where}: {message}" if where else message)


class AllocationError(ValueError):
    """Inputs that do not fit the model (an unknown school, a pot that cannot be met …)."""
