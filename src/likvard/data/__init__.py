"""Data layer: Skolverket's published files (``skolverket``), the documented register import
format (``register``, docs/formats.md), problems with file/row/column (``problems``) and the
synthetic demo municipality (``demo``). Submodules are imported on demand; nothing here loads
data at import time."""
