"""The shared vocabulary: money, ids, errors, settings, schema types and named words. Imports nothing of ours."""
