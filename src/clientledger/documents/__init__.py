"""Documents: statements, receipts and superbills, as the pages show them and as PDF files.

One Jinja template per document body (``templates/documents/``) serves both: the web UI wraps it in
its page layout, ``render.py`` in a bare layout and prints it with WeasyPrint.
"""

from __future__ import annotations

from pathlib import Path

HERE = Path(__file__).resolve().parent
TEMPLATES_DIR = HERE / "templates"
STATIC_DIR = HERE / "static"
