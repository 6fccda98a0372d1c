"""Rule 5: what a payer's decision on a claim does to a bill item's split between client and payer.

A payer answers a claim with what it pays, what the patient owes (the PR adjustments) and why it
does not pay the rest (CO contractual write-downs, OA/PI/CR other adjustments). Those numbers must
add up to the fee billed; when they do not, the decision is refused rather than guessed at
(``ClaimUnbalanced``), because posting it would leave money nobody can explain.

The item's client responsibility becomes the patient responsibility. When that falls, what the
client paid beyond it is released (``rules.freeing``, rule 5's order); when it rises, the client
owes the rise and, on a bill that auto-applies credit, ``min(credit, rise, balance due)`` is applied.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from clientledger.kit.errors import Conflict, NotFound, ValidationFailed
from clientledger.kit.money import format_x12
from clientledger.kit.vocabulary import AppointmentStatus
from clientledger.rules.bills import check_payable
from clientledger.rules.credit import credit_to_apply
from clientledger.rules.freeing import excess_paid

CLAIM_REF_MAX = 20
_CLAIM_REF = re.compile(rf"[A-Z0-9-]{{1,{CLAIM_REF_MAX}}}")

PATIENT = "PR"
CONTRACTUAL = "CO"
OTHER = frozenset({"OA", "PI", "CR"})
GROUPS = frozenset({PATIENT, CONTRACTUAL, *OTHER})


class ClaimUnbalanced(ValidationFailed):
    """The payer's numbers contradict each other or the billed fee; nothing is posted."""


def check_claim_ref(claim_ref: str) -> str:
    """A patient control number a payer will echo back unchanged: <= 20 of A-Z, 0-9 and '-'."""
    if not _CLAIM_REF.fullmatch(claim_ref):
        raise ValidationFailed(f"claim_ref {claim_ref!r} must be 1 to {CLAIM_REF_MAX} characters of A-Z, 0-9 and '-'.")
    return claim_ref


def claim_ref_for(item_id: str) -> str:
    """The claim_ref given to a newly billed insured session: ``CLM-`` and 12 random id characters.

    Taken from the random tail of the item's id (60 bits) rather than a per-practice counter, so
    concurrent bills never contend for one sequence row; a collision is ~1 in 10^6 at a million
    claims per practice, and the unique key refuses it rather than mixing two claims up.
    """
    return check_claim_ref(f"CLM-{item_id[-12:].upper()}")


@dataclass(frozen=True)
class Adjustment:
    group: str
    reason: str
    amount: int


@dataclass(frozen=True)
class PayerDecision:
    """A payer's answer on one item, reduced to what the ledger posts."""

    paid: int
    patient_responsibility: int
    contractual: int
    other_adjusted: int

    @property
    def settled(self) -> int:
        """What leaves ``ar:insurance``: paid plus written off."""
        return self.paid + self.contractual + self.other_adjusted


def decide(*, fee: int, paid: int, patient_responsibility: int, adjustments: Sequence[Adjustment]) -> PayerDecision:
    """Check a payer's numbers against the fee billed and sort the adjustments by account.

    PR adjustments, when given, are the detail of ``patient_responsibility`` and must add up to it;
    they post nothing themselves (the client's share is the responsibility move).
    """
    unknown = sorted({a.group for a in adjustments} - GROUPS)
    if unknown:
        raise ValidationFailed(f"Adjustment groups must be CO, PR, OA, PI or CR, not {', '.join(unknown)}.")
    if paid < 0 or patient_responsibility < 0:
        raise ClaimUnbalanced(
            "A payment cannot pay {paid} or leave the patient {patient}; "
            "a payer takes money back with a reversal (CLP02 22).",
            paid=paid,
            patient=patient_responsibility,
        )
    pr = [a.amount for a in adjustments if a.group == PATIENT]
    if pr and sum(pr) != patient_responsibility:
        raise ClaimUnbalanced(
            "The PR adjustments add up to {pr} but the patient responsibility is {patient}.",
            pr=sum(pr),
            patient=patient_responsibility,
        )
    decision = PayerDecision(
        paid=paid,
        patient_responsibility=patient_responsibility,
        contractual=sum(a.amount for a in adjustments if a.group == CONTRACTUAL),
        other_adjusted=sum(a.amount for a in adjustments if a.group in OTHER),
    )
    total = decision.settled + patient_responsibility
    if total != fee:
        raise ClaimUnbalanced(
            "Paid {paid} + patient responsibility {patient} + adjustments {adjusted} = {total}, "
            "but the session was billed at {fee}.",
            paid=paid,
            patient=patient_responsibility,
            adjusted=decision.contractual + decision.other_adjusted,
            total=total,
            fee=fee,
        )
    if patient_responsibility > fee:
        raise ClaimUnbalanced(
            "The patient responsibility of {patient} exceeds the fee of {fee}.", patient=patient_responsibility, fee=fee
        )
    return decision


def claim_balances(*, charge: int, paid: int, adjustment_total: int) -> bool:
    """X12's balancing rule: what was charged is what was paid plus every CAS adjustment."""
    return charge == paid + adjustment_total


def check_remittance_claim(
    *,
    charge: int,
    paid: int,
    adjustment_total: int,
    patient_responsibility: int,
    pr_total: int,
    fee: int,
    reversal: bool,
) -> None:
    """An 835 claim's numbers must agree with each other and with the fee billed (negated in a reversal).

    ``adjustment_total`` and ``pr_total`` are every CAS amount, and every PR amount, at claim and
    service-line level; ``patient_responsibility`` is CLP05.
    """
    if not claim_balances(charge=charge, paid=paid, adjustment_total=adjustment_total):
        raise ClaimUnbalanced(
            f"The claim does not balance: charge {format_x12(charge)} is not paid "
            f"{format_x12(paid)} plus adjustments {format_x12(adjustment_total)}."
        )
    if patient_responsibility != pr_total:
        raise ClaimUnbalanced(
            f"CLP05 patient responsibility {format_x12(patient_responsibility)} is not the sum of the "
            f"PR adjustments ({format_x12(pr_total)})."
        )
    billed = -fee if reversal else fee
    if charge != billed:
        raise ClaimUnbalanced(f"The claim's charge {format_x12(charge)} is not the session's fee {format_x12(fee)}.")


def check_decidable(*, bill_status: str, appointment_status: str) -> None:
    """A payer decides on a session of a live (not void) bill that took place: a cancellation fee is no claim."""
    check_payable(bill_status)
    if AppointmentStatus(appointment_status).bills_fee_only:
        raise Conflict("The session was canceled or missed: its fee is the client's alone, not a claim.")


def check_same_payer(*, payer: str, payer_in_force: str | None) -> None:
    """One payer decides per session: a second one (secondary insurance) is not posted on top."""
    if payer_in_force is not None and payer_in_force != payer:
        raise Conflict(
            f"{payer_in_force} has already decided on this session; a second payer (secondary insurance) "
            "cannot be posted on top of it."
        )


def check_reversal(
    *,
    claim: str,
    payer: str,
    payer_in_force: str | None,
    posted_paid: int,
    posted_patient_responsibility: int,
    paid: int,
    patient_responsibility: int,
) -> None:
    """CLP02 22 undoes the payer's decision in force; its amounts arrive negated and must match it."""
    if payer_in_force is None or payer_in_force != payer:
        raise NotFound(f"No payment from {payer} is posted on {claim}, so there is nothing to reverse.")
    if (-paid, -patient_responsibility) != (posted_paid, posted_patient_responsibility):
        raise ClaimUnbalanced(
            "The reversal (paid {paid}, patient responsibility {patient}) does not match the posted payment "
            "(paid {posted_paid}, patient responsibility {posted_patient}).",
            paid=-paid,
            patient=-patient_responsibility,
            posted_paid=posted_paid,
            posted_patient=posted_patient_responsibility,
        )


@dataclass(frozen=True)
class ClientSide:
    """How the client's side of the bill follows a change of the item's client responsibility."""

    move: int  # signed change of the item's (and bill's) client responsibility
    release: int  # client money to take off the bill (rule 5's order)
    apply_credit: int  # credit to apply as a new client_credit line (rule 2's rise)


def client_side(
    *,
    item_responsibility: int,
    target: int,
    bill_responsibility: int,
    bill_paid: int,
    bill_due: int,
    credit_balance: int,
    auto_apply: bool,
) -> ClientSide:
    """A fall frees what was paid beyond the new responsibility; a rise may be met from credit."""
    move = target - item_responsibility
    if move < 0:
        release = excess_paid(client_paid=bill_paid, client_responsibility=bill_responsibility + move)
        return ClientSide(move=move, release=release, apply_credit=0)
    if move > 0 and auto_apply:
        amount = credit_to_apply(credit_balance=credit_balance, balance_due=bill_due + move, rise=move)
        return ClientSide(move=move, release=0, apply_credit=amount)
    return ClientSide(move=move, release=0, apply_credit=0)
