"""``python -m bench``: every benchmark, one after another."""

from __future__ import annotations

from bench import ledger_ops


def main() -> None:
    ledger_ops.main()


if __name__ == "__main__":
    main()
