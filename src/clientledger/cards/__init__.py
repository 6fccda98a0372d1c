"""Cards on file: a client's saved processor payment methods (never a card number)."""
