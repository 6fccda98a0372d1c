"""Accounts, journal entries and postings, projections, shared money movements, and verify."""
