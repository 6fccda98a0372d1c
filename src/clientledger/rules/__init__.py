"""Pure money rules: plain values in, plain values out. No database, web framework or I/O.

Each module is one rule of ../API.md's "Money rules", named for what a reader looks for.
They may raise the named errors of ``clientledger.kit.errors`` (plain exceptions, no I/O).
"""
