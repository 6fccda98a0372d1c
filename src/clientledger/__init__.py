"""clientledger: billing and client-credit ledger for therapy and health practices."""

__version__ = "0.1.0"
