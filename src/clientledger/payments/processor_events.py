"""Processor events in (Stripe's webhooks): what the processor says happened to a charge's refunds.

Each event is stored by its id (``processor_events``) in the same transaction as its effect, so a
repeat, even a concurrent one, is a no-op: the twin waits on the id until the first commits, then
finds it taken. The charge names the practice (``charge_directory``), the practice's payment names
the client, whose row is locked as in every use case before a balance is read.

- A refund clientledger made is known by the id it gave it (the refund's metadata) or by the
  processor's id it recorded: its echo records nothing; ``succeeded`` settles it if still pending,
  ``failed``/``canceled`` makes it ``failed`` (money back where it came from), settled or not.
- A refund made in the processor's dashboard, full or partial, is recorded once by rule 7, settled
  at once, with the processor's id. A ``charge.refunded`` that does not list its refunds tells only
  the total: the part not yet recorded becomes a refund without a processor id, which the refund's
  own event claims later instead of recording it again. So that two refunds are never told as one
  total, such an event is first completed with the charge's refunds as the processor lists them.
- A refund rule 7 cannot take (its payment's credit was spent on other bills) changes no balance:
  the outcome is stored on the event and in the audit trail for staff to see.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace

from clientledger.audit.service import record_event
from clientledger.clients.repository import lock_client
from clientledger.db import Ctx, Database, Tx
from clientledger.kit.errors import ClientLedgerError, ExceedsRefundable, PaymentDeleted
from clientledger.kit.processing import PaymentProcessor, ProcessorEvent, ProcessorRefund
from clientledger.payments.refunds import fail_refund, record_processor_refund, settle_pending_refund
from clientledger.payments.repository import (
    EventSeen,
    claim_processor_event,
    find_charge_owner,
    find_payment_by_charge,
    find_refund_of_processor,
    get_payment_row,
    processor_event_outcome,
    set_processor_event_outcome,
    set_processor_refund_id,
    unmatched_processor_refund,
)

REFUNDED_IN_PROCESSOR = "Refunded in Stripe"
"""The reason of a refund made in the processor's dashboard (how staff, and the matching, know it)."""

log = logging.getLogger(__name__)

# The directory and the events belong to no practice; the transactions reading them still need a context.
_NO_PRACTICE = Ctx(practice_id="")


@dataclass(frozen=True)
class EventReceipt:
    """What became of an event: ``duplicate`` when it had been received before."""

    event_id: str
    outcome: str
    duplicate: bool = False


def receive_processor_event(
    db: Database, event: ProcessorEvent, *, processor: PaymentProcessor, request_id: str | None = None
) -> EventReceipt:
    """Act on one signed processor event, once however often it is delivered.

    Not a staff use case: the signature, checked before this is called, is its authority, and the
    practice is known only once its charge is found, so it opens its own transactions."""
    with db.transaction(_NO_PRACTICE, write=False) as tx:
        seen = processor_event_outcome(tx, event.id)
        owner = find_charge_owner(tx, event.charge_refs) if seen is None else None
    if seen is not None:
        return EventReceipt(event.id, seen, duplicate=True)
    if owner is not None:
        event = _with_every_refund(event, processor, owner.charge_id)
    try:
        if owner is None:
            outcome = _ignored(event)
            with db.transaction(_NO_PRACTICE) as tx:
                claim_processor_event(tx, event_id=event.id, type=event.type, practice_id=None, outcome=outcome)
            return EventReceipt(event.id, outcome)
        ctx = Ctx(practice_id=owner.practice_id, request_id=request_id)
        with db.transaction(ctx, processor=processor) as tx:
            claim_processor_event(
                tx, event_id=event.id, type=event.type, practice_id=owner.practice_id, outcome="received"
            )
            outcome = _act(tx, event, owner.charge_id)
            set_processor_event_outcome(tx, event.id, outcome)
        return EventReceipt(event.id, outcome)
    except EventSeen:
        with db.transaction(_NO_PRACTICE, write=False) as tx:
            return EventReceipt(event.id, processor_event_outcome(tx, event.id) or "received", duplicate=True)


def _with_every_refund(event: ProcessorEvent, processor: PaymentProcessor, charge_id: str) -> ProcessorEvent:
    """A charge event that tells only its total, completed with the charge's refunds as the
    processor lists them (asked before any transaction opens): each is then recorded by its own id,
    so two refunds told first as one total can never be counted twice. Without the list (the
    processor is down, or keeps none) the total is acted on as told."""
    if event.refunds_complete or event.amount_refunded is None:
        return event
    try:
        listed = processor.charge_refunds(charge_id=charge_id)
    except ClientLedgerError as exc:
        log.warning("event %s: the refunds of %s could not be listed (%s)", event.id, charge_id, exc.message)
        return event
    if listed is None:
        return event
    ids = {refund.refund_id for refund in listed}
    told = tuple(refund for refund in event.refunds if refund.refund_id not in ids)
    return replace(event, refunds=listed + told, refunds_complete=True)


def _ignored(event: ProcessorEvent) -> str:
    if not event.charge_refs:
        return f"ignored: {event.type} is not acted on"
    return f"ignored: no payment has charge {', '.join(event.charge_refs)}"


def _act(tx: Tx, event: ProcessorEvent, charge_id: str) -> str:
    payment_id = find_payment_by_charge(tx, charge_id)
    if payment_id is None:
        return f"ignored: no payment has charge {charge_id}"
    lock_client(tx, get_payment_row(tx, payment_id).client_id)
    outcomes = [_refund_told(tx, payment_id, refund) for refund in event.refunds]
    if event.amount_refunded is not None and not event.refunds_complete:
        outcomes.append(_total_told(tx, payment_id, event.amount_refunded))
    return "; ".join(outcomes) or "nothing to record"


def _refund_told(tx: Tx, payment_id: str, told: ProcessorRefund) -> str:
    """One refund as the processor describes it: ours (an echo, settled or failed) or its own."""
    ours_id = told.our_refund_id if told.our_practice_id in (None, tx.practice_id) else None
    ours = find_refund_of_processor(
        tx, payment_id=payment_id, processor_refund_id=told.refund_id, our_refund_id=ours_id
    )
    if ours is None:
        ours = unmatched_processor_refund(tx, payment_id=payment_id, amount=told.amount, reason=REFUNDED_IN_PROCESSOR)
        if ours is not None:
            set_processor_refund_id(tx, ours.id, told.refund_id)
            if not told.failed:
                return f"refund {ours.id} is {told.refund_id}"
    if ours is not None:
        if told.failed:
            if fail_refund(tx, ours.id, _failure(told)):
                return f"refund {ours.id} failed"
            return f"refund {ours.id} had failed already"
        if told.status == "succeeded" and settle_pending_refund(tx, ours, processor_refund_id=told.refund_id):
            return f"refund {ours.id} settled"
        return f"echo of refund {ours.id}"
    if told.failed:
        return f"ignored: {told.refund_id} failed and was never recorded"
    return _record_theirs(tx, payment_id, told.amount, told.refund_id)


def _total_told(tx: Tx, payment_id: str, amount_refunded: int) -> str:
    """A charge's total refunded: what it says beyond the refunds recorded (pending ones count)."""
    gap = amount_refunded - get_payment_row(tx, payment_id).refunded
    if gap <= 0:
        return "the charge's refunds are all recorded"
    return _record_theirs(tx, payment_id, gap, None)


def _record_theirs(tx: Tx, payment_id: str, amount: int, processor_refund_id: str | None) -> str:
    payment = get_payment_row(tx, payment_id)
    if amount <= 0:
        return "nothing to record"
    try:
        refund = record_processor_refund(
            tx,
            payment=payment,
            amount=amount,
            reason=REFUNDED_IN_PROCESSOR,
            processor_refund_id=processor_refund_id,
        )
    except (ExceedsRefundable, PaymentDeleted) as exc:
        return _refused(tx, payment_id, amount, processor_refund_id, exc)
    return f"recorded refund {refund.id}"


def _refused(tx: Tx, payment_id: str, amount: int, processor_refund_id: str | None, exc: ClientLedgerError) -> str:
    """Rule 7 cannot take it: nothing moves, and the audit trail says so for staff to sort out."""
    payment = get_payment_row(tx, payment_id)
    record_event(
        tx,
        action="payment.processor_refund_refused",
        object_ids=[payment.id, payment.client_id, payment.bill_id],
        detail={"amount": amount, "processor_ref": processor_refund_id, "code": exc.code, "message": exc.message},
    )
    return f"not recorded ({exc.code}): {exc.message}"


def _failure(told: ProcessorRefund) -> str:
    reason = told.failure_reason or told.status
    return f"Stripe could not return the money to the card ({reason})."
