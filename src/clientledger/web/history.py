"""History sections: an object's audit trail as the sentences staff read (who did what, when).

Each audit event names its action and, in ``detail``, the amounts and words the use case wrote
(``record_event`` in the features' services); an action without a sentence of its own still shows,
by its name.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from clientledger.audit.repository import AuditEventRecord
from clientledger.kit.money import format_cents
from clientledger.web.labels import APPOINTMENT_STATUSES, REASONS, label

SYSTEM = "System"  # who acted when no user did (a webhook, a recovery at start-up)

_METHODS = {"card": "Card", "cash": "Cash", "check": "Check"}

Detail = dict[str, Any]


@dataclass(frozen=True)
class HistoryLine:
    id: str
    when: dt.datetime
    who: str
    what: str
    object_ids: frozenset[str]


def _money(detail: Detail, key: str = "amount") -> str:
    value = detail.get(key)
    return format_cents(value) if isinstance(value, int) else ""


def _with(sentence: str, words: object, prefix: str = "") -> str:
    """``sentence — words`` when there are words (a note, a reason)."""
    return f"{sentence} — {prefix}{words}" if isinstance(words, str) and words.strip() else sentence


def _bill_created(d: Detail) -> str:
    return (
        f"Bill created, {_money(d, 'credit_applied')} of credit applied" if d.get("credit_applied") else "Bill created"
    )


def _payment_added(d: Detail) -> str:
    if d.get("type") == "client_credit":
        if d.get("deduct_from_credit_balance") is False:
            return f"Discount of {_money(d)}"
        return f"Credit applied ({_money(d)})"
    sentence = f"{_METHODS.get(str(d.get('type')), 'A')} payment of {_money(d)}"
    return f"{sentence}, {_money(d, 'to_credit')} of it to credit" if d.get("to_credit") else sentence


def _line_refunded(d: Detail) -> str:
    if d.get("deduct_from_credit_balance") is False:
        return _with(f"Discount reduced ({_money(d)})", d.get("reason"), "Reason: ")
    return _with(f"Credit returned to the account ({_money(d)})", d.get("reason"), "Reason: ")


def _line_removed(d: Detail) -> str:
    kind = d.get("type")
    if kind == "client_credit":
        if d.get("deduct_from_credit_balance") is False:
            return f"Discount removed ({_money(d)})"
        return f"Credit line removed for good ({_money(d)})"
    if kind in _METHODS:
        return f"{_METHODS[str(kind)]} payment of {_money(d)} removed (recorded in error)"
    return "Payment removed"


def _refunded(d: Detail) -> str:
    sentence = f"Refund of {_money(d)}"
    if d.get("from_credit"):
        sentence += f" ({_money(d, 'from_credit')} from credit)"
    return _with(sentence, d.get("reason"), "Reason: ")


def _credit_added(d: Detail) -> str:
    reason = label(REASONS, d.get("reason")) if d.get("reason") else ""
    return _with(f"Credit added ({_money(d)}){' · ' + reason if reason else ''}", d.get("note"))


def _status_changed(d: Detail) -> str:
    sentence = f"Session marked {label(APPOINTMENT_STATUSES, d.get('status'))}"
    if d.get("fee"):
        sentence += f", fee {_money(d, 'fee')}"
    return sentence


def _insurance(d: Detail) -> str:
    payer = d.get("payer") or "insurance"
    if d.get("paid") is None:
        return f"Insurance payment from {payer} reversed"
    return f"Insurance payment of {_money(d, 'paid')} from {payer}"


_SENTENCES: dict[str, Callable[[Detail], str]] = {
    "bill.created": _bill_created,
    "bill.payment_added": _payment_added,
    "bill.line_refunded": _line_refunded,
    "bill.credit_applied": lambda d: f"Credit of {_money(d)} applied",
    "bill.line_removed": _line_removed,
    "payment.refunded": _refunded,
    "payment.prepaid": lambda d: f"Prepayment of {_money(d)} to credit",
    "refund.failed": lambda d: _with(f"Refund of {_money(d)} failed", d.get("message")),
    "refund.settled": lambda d: f"Refund of {_money(d)} settled",
    "payment.processor_refund_refused": lambda d: _with(
        f"Refund of {_money(d)} made in Stripe not recorded", d.get("message")
    ),
    "credit.added": _credit_added,
    "credit.removed": lambda d: _with(f"Credit removed ({_money(d)})", d.get("note")),
    "appointment.status_changed": _status_changed,
    "insurance.payment_posted": _insurance,
    "insurance.payment_reversed": _insurance,
    "insurance.claim_ref_set": lambda d: _with("Claim number set", d.get("claim_ref")),
}


def sentence(action: str, detail: Detail) -> str:
    """What happened, as a sentence; an action without one reads as its name (``bill.voided`` → "Bill voided")."""
    say = _SENTENCES.get(action)
    if say is not None:
        return say(detail)
    return action.replace(".", " ").replace("_", " ").capitalize()


def history_lines(events: Iterable[AuditEventRecord]) -> list[HistoryLine]:
    """The events as History rows, in the order given."""
    out = []
    for e in events:
        detail = json.loads(e.detail) if e.detail else {}
        out.append(
            HistoryLine(
                id=e.id,
                when=e.created_at,
                who=e.user_name or SYSTEM,
                what=sentence(e.action, detail if isinstance(detail, dict) else {}),
                object_ids=frozenset(e.object_ids.split()),
            )
        )
    return out
