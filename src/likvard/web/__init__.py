"""The Django web application (one app per concern)."""
