"""Double-entry journal: every money movement is one balanced entry (see ``posting.py``)."""
