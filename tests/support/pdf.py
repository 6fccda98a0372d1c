"""Reading PDF files back as text with poppler's ``pdftotext -layout`` (what a person would read).

Where ``pdftotext`` is missing the tests that need it skip on a laptop and fail under ``CI=true``
(``.ci/run`` installs poppler-utils with apt-get).
"""

from __future__ import annotations

import os
import shutil
import subprocess

import pytest

IN_CI = os.environ.get("CI", "").lower() == "true"


def pdftotext() -> str:
    """The ``pdftotext`` executable, or skip (fail under CI) without it."""
    found = shutil.which("pdftotext")
    if found is None:
        if IN_CI:
            pytest.fail("CI=true but pdftotext is missing: .ci/run installs it with apt-get install poppler-utils")
        pytest.skip("pdftotext (poppler-utils) is not installed")
    return found


def pdf_text(data: bytes) -> str:
    """The text of a PDF file, laid out as on the page."""
    assert data.startswith(b"%PDF-"), data[:40]
    done = subprocess.run([pdftotext(), "-layout", "-", "-"], input=data, capture_output=True, check=True)
    return done.stdout.decode()


def one_line(text: str) -> str:
    """The text with every run of white space as one space, to find phrases a layout split in columns."""
    return " ".join(text.split())
