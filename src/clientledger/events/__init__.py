"""The events outbox, read: ``GET /events`` (written by ``accounting.outbox`` with each movement)."""
