"""Benchmarks: ``make bench`` runs them all and prints figures and ratios (never asserted in tests)."""
