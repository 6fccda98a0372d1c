"""Bill use cases: what happens, in which transaction, when staff work on a bill."""

from __future__ import annotations

from collections.abc import Sequence

from clientledger.accounting.accounts import (
    ADJUST_CREDIT_REMOVED,
    ADJUST_DISCOUNT,
    AR_CLIENT,
    AR_INSURANCE,
    CLIENT_CREDIT,
    REVENUE,
    cash,
)
from clientledger.accounting.journal import record
from clientledger.accounting.moves import apply_credit, move_to_credit, shrink_credit_line, shrink_discount
from clientledger.accounting.posting import Posting, cr, dr, lots_in
from clientledger.accounting.projections import NewRows
from clientledger.accounting.repository import LineRecord, new_line_row, open_credit_pool
from clientledger.accounting.writes import Writes
from clientledger.audit.service import record_event
from clientledger.billing.repository import (
    BillLineRecord,
    BillRecord,
    LotDrawRecord,
    PaymentInputs,
    bill_inputs,
    bill_rows,
    client_bill_rows,
    get_bill_row,
    get_line_row,
    items_by_bill,
    lines_by_bill,
    lot_draws_by_line,
    mark_line_removed,
    payment_inputs,
)
from clientledger.billing.schemas import (
    BillCreate,
    BillItemRead,
    BillRead,
    LineRead,
    LotDraw,
    PaymentLineCreate,
    RefundSummary,
)
from clientledger.cards.service import charge_request
from clientledger.clients.repository import get_client_row, lock_client
from clientledger.credits.repository import payment_lot_rows
from clientledger.credits.schemas import LotRead
from clientledger.db import Tx
from clientledger.households.repository import shared_credit_now
from clientledger.kit.errors import Conflict, CreditAlreadyUsed, NotFound, UseRefund, ValidationFailed
from clientledger.kit.ids import new_id
from clientledger.kit.use_cases import ChargeRequest, Permission, use_case
from clientledger.kit.vocabulary import AppointmentStatus, BillStatus, EntryKind, LineType
from clientledger.packages.repository import INSERT_SESSIONS, session_of_line
from clientledger.packages.service import session_lines
from clientledger.payments.processors.base import Charge
from clientledger.payments.refunds import begin_refund
from clientledger.payments.repository import (
    get_payment_row,
    get_refund_row,
    mark_payment_voided,
    refund_rows,
)
from clientledger.payments.service import client_payment_row
from clientledger.rules.bills import check_payable
from clientledger.rules.credit import LotBalance, check_credit_payment, credit_to_apply, credit_to_spend
from clientledger.rules.insurance import claim_ref_for
from clientledger.rules.packages import SessionOwed, draw_sessions
from clientledger.rules.payments import split_payment
from clientledger.rules.refunds import plan_line_refund, refundable
from clientledger.rules.responsibility import billed_fee, is_claim, item_responsibility


def card_charge(tx: Tx, *, bill_id: str, data: PaymentLineCreate, **_: object) -> ChargeRequest | None:
    """A card payment is charged before it is recorded: the card chosen, else the client's default."""
    if not data.type.via_processor:
        return None
    bill = get_bill_row(tx, bill_id)
    return charge_request(
        tx,
        client_id=bill.client_id,
        amount=data.amount,
        payment_method=data.payment_method,
        metadata={"bill_id": bill.id},
    )


def precheck_payment(tx: Tx, *, bill_id: str, data: PaymentLineCreate, **_: object) -> None:
    """Read-only, before a card is charged: the bill exists and can take this payment (not void)."""
    if not data.type.is_credit and data.deduct_from_credit_balance is not None:
        raise ValidationFailed("deduct_from_credit_balance applies to client_credit payments only.")
    check_payable(get_bill_row(tx, bill_id).status)


def present_line(tx: Tx, line: LineRead) -> LineRead:
    """The line once its card refund has settled or failed with the processor."""
    fresh = get_line(tx, bill_id=line.bill_id, line_id=line.id)
    return _with_refund(tx, fresh, line.last_refund.id) if line.last_refund is not None else fresh


def _with_refund(tx: Tx, line: LineRead, refund_id: str) -> LineRead:
    refund = get_refund_row(tx, refund_id)
    summary = RefundSummary(
        id=refund.id, amount=refund.amount, status=refund.status, failure_reason=refund.failure_reason
    )
    return line.model_copy(update={"last_refund": summary})


@use_case(Permission.BILL)
def create_bill(tx: Tx, *, data: BillCreate) -> BillRead:
    """Bill the client's appointments and, unless staff opt out, pay what it can from credit."""
    wanted = list(dict.fromkeys(data.appointment_ids))
    inputs = bill_inputs(tx, data.client_id, wanted)
    client = inputs.client
    apply = data.apply_available_credit
    if apply is None:
        apply = inputs.auto_apply
    found = {a.id: a for a in inputs.appointments}
    for appt_id in wanted:
        appt = found.get(appt_id)
        if appt is None or appt.client_id != client.id:
            raise NotFound(f"No appointment {appt_id!r} for this client.")
        if appt.item_id is not None:
            raise Conflict(f"Appointment {appt_id!r} is already on a bill.")
    bill_id = new_id("bill")
    new = NewRows()
    # Written once, by ``record``, with what the entry moves folded in (status included).
    new.bills[bill_id] = {
        "id": bill_id,
        "practice_id": tx.practice_id,
        "client_id": client.id,
        "status": BillStatus.OPEN.value,
        "apply_available_credit": apply,
        "client_responsibility": 0,
        "client_paid": 0,
        "balance_due": 0,
        "insurance_due": 0,
        "created_at": tx.now,
        "number": inputs.number,
    }
    lines: list[Posting] = []
    owed = 0
    sessions: list[SessionOwed] = []
    for appt_id in wanted:
        appt = found[appt_id]
        fee = billed_fee(status=appt.status, fee=appt.fee, status_fee=appt.status_fee)
        client_share, insurance_share = item_responsibility(
            billing=client.billing, copay=client.copay, fee=fee, status=appt.status
        )
        item_id = new_id("item")
        new.items[item_id] = {
            "id": item_id,
            "practice_id": tx.practice_id,
            "bill_id": bill_id,
            "appointment_id": appt.id,
            "date": appt.date,
            "service_code": appt.service_code,
            "fee": fee,
            "client_responsibility": 0,
            "insurance_responsibility": insurance_share,
            "insurance_paid": 0,
            "insurance_due": 0,
            # The patient control number the claim is sent with; an 835's CLP01 brings it back.
            "claim_ref": claim_ref_for(item_id) if is_claim(billing=client.billing, status=appt.status) else None,
        }
        owed += client_share
        # A session held (scheduled or attended), not one canceled or missed, may draw on a package.
        held = not AppointmentStatus(appt.status).bills_fee_only
        sessions.append(SessionOwed(item_id, appt.service_code, held, client_share))
        lines += [
            dr(AR_CLIENT, client_share, bill_id=bill_id, item_id=item_id),
            dr(AR_INSURANCE, insurance_share, bill_id=bill_id, item_id=item_id),
            cr(REVENUE, fee, bill_id=bill_id, item_id=item_id),
        ]
    # Sessions a package pays come first (each draws one session of the client's oldest package that
    # covers it); the rest of what the client owes takes any other credit (rule 2).
    drawn = draw_sessions(inputs.pool.packages, sessions) if apply else []
    package_sessions = []
    for draw in drawn:
        more, session = session_lines(tx, draw, bill_id=bill_id, client_id=client.id, new=new)
        lines += more
        package_sessions.append(session)
        owed -= draw.amount + draw.discount
    credit = credit_to_apply(credit_balance=inputs.pool.balance, balance_due=owed) if apply else 0
    if credit:
        lines += apply_credit(tx, client_id=client.id, bill_id=bill_id, amount=credit, new=new, available=inputs.pool)[
            1
        ]
    writes = Writes(tx)
    record(tx, kind=EntryKind.BILL_CREATED, client_id=client.id, bill_id=bill_id, lines=lines, new=new, writes=writes)
    writes.add(INSERT_SESSIONS, package_sessions)
    detail: dict[str, object] = {"credit_applied": credit} if credit else {}
    if drawn:
        detail["package_sessions"] = [
            {"package_id": d.package_id, "amount": d.amount, "discount": d.discount} for d in drawn
        ]
    record_event(
        tx,
        action="bill.created",
        object_ids=[bill_id, client.id, *wanted, *lots_in(lines), *(d.package_id for d in drawn)],
        detail=detail or None,
        writes=writes,
    )
    writes.flush()
    return _written_bill(new, bill_id)


def _written_bill(new: NewRows, bill_id: str) -> BillRead:
    """The answer for a bill just created, from the rows as written (``get_bill`` reads the same)."""
    bill = new.bills[bill_id]
    return BillRead(
        id=bill_id,
        number=bill["number"],
        client_id=bill["client_id"],
        status=bill["status"],
        apply_available_credit=bill["apply_available_credit"],
        items=[BillItemRead.model_validate(new.items[i]) for i in sorted(new.items)],
        client_responsibility=bill["client_responsibility"],
        client_paid=bill["client_paid"],
        balance_due=bill["balance_due"],
        insurance_due=bill["insurance_due"],
        lines=[_written_line(new, line_id, client_id=bill["client_id"]) for line_id in sorted(new.lines)],
        created_at=bill["created_at"],
    )


def _written_line(new: NewRows, line_id: str, *, client_id: str) -> LineRead:
    """A line just written on a bill of ``client_id``, through the same mapping ``get_bill`` reads it back with."""
    line = new.lines[line_id]
    payment = new.payments[line["payment_id"]] if line["payment_id"] else None
    record = BillLineRecord(
        id=line_id,
        bill_id=line["bill_id"],
        payment_id=line["payment_id"],
        type=line["type"],
        amount=line["amount"],
        deduct_from_credit_balance=line["deduct_from_credit_balance"],
        removed_at=None,
        created_at=line["created_at"],
        captured=payment["captured"] if payment else None,
        credited=payment["credited"] if payment else None,
        refunded=payment["refunded"] if payment else None,
        card_last4=payment["card_last4"] if payment else None,
        card_brand=payment["card_brand"] if payment else None,
        charge_id=payment["charge_id"] if payment else None,
    )
    draws = [
        LotDrawRecord(line_id, d["lot_id"], d["amount"], new.lot_sources[d["lot_id"]], new.lot_owners[d["lot_id"]])
        for d in sorted((d for d in new.draws if d["line_id"] == line_id), key=lambda d: d["lot_id"])
    ]
    return _line_read(line["bill_id"], record, draws, client_id=client_id)


@use_case(Permission.TAKE_PAYMENT, charge=card_charge, precheck=precheck_payment)
def add_payment(tx: Tx, *, bill_id: str, data: PaymentLineCreate, charge: Charge | None = None) -> LineRead:
    """A client payment on a bill (rules 3 and 4). A card payment arrives already charged."""
    inputs = payment_inputs(tx, get_bill_row(tx, bill_id))
    client, bill = inputs.client, inputs.bill
    if not data.type.is_credit and data.deduct_from_credit_balance is not None:
        raise ValidationFailed("deduct_from_credit_balance applies to client_credit payments only.")
    if not data.type.via_processor and data.payment_method is not None:
        raise ValidationFailed("payment_method applies to card payments only.")
    if data.type.via_processor and (charge is None or charge.amount != data.amount):
        raise ValidationFailed("A card payment needs a processor charge of the same amount.")
    check_payable(bill.status)
    new = NewRows()
    writes = Writes(tx)
    if data.type.is_credit:
        deduct = data.deduct_from_credit_balance is not False
        check_credit_payment(
            amount=data.amount, balance_due=bill.balance_due, credit_balance=inputs.pool.balance, deduct=deduct
        )
        return _credit_line(tx, inputs, amount=data.amount, deduct=deduct, action="bill.payment_added")
    split = split_payment(amount=data.amount, balance_due=bill.balance_due)
    payment = client_payment_row(
        tx, client_id=client.id, method=data.type, amount=data.amount, bill_id=bill.id, charge=charge
    )
    payment_id = payment["id"]
    new.payments[payment_id] = payment
    line = new_line_row(tx, bill_id=bill.id, type=data.type, payment_id=payment_id)
    line_id = line["id"]
    new.lines[line_id] = line
    lines = [
        dr(cash(data.type), data.amount, payment_id=payment_id),
        cr(AR_CLIENT, split.applied, bill_id=bill.id, line_id=line_id),
    ]
    lot_ids = []
    if split.to_credit:
        lot_id, more = move_to_credit(
            tx,
            client_id=client.id,
            bill_id=bill.id,
            line_id=None,
            payment_id=payment_id,
            amount=split.to_credit,
            source="overpayment",
            new=new,
        )
        lines += more
        lot_ids.append(lot_id)
    record(
        tx,
        kind=EntryKind.PAYMENT_RECEIVED,
        client_id=client.id,
        bill_id=bill.id,
        payment_id=payment_id,
        lines=lines,
        new=new,
        writes=writes,
    )
    record_event(
        tx,
        action="bill.payment_added",
        object_ids=[bill.id, line_id, payment_id, client.id, *lot_ids],
        detail={"type": data.type, "amount": data.amount, "to_credit": split.to_credit},
        writes=writes,
    )
    writes.flush()
    return _written_line(new, line_id, client_id=client.id)


def _credit_line(tx: Tx, inputs: PaymentInputs, *, amount: int, deduct: bool, action: str) -> LineRead:
    """A client_credit line of ``amount``, already checked against rule 3: drawn from the lots
    (oldest first), or a discount that leaves the credit balance as it is."""
    client, bill = inputs.client, inputs.bill
    new = NewRows()
    writes = Writes(tx)
    if deduct:
        line_id, lines = apply_credit(
            tx, client_id=client.id, bill_id=bill.id, amount=amount, new=new, available=inputs.pool
        )
        assert line_id is not None
    else:
        row = new_line_row(tx, bill_id=bill.id, type=LineType.CLIENT_CREDIT, deduct=False)
        line_id = new.lines.setdefault(row["id"], row)["id"]
        lines = [dr(ADJUST_DISCOUNT, amount), cr(AR_CLIENT, amount, bill_id=bill.id, line_id=line_id)]
    kind = EntryKind.CREDIT_PAYMENT if deduct else EntryKind.DISCOUNT
    record(tx, kind=kind, client_id=client.id, bill_id=bill.id, lines=lines, new=new, writes=writes)
    detail = {"type": LineType.CLIENT_CREDIT.value, "amount": amount, "deduct_from_credit_balance": deduct}
    objects = [bill.id, line_id, client.id, *lots_in(lines)]
    record_event(tx, action=action, object_ids=objects, detail=detail, writes=writes)
    writes.flush()
    return _written_line(new, line_id, client_id=client.id)


@use_case(Permission.READ)
def spendable_credit(tx: Tx, *, client_id: str) -> int:
    """Credit a bill of the client may spend: its lots but its packages' (which pay only their own
    sessions), and in a household that shares credit, the other members' lots too."""
    client = get_client_row(tx, client_id)
    own = open_credit_pool(tx, client.id)
    shared = shared_credit_now(tx, client.id)
    return own.balance + (shared.balance if shared is not None else 0)


def credit_default(bill: BillRead, *, credit_balance: int) -> int:
    """What applying credit to ``bill`` takes unless staff say otherwise (rule 2's amount)."""
    return credit_to_apply(credit_balance=credit_balance, balance_due=bill.balance_due)


def overpayment(bill: BillRead, *, type: str, amount: int) -> int:
    """What of a payment of ``amount`` on ``bill`` would go to the client's credit (rule 5's split);
    the Add payment form says it before it records the payment. A credit line never overpays."""
    if LineType(type).is_credit or amount <= 0:
        return 0
    return split_payment(amount=amount, balance_due=bill.balance_due).to_credit


@use_case(Permission.TAKE_PAYMENT)
def apply_credit_to_bill(tx: Tx, *, bill_id: str, amount: int | None = None) -> LineRead:
    """Pay an open bill from the client's credit, oldest lot first: ``amount``, by default all it can
    (``min(credit_balance, balance_due)``). The same client_credit line as a credit payment."""
    inputs = payment_inputs(tx, get_bill_row(tx, bill_id))
    check_payable(inputs.bill.status)
    spend = credit_to_spend(amount=amount, balance_due=inputs.bill.balance_due, credit_balance=inputs.pool.balance)
    return _credit_line(tx, inputs, amount=spend, deduct=True, action="bill.credit_applied")


@use_case(Permission.REFUND, present=present_line)
def refund_line(tx: Tx, *, bill_id: str, line_id: str, amount: int | None, reason: str | None = None) -> LineRead:
    """Refund on a payment row: a credit line returns to the account; a card/cash/check line pays back."""
    bill = get_bill_row(tx, bill_id)
    client = lock_client(tx, bill.client_id)
    line = get_line_row(tx, bill_id, line_id)
    if not LineType(line.type).is_credit:
        assert line.payment_id is not None
        refund = begin_refund(tx, payment_id=line.payment_id, amount=amount, reason=reason)
        return _with_refund(tx, get_line(tx, bill_id=bill_id, line_id=line_id), refund.id)
    take = plan_line_refund(amount=amount, line_amount=line.amount)
    lines = shrink_credit_line(tx, line, bill_id=bill_id, amount=take)
    detail: dict[str, object] = {
        "amount": take,
        "reason": reason,
        "deduct_from_credit_balance": line.deduct_from_credit_balance,
    }
    session = session_of_line(tx, line_id) if line.deduct_from_credit_balance else None
    if session is not None and take == line.amount:
        # The session goes back to its package with its share, and its discount comes off the bill.
        discount = _live_line(tx, bill_id, session.discount_line_id)
        if discount is not None and discount.amount > 0:
            lines += shrink_discount(bill_id=bill_id, line_id=discount.id, amount=discount.amount)
            detail["discount_removed"] = discount.amount
    kind = EntryKind.CREDIT_LINE_REFUNDED if line.deduct_from_credit_balance else EntryKind.DISCOUNT_REDUCED
    record(tx, kind=kind, client_id=client.id, bill_id=bill_id, lines=lines, memo=reason)
    record_event(
        tx,
        action="bill.line_refunded",
        object_ids=[bill_id, line_id, client.id, *lots_in(lines), session.package_id if session else None],
        detail=detail,
    )
    return get_line(tx, bill_id=bill_id, line_id=line_id)


def _live_line(tx: Tx, bill_id: str, line_id: str | None) -> LineRecord | None:
    if line_id is None:
        return None
    try:
        return get_line_row(tx, bill_id, line_id)
    except NotFound:
        return None


@use_case(Permission.REFUND)
def delete_line(tx: Tx, *, bill_id: str, line_id: str) -> None:
    """Remove a payment row: credit is gone for good; cash/check was recorded in error; card: refund."""
    bill = get_bill_row(tx, bill_id)
    client = lock_client(tx, bill.client_id)
    line = get_line_row(tx, bill_id, line_id)
    lines: list[Posting]
    if not LineType(line.type).can_be_deleted:
        raise UseRefund("A card payment went through the processor: refund it instead of removing it.")
    if LineType(line.type).is_credit:
        offset = ADJUST_CREDIT_REMOVED if line.deduct_from_credit_balance else ADJUST_DISCOUNT
        lines = [dr(AR_CLIENT, line.amount, bill_id=bill_id, line_id=line_id), cr(offset, line.amount)]
        kind = EntryKind.CREDIT_LINE_REMOVED
    else:
        lines, kind = _void_payment_postings(tx, bill_id=bill_id, line=line), EntryKind.PAYMENT_VOIDED
    record(tx, kind=kind, client_id=client.id, bill_id=bill_id, payment_id=line.payment_id, lines=lines)
    mark_line_removed(tx, line_id)
    if line.payment_id:
        mark_payment_voided(tx, line.payment_id)
    # The lots a credit line drew on: their History shows the credit it took is gone for good.
    drawn = (
        [d.lot_id for d in lot_draws_by_line(tx, [line_id]).get(line_id, [])] if LineType(line.type).is_credit else []
    )
    record_event(
        tx,
        action="bill.line_removed",
        object_ids=[bill_id, line_id, line.payment_id, client.id, *drawn],
        detail={
            "type": line.type,
            "amount": line.amount,
            "deduct_from_credit_balance": line.deduct_from_credit_balance,
        },
    )


def _void_payment_postings(tx: Tx, *, bill_id: str, line: LineRecord) -> list[Posting]:
    """Undo a cash/check payment recorded in error, unless credit it created was already spent."""
    assert line.payment_id is not None  # a cash or check line always has its payment
    payment = get_payment_row(tx, line.payment_id)
    if refund_rows(tx, payment.id):
        raise CreditAlreadyUsed("Part of this payment was refunded; it cannot be removed as an error.")
    lots = payment_lot_rows(tx, payment.id)
    if any(lot.remaining != lot.amount for lot in lots):
        raise CreditAlreadyUsed("Credit this payment created has been used; refund or remove that first.")
    lines = [cr(cash(payment.method), payment.captured, payment_id=payment.id)]
    lines.append(dr(AR_CLIENT, line.amount, bill_id=bill_id, line_id=line.id))
    lines += [dr(CLIENT_CREDIT, lot.remaining, lot_id=lot.id) for lot in lots]
    return lines


def refundable_on_line(line: LineRead, lots: Sequence[LotRead]) -> int:
    """All that a Refund of this row can give back (its "Full Amount"): a credit line's amount; a
    payment's remaining own credit and what it pays on this bill (rule 7)."""
    if line.type.is_credit:
        return line.amount
    own = [LotBalance(lot.id, lot.remaining) for lot in lots if lot.payment_id == line.payment_id]
    return refundable(captured=line.captured or 0, refunded=line.refunded or 0, own_credit=own, on_bill=line.amount)


@use_case(Permission.READ)
def get_line(tx: Tx, *, bill_id: str, line_id: str) -> LineRead:
    for line in get_bill(tx, bill_id=bill_id).lines:
        if line.id == line_id:
            return line
    raise NotFound(f"No payment line {line_id!r} on bill {bill_id!r}.")


@use_case(Permission.READ)
def get_bill(tx: Tx, *, bill_id: str) -> BillRead:
    return _bill_reads(tx, [get_bill_row(tx, bill_id)])[0]


@use_case(Permission.READ)
def get_bills(tx: Tx, *, bill_ids: list[str]) -> list[BillRead]:
    """These bills (unknown ids left out), in a constant number of queries per few hundred bills."""
    return _bill_reads(tx, bill_rows(tx, bill_ids))


def _bill_reads(tx: Tx, records: list[BillRecord]) -> list[BillRead]:
    """The bills as staff see them, in the order given: three queries however many bills."""
    if len(records) > 500:
        return [*_bill_reads(tx, records[:500]), *_bill_reads(tx, records[500:])]
    bill_ids = [b.id for b in records]
    items = items_by_bill(tx, bill_ids)
    lines = lines_by_bill(tx, bill_ids)
    credit_lines = [r.id for rows in lines.values() for r in rows if LineType(r.type).is_credit]
    draws = lot_draws_by_line(tx, credit_lines)
    return [
        BillRead(
            id=bill.id,
            number=bill.number,
            client_id=bill.client_id,
            status=bill.status,
            apply_available_credit=bill.apply_available_credit,
            items=[BillItemRead.model_validate(i) for i in items[bill.id]],
            client_responsibility=bill.client_responsibility,
            client_paid=bill.client_paid,
            balance_due=bill.balance_due,
            insurance_due=bill.insurance_due,
            lines=[_line_read(bill.id, r, draws.get(r.id, []), client_id=bill.client_id) for r in lines[bill.id]],
            created_at=bill.created_at,
        )
        for bill in records
    ]


def _line_read(bill_id: str, r: BillLineRecord, draws: list[LotDrawRecord], *, client_id: str) -> LineRead:
    """A line as staff see it; a credit line's lots in the order it drew them (the bill's client's
    own, oldest first, then the other household members')."""
    is_credit = LineType(r.type).is_credit
    draws = sorted(draws, key=lambda d: (d.client_id != client_id, d.lot_id))
    return LineRead(
        id=r.id,
        bill_id=bill_id,
        type=r.type,
        amount=r.amount,
        payment_id=r.payment_id,
        captured=None if is_credit else r.captured,
        credited=None if is_credit else r.credited,
        refunded=None if is_credit else r.refunded,
        deduct_from_credit_balance=r.deduct_from_credit_balance if is_credit else None,
        lots=[LotDraw(lot_id=d.lot_id, amount=d.amount, source=d.source, client_id=d.client_id) for d in draws]
        if is_credit
        else None,
        card_brand=r.card_brand,
        card_last4=r.card_last4,
        processor_ref=r.charge_id,
        created_at=r.created_at,
        removed_at=r.removed_at,
    )


@use_case(Permission.READ)
def list_client_bills(tx: Tx, *, client_id: str, limit: int = 50, cursor: str | None = None) -> list[BillRead]:
    """A client's bills, newest first (the client page lists them): a constant number of queries."""
    client = get_client_row(tx, client_id)
    return _bill_reads(tx, client_bill_rows(tx, client.id, limit=limit, cursor=cursor))
