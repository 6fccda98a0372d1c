"""``python -m bench``: every benchmark, one after another."""

from __future__ import annotations

from bench import era_import, history, http_bills, http_latency, ledger_ops


def main() -> None:
    ledger_ops.main()
    http_bills.main()
    http_latency.main()
    era_import.main()
    history.main()


if __name__ == "__main__":
    main()
