"""Insurance use cases: a payer's decision on a billed session, its replacement and its reversal.

One decision is in force per item. Posting it (one journal entry, per ``shared/DESIGN.md``):

- the responsibility moves between ``ar:client`` and ``ar:insurance`` (both with the item), so the
  item's client responsibility becomes the patient responsibility;
- Dr ``cash:insurance`` paid, Dr ``adjust:contractual`` CO, Dr ``adjust:insurance_other`` OA/PI/CR,
  Cr ``ar:insurance`` their sum (PR adjustments are the responsibility itself, not postings);
- client money paid beyond the new responsibility leaves the bill in rule 5's order into
  ``insurance_adjustment`` lots; a rise on an auto-apply bill is met from credit (rule 2).

A second decision from the same payer replaces the first in the same entry: the first's payer
postings are inverted and the responsibility goes from where it is now to the new one, in one
move. A reversal (CLP02 22) inverts them and restores the responsibility the first one found.
The client side of a reversal is a rise like any other, so credit the first decision created is
re-applied where the bill auto-applies, and otherwise simply owed again; nothing is clawed back
from lots that may have been spent since.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from clientledger.accounting.accounts import (
    ADJUST_CONTRACTUAL,
    ADJUST_INSURANCE_OTHER,
    AR_CLIENT,
    AR_INSURANCE,
    CASH_INSURANCE,
    CLIENT_CREDIT,
)
from clientledger.accounting.journal import record
from clientledger.accounting.moves import apply_credit, release_excess
from clientledger.accounting.posting import Posting, cr, dr
from clientledger.audit.service import record_event
from clientledger.billing.repository import get_bill_row
from clientledger.billing.schemas import BillItemRead
from clientledger.billing.service import get_bill
from clientledger.clients.repository import ClientRecord, lock_client
from clientledger.credits.service import get_lot
from clientledger.db import Tx
from clientledger.insurance.repository import (
    InForce,
    InsuredItemRecord,
    Pending,
    claim_ref_owner,
    get_item_row,
    insert_payment,
    item_bill_id,
    mark_reversed,
    set_item_claim_ref,
    set_item_insurance,
)
from clientledger.insurance.schemas import InsurancePaymentCreate, InsurancePaymentResult
from clientledger.kit.errors import Conflict
from clientledger.kit.use_cases import Permission, use_case
from clientledger.kit.vocabulary import EntryKind
from clientledger.rules.bills import check_payable
from clientledger.rules.insurance import (
    Adjustment,
    PayerDecision,
    check_claim_ref,
    check_decidable,
    check_reversal,
    check_same_payer,
    client_side,
    decide,
)

INSURANCE_ADJUSTMENT = "insurance_adjustment"


@dataclass(frozen=True)
class EraSource:
    """Where a decision came from when an 835 carried it (kept on the insurance payment)."""

    import_id: str
    trace: str


@dataclass(frozen=True)
class CreatedLot:
    lot_id: str
    amount: int
    payment_id: str | None


@dataclass
class Posted:
    """What one decision did, for the API answer and the import report."""

    bill_id: str
    client_id: str
    insurance_payment_id: str | None
    credits: list[CreatedLot] = field(default_factory=list)


@use_case(Permission.BILL)
def set_claim_ref(tx: Tx, *, item_id: str, claim_ref: str) -> BillItemRead:
    """Give an item the patient control number its claim was (or will be) sent with.

    Refused once a payer decision is posted on the item: the 835s that follow carry the old one.
    """
    item = get_item_row(tx, bill_id=item_bill_id(tx, item_id), item_id=item_id)
    lock_client(tx, item.client_id)
    _assign_claim_ref(tx, item, claim_ref, replace=True)
    record_event(
        tx, action="insurance.claim_ref_set", object_ids=[item.id, item.bill_id], detail={"claim_ref": claim_ref}
    )
    return BillItemRead.model_validate(get_item_row(tx, bill_id=item.bill_id, item_id=item.id))


def _assign_claim_ref(tx: Tx, item: InsuredItemRecord, claim_ref: str, *, replace: bool) -> None:
    check_claim_ref(claim_ref)
    if item.claim_ref == claim_ref:
        return
    if item.claim_ref is not None and not replace:
        raise Conflict(f"This session's claim_ref is {item.claim_ref}, not {claim_ref}.")
    if item.in_force is not None:
        raise Conflict(f"A payer decision is posted under claim_ref {item.claim_ref}; it cannot change now.")
    owner = claim_ref_owner(tx, claim_ref)
    if owner is not None:
        raise Conflict(f"claim_ref {claim_ref} already belongs to another session ({owner}).")
    set_item_claim_ref(tx, item.id, claim_ref)


@use_case(Permission.BILL)
def post_insurance_payment(tx: Tx, *, bill_id: str, data: InsurancePaymentCreate) -> InsurancePaymentResult:
    """Staff post an EOB by hand: the payer's decision on one item of the bill (rule 5)."""
    bill = get_bill_row(tx, bill_id)
    check_payable(bill.status)
    client = lock_client(tx, bill.client_id)
    item = get_item_row(tx, bill_id=bill_id, item_id=data.item_id)
    if data.claim_ref is not None and data.claim_ref != item.claim_ref:
        _assign_claim_ref(tx, item, data.claim_ref, replace=False)
        item = get_item_row(tx, bill_id=bill_id, item_id=data.item_id)
    posted = record_decision(
        tx,
        item=item,
        client=client,
        payer=data.payer,
        paid=data.paid,
        patient_responsibility=data.patient_responsibility,
        adjustments=[Adjustment(a.group, a.reason, a.amount) for a in data.adjustments],
    )
    result = get_bill(tx, bill_id=bill_id).model_dump()
    result["credits_created"] = [get_lot(tx, client_id=client.id, lot_id=c.lot_id) for c in posted.credits]
    result["insurance_payment_id"] = posted.insurance_payment_id
    return InsurancePaymentResult.model_validate(result)


@dataclass(frozen=True)
class Settlement:
    """A checked payer decision, ready to post: every refusal raised, nothing written.

    Planning apart from posting lets the 835 importer quarantine a claim without a savepoint: a
    claim is refused before its first write, and ``carry_out`` raises only on a bug.
    """

    item: InsuredItemRecord
    client: ClientRecord
    old: InForce | None
    new: PayerDecision | None
    adjustments: list[Adjustment]
    payer: str
    era: EraSource | None


def record_decision(
    tx: Tx,
    *,
    item: InsuredItemRecord,
    client: ClientRecord,
    payer: str,
    paid: int,
    patient_responsibility: int,
    adjustments: list[Adjustment],
    era: EraSource | None = None,
) -> Posted:
    """Post a payer's decision on ``item`` (the client already locked), replacing the payer's last one."""
    plan = plan_decision(
        item=item,
        client=client,
        payer=payer,
        paid=paid,
        patient_responsibility=patient_responsibility,
        adjustments=adjustments,
        era=era,
    )
    return carry_out(tx, plan)


def plan_decision(
    *,
    item: InsuredItemRecord,
    client: ClientRecord,
    payer: str,
    paid: int,
    patient_responsibility: int,
    adjustments: list[Adjustment],
    era: EraSource | None = None,
) -> Settlement:
    """Check a payer's decision on ``item``: the bill, the session, the numbers, and who decided before."""
    check_decidable(bill_status=item.bill_status, appointment_status=item.appointment_status)
    decision = decide(fee=item.fee, paid=paid, patient_responsibility=patient_responsibility, adjustments=adjustments)
    old = item.in_force
    check_same_payer(payer=payer, payer_in_force=old.payer if old is not None else None)
    return Settlement(item, client, old, decision, adjustments, payer, era)


def plan_reversal(
    *, item: InsuredItemRecord, client: ClientRecord, payer: str, paid: int, patient_responsibility: int, era: EraSource
) -> Settlement:
    """CLP02 22: the payer takes back its earlier decision on the item (amounts arrive negated)."""
    old = item.in_force
    check_reversal(
        claim=item.claim_ref or item.id,
        payer=payer,
        payer_in_force=old.payer if old is not None else None,
        posted_paid=old.paid if old is not None else 0,
        posted_patient_responsibility=old.patient_responsibility if old is not None else 0,
        paid=paid,
        patient_responsibility=patient_responsibility,
    )
    assert old is not None
    return Settlement(item, client, old, None, [], payer, era)


def _payer_lines(d: PayerDecision, *, sign: int, bill_id: str, item_id: str) -> list[Posting]:
    refs = {"bill_id": bill_id, "item_id": item_id}
    return [
        dr(CASH_INSURANCE, sign * d.paid, **refs),
        dr(ADJUST_CONTRACTUAL, sign * d.contractual, **refs),
        dr(ADJUST_INSURANCE_OTHER, sign * d.other_adjusted, **refs),
        cr(AR_INSURANCE, sign * d.settled, **refs),
    ]


def _as_decision(row: InForce) -> PayerDecision:
    return PayerDecision(row.paid, row.patient_responsibility, row.contractual, row.other_adjusted)


def carry_out(tx: Tx, plan: Settlement, *, pending: Pending | None = None) -> Posted:
    """One entry: undo ``old`` (if any), post ``new`` (if any), and move the client's side to match.

    With ``pending`` (the 835 importer's group of claims) the item's insurance columns and the new
    insurance payment are queued there, for one statement each per group.
    """
    item, client, old, new, payer, era = plan.item, plan.client, plan.old, plan.new, plan.payer, plan.era
    bill_id = item.bill_id
    base = old.prior_client_responsibility if old is not None else item.client_responsibility
    target = new.patient_responsibility if new is not None else base
    side = client_side(
        item_responsibility=item.client_responsibility,
        target=target,
        bill_responsibility=item.bill_responsibility,
        bill_paid=item.bill_paid,
        bill_due=item.bill_due,
        credit_balance=client.credit_balance,
        auto_apply=item.apply_available_credit,
    )
    refs = {"bill_id": bill_id, "item_id": item.id}
    lines = [dr(AR_CLIENT, side.move, **refs), cr(AR_INSURANCE, side.move, **refs)]
    if old is not None:
        lines += _payer_lines(_as_decision(old), sign=-1, bill_id=bill_id, item_id=item.id)
    if new is not None:
        lines += _payer_lines(new, sign=1, bill_id=bill_id, item_id=item.id)
    released = release_excess(
        tx, client_id=client.id, bill_id=bill_id, excess=side.release, source=INSURANCE_ADJUSTMENT
    )
    lines += released.lines
    if side.apply_credit:
        lines += apply_credit(tx, client_id=client.id, bill_id=bill_id, amount=side.apply_credit)[1]
    kind = (
        EntryKind.INSURANCE_PAYMENT
        if old is None
        else (EntryKind.INSURANCE_REVERSAL if new is None else EntryKind.INSURANCE_PAYMENT_REPLACED)
    )
    entry_id = record(
        tx, kind=kind, client_id=client.id, bill_id=bill_id, lines=lines, memo=f"{payer} {item.claim_ref or item.id}"
    )
    set_item_insurance(
        tx,
        item.id,
        insurance_responsibility=item.fee - target,
        insurance_paid=new.paid if new is not None else 0,
        pending=pending,
    )
    if old is not None:
        mark_reversed(tx, old.id, entry_id=entry_id)
    payment_id = None
    if new is not None:
        payment_id = insert_payment(
            tx,
            item=item,
            payer=payer,
            decision=new,
            adjustments=plan.adjustments,
            prior_client_responsibility=base,
            entry_id=entry_id,
            era_import_id=era.import_id if era else None,
            trace=era.trace if era else None,
            pending=pending,
        )
    credits = [
        CreatedLot(p.lot_id, -p.amount, p.payment_id)
        for p in released.lines
        if p.account == CLIENT_CREDIT and p.lot_id in released.lot_ids
    ]
    record_event(
        tx,
        action="insurance.payment_reversed" if new is None else "insurance.payment_posted",
        object_ids=[bill_id, item.id, payment_id, old.id if old is not None else None, client.id, *released.lot_ids],
        detail={
            "payer": payer,
            "claim_ref": item.claim_ref,
            "paid": new.paid if new else None,
            "patient_responsibility": target,
            "adjustments": [[a.group, a.reason, a.amount] for a in plan.adjustments],
            "era_import_id": era.import_id if era else None,
            "trace": era.trace if era else None,
        },
    )
    return Posted(bill_id=bill_id, client_id=client.id, insurance_payment_id=payment_id, credits=credits)
