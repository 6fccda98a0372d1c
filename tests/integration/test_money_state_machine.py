"""The money rules, step by step, against a second implementation of them.

A Hypothesis state machine does what staff do (prepay, add and remove credit, sell session packages,
form households, bill sessions with or without credit, apply credit, pay, refund, remove lines,
cancel sessions, post insurance) through the use cases, as the API does (``tests.factories.Ledger``
runs each through ``service_layer.Runner``). ``Model`` below is an independent reading of API.md
"Money rules" 1-9, "Clarifications", "Prepaid session packages" and "Households" in plain Python: it
does not import ``clientledger.rules``, so a rule the service gets wrong is not also wrong here. Each
step's outcome (success, or the exact error code) comes from the model and must be the service's;
after each step every client's credit balance and balance due, every lot, every package (sessions
used and left, its lot, its payment), every household's shared credit, every bill (status,
responsibility, paid, due, items) and every payment line (amount, captured, credited, refunded, the
lots it drew from and their owners) must be the model's; ``verify`` recomputes the books from the
journal. The run prints which package and household paths it reached, by rule.

CI runs a few short machines per database; ``make soak`` (``CLIENTLEDGER_SOAK=1``) runs long ones
for ``CLIENTLEDGER_SOAK_SECONDS`` per database. Both print how many steps they ran.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from clientledger.billing import service as billing_service
from clientledger.db import Database
from clientledger.households import service as households
from clientledger.households.schemas import MemberAdd
from clientledger.kit.errors import ClientLedgerError
from tests.factories import Ledger, new_practice

T = TypeVar("T")
HELPERS = ("bill", "sell", "form_household")  # steps named by the rule that called them
REACH = (
    "package credit",
    "sessions used",
    "session lines removed",
    "session discounts",
    "household credit",
    "household members",
)  # Counter.reached, by rule

SOAK = os.environ.get("CLIENTLEDGER_SOAK", "") == "1"
SOAK_SECONDS = float(os.environ.get("CLIENTLEDGER_SOAK_SECONDS", "540"))  # per database
CI_EXAMPLES, CI_STEPS = 12, 25
SOAK_EXAMPLES, SOAK_STEPS = 4, 80  # per round; rounds repeat until SOAK_SECONDS have passed
VERIFY_EVERY = 10  # steps between two full ``verify`` runs (and always at the end of a run)

MONEY = ("card", "cash", "check")
CODES = ("90834", "90837")  # the sessions' service codes; packages may also name one no session has
PACKAGE_CODES = (None, None, *CODES, "90846")  # any session, one code, or a code no session has
REFUSING_CARD = "pm_card_refundFail"  # the simulated processor charges it and refuses every refund of it
CANCELED = ("canceled", "late_canceled", "no_show")

amounts = st.integers(min_value=1, max_value=30000)
fees = st.integers(min_value=1, max_value=20000)
pick = st.integers(min_value=0, max_value=10**6)  # an index, taken modulo the length of a list
CLIENT = st.integers(0, 2)  # two self-pay clients and one insured


# --- the model -------------------------------------------------------------------------------------


class Refused(Exception):
    """The model's answer to a step the rules refuse: the error code the service must give."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


@dataclass
class MLot:
    client: int
    source: str
    amount: int
    remaining: int
    payment: int | None  # index into Model.payments: the payment it came from
    sid: str | None = None

    @property
    def spendable(self) -> bool:
        """A package's lot pays only its own sessions: no other credit draws on it."""
        return self.source != "package"


@dataclass
class MPackage:
    client: int
    sessions: int
    price: int
    service_code: str | None
    lot: int  # index into Model.lots
    payment: int
    sid: str = ""

    @property
    def share(self) -> int:
        return self.price // self.sessions

    @property
    def last_share(self) -> int:
        """The last session's share: the remainder of the price after the others'."""
        return self.price - self.share * (self.sessions - 1)

    def covers(self, service_code: str) -> bool:
        return self.service_code is None or self.service_code == service_code


@dataclass
class MPayment:
    client: int
    type: str
    captured: int
    credited: int = 0
    refunded: int = 0
    bill: int | None = None
    line: int | None = None  # index into the bill's lines
    voided: bool = False
    refunds: int = 0
    refuses_refunds: bool = False
    sid: str = ""


@dataclass
class MLine:
    type: str
    amount: int
    deduct: bool | None = None
    payment: int | None = None
    draws: list[list[int]] = field(default_factory=list)  # [lot index, amount held], in draw order
    removed: bool = False
    sid: str | None = None
    package: int | None = None  # a package session's line: index into Model.packages
    discount: int | None = None  # that session's discount line: index into the bill's lines
    held_when_removed: int = 0  # what a removed credit line held: a deleted session stays used

    @property
    def is_credit(self) -> bool:
        return self.type == "client_credit"


@dataclass
class MItem:
    appt_fee: int
    fee: int
    client_resp: int
    ins_resp: int
    appt_sid: str
    service_code: str = CODES[0]
    status: str = "attended"
    ins_paid: int = 0
    posted: bool = False


@dataclass
class MBill:
    client: int
    apply_credit: bool
    items: list[MItem]
    lines: list[MLine] = field(default_factory=list)
    sid: str = ""

    @property
    def client_resp(self) -> int:
        return sum(i.client_resp for i in self.items)

    @property
    def client_paid(self) -> int:
        return sum(ln.amount for ln in self.lines)

    @property
    def balance_due(self) -> int:
        return self.client_resp - self.client_paid

    @property
    def insurance_due(self) -> int:
        return sum(i.ins_resp for i in self.items if not i.posted)

    @property
    def void(self) -> bool:
        return all(i.fee == 0 for i in self.items)

    @property
    def status(self) -> str:
        # Clarifications: the status is about the client's part; void when nothing is billed.
        if self.void:
            return "void"
        if self.balance_due > 0:
            return "open"
        if self.client_resp > 0 or self.insurance_due == 0:
            return "paid"
        return "open"  # a client part of 0 is paid once the payers have settled


@dataclass
class MClient:
    billing: str
    copay: int | None
    sid: str


class Model:
    def __init__(self) -> None:
        self.clients: list[MClient] = []
        self.lots: list[MLot] = []  # creation order: oldest first
        self.payments: list[MPayment] = []
        self.bills: list[MBill] = []
        self.packages: list[MPackage] = []  # creation order: oldest first
        self.households: list[tuple[list[int], bool]] = []  # members, share_credit
        self.household_of: dict[int, int] = {}  # client -> index into households

    # credit (rules 1-3) ------------------------------------------------------------------------

    def credit_balance(self, client: int) -> int:
        return sum(lot.remaining for lot in self.lots if lot.client == client)

    def balance_due(self, client: int) -> int:
        return sum(b.balance_due for b in self.bills if b.client == client)

    def new_lot(self, client: int, source: str, amount: int, payment: int | None = None) -> int:
        self.lots.append(MLot(client, source, amount, amount, payment))
        return len(self.lots) - 1

    def sharers(self, client: int) -> list[int]:
        """The other members of the client's household when it shares credit."""
        h = self.household_of.get(client)
        if h is None or not self.households[h][1]:
            return []
        return [m for m in self.households[h][0] if m != client]

    def spendable_lots(self, client: int, shared: bool) -> list[int]:
        """Lots a bill of the client may spend (no package's): its own oldest first, then, when
        ``shared`` and its household shares credit, the other members' oldest first."""
        others = self.sharers(client) if shared else []
        own = [n for n, lot in enumerate(self.lots) if lot.spendable and lot.client == client]
        rest = [n for n, lot in enumerate(self.lots) if lot.spendable and lot.client in others]
        return own + rest

    def spendable(self, client: int, shared: bool = True) -> int:
        return sum(self.lots[n].remaining for n in self.spendable_lots(client, shared))

    def draw_oldest(self, client: int, amount: int, shared: bool = True) -> list[list[int]]:
        """Take ``amount`` from the lots a bill of the client may spend, in their order."""
        draws, left = [], amount
        for index in self.spendable_lots(client, shared):
            lot = self.lots[index]
            if left == 0:
                break
            if lot.remaining > 0:
                take = min(lot.remaining, left)
                lot.remaining -= take
                left -= take
                draws.append([index, take])
        assert left == 0
        return draws

    # packages -----------------------------------------------------------------------------------

    def used(self, k: int) -> int:
        """A package's sessions used: lines holding some of its lot, and lines removed holding some."""
        return sum(
            1
            for bill in self.bills
            for line in bill.lines
            if line.package == k and (line.held_when_removed if line.removed else line.amount) > 0
        )

    def left(self, k: int) -> int:
        package = self.packages[k]
        remaining = self.lots[package.lot].remaining
        return max(0, min(package.sessions - self.used(k), remaining // package.share))

    def return_to_lots(self, line: MLine, amount: int) -> None:
        """Credit going back from a line: to the lots it came from, the most recently drawn first."""
        left = amount
        for draw in reversed(line.draws):
            take = min(draw[1], left)
            draw[1] -= take
            self.lots[draw[0]].remaining += take
            left -= take
        assert left == 0

    def apply_credit_line(self, bill: MBill, amount: int, shared: bool = True) -> None:
        if amount > 0:
            draws = self.draw_oldest(bill.client, amount, shared)
            bill.lines.append(MLine("client_credit", amount, deduct=True, draws=draws))

    # steps ---------------------------------------------------------------------------------------

    def prepay(self, client: int, type: str, amount: int, refusing: bool = False) -> int:
        self.payments.append(MPayment(client, type, amount, credited=amount, refuses_refunds=refusing))
        self.new_lot(client, "prepayment", amount, len(self.payments) - 1)
        return len(self.payments) - 1

    def sell_package(
        self, client: int, sessions: int, price: int, service_code: str | None, type: str, amount: int | None
    ) -> int:
        paid = price if amount is None else amount
        if price < sessions or paid < price:
            raise Refused("validation_error")
        self.payments.append(MPayment(client, type, paid, credited=paid))
        p = len(self.payments) - 1
        lot = self.new_lot(client, "package", price, p)  # the package's lot first: rule 7 refunds it first
        if paid > price:
            self.new_lot(client, "overpayment", paid - price, p)
        self.packages.append(MPackage(client, sessions, price, service_code, lot, p))
        return p

    def household(self, members: list[int], share: bool) -> None:
        if any(m in self.household_of for m in members):
            raise Refused("already_in_household")
        self.households.append((members, share))
        for m in members:
            self.household_of[m] = len(self.households) - 1

    def add_member(self, h: int, client: int) -> None:
        if client in self.household_of:
            raise Refused("already_in_household")
        self.households[h][0].append(client)
        self.household_of[client] = h

    def manual_credit(self, client: int, amount: int) -> None:
        self.new_lot(client, "manual", amount)

    def remove_credit(self, lot: int, amount: int | None) -> None:
        target = self.lots[lot]
        amount = target.remaining if amount is None else amount
        if amount > target.remaining:
            raise Refused("insufficient_credit")
        target.remaining -= amount

    def create_bill(
        self,
        client: int,
        fees: list[int],
        apply: bool,
        appt_sids: list[str],
        codes: list[str] | None = None,
        statuses: list[tuple[str, int] | None] | None = None,
    ) -> None:
        """``statuses``: a session canceled or missed before it is billed, with the fee given (rule 6)."""
        c = self.clients[client]
        items = []
        for fee, sid, code, status in zip(
            fees, appt_sids, codes or [CODES[0]] * len(fees), statuses or [None] * len(fees), strict=True
        ):
            if status is not None:
                name, charged = status
                items.append(MItem(fee, charged, charged, 0, sid, service_code=code, status=name))
                continue
            share = min(c.copay or 0, fee) if c.billing == "insurance" else fee
            items.append(
                MItem(appt_fee=fee, fee=fee, client_resp=share, ins_resp=fee - share, appt_sid=sid, service_code=code)
            )
        bill = MBill(client, apply, items)
        self.bills.append(bill)
        if not apply:
            return
        for item in items:  # each session held draws one session of the oldest package covering it
            if item.status in CANCELED or item.client_resp <= 0:
                continue
            k = next(
                (
                    k
                    for k, pkg in enumerate(self.packages)
                    if pkg.client == client and self.left(k) > 0 and pkg.covers(item.service_code)
                ),
                None,
            )
            if k is None:
                continue
            package, lot = self.packages[k], self.lots[self.packages[k].lot]
            # Each session its share, the last session left the remainder's, never more than the lot
            # holds or the client owes for the session.
            share = package.share if self.left(k) >= 2 else package.last_share
            take = min(share, lot.remaining, item.client_resp)
            lot.remaining -= take
            bill.lines.append(MLine("client_credit", take, deduct=True, draws=[[package.lot, take]], package=k))
            if take < item.client_resp:
                bill.lines[-1].discount = len(bill.lines)
                bill.lines.append(MLine("client_credit", item.client_resp - take, deduct=False))
        self.apply_credit_line(bill, min(self.spendable(client), bill.balance_due))  # rule 2

    def pay(self, b: int, type: str, amount: int, deduct: bool | None, refusing: bool = False) -> None:
        bill = self.bills[b]
        if bill.void:
            raise Refused("bill_void")
        if type == "client_credit":  # rule 3
            if amount > bill.balance_due:
                raise Refused("exceeds_balance_due")
            if deduct and amount > self.spendable(bill.client):
                raise Refused("insufficient_credit")
            if deduct:
                self.apply_credit_line(bill, amount)
            else:
                bill.lines.append(MLine("client_credit", amount, deduct=False))
            return
        applied = min(amount, bill.balance_due)  # rule 4
        self.payments.append(
            MPayment(bill.client, type, amount, credited=amount - applied, bill=b, refuses_refunds=refusing)
        )
        p = len(self.payments) - 1
        self.payments[p].line = len(bill.lines)
        bill.lines.append(MLine(type, applied, payment=p))
        if amount > applied:
            self.new_lot(bill.client, "overpayment", amount - applied, p)

    def apply_credit(self, b: int, amount: int | None) -> None:
        """POST /bills/{id}/apply-credit: rule 3's credit payment, by default min(credit, due)."""
        bill = self.bills[b]
        if bill.void:
            raise Refused("bill_void")
        spendable = self.spendable(bill.client)
        if amount is None:
            if bill.balance_due <= 0:
                raise Refused("exceeds_balance_due")
            if spendable <= 0:
                raise Refused("insufficient_credit")
            amount = min(spendable, bill.balance_due)
        if amount > bill.balance_due:
            raise Refused("exceeds_balance_due")
        if amount > spendable:
            raise Refused("insufficient_credit")
        self.apply_credit_line(bill, amount)

    def refund_payment(self, p: int, amount: int | None) -> str:
        """Rule 7: the payment's own remaining credit first (oldest lot first), then its bill."""
        payment = self.payments[p]
        if payment.voided:
            raise Refused("payment_deleted")
        own = [lot for lot in self.lots if lot.payment == p and lot.remaining > 0]
        line = None
        if payment.bill is not None and payment.line is not None:
            line = self.bills[payment.bill].lines[payment.line]
        on_bill = line.amount if line is not None else 0
        limit = max(0, min(payment.captured - payment.refunded, sum(lot.remaining for lot in own) + on_bill))
        amount = limit if amount is None else amount
        if amount == 0 or amount > limit:
            raise Refused("exceeds_refundable")
        if payment.refuses_refunds:  # v1.1: a refused refund is failed and puts everything back
            return "failed"
        left = amount
        for lot in own:
            take = min(lot.remaining, left)
            lot.remaining -= take
            left -= take
        if left:
            assert line is not None
            line.amount -= left
        payment.refunded += amount
        payment.refunds += 1
        return "settled"

    def refund_line(self, b: int, n: int, amount: int | None) -> str | None:
        line = self.bills[b].lines[n]
        if line.removed:  # the contract is silent; a removed line takes no more actions
            raise Refused("not_found")
        if not line.is_credit:
            assert line.payment is not None
            return self.refund_payment(line.payment, amount)  # rule 7: the refund action on its line
        take = line.amount if amount is None else amount  # rule 8
        if take == 0 or take > line.amount:
            raise Refused("exceeds_refundable")
        if line.deduct:
            self.return_to_lots(line, take)
        if line.package is not None and take == line.amount and line.discount is not None:
            discount = self.bills[b].lines[line.discount]  # the session goes back, its discount off the bill
            if not discount.removed:
                discount.amount = 0
        line.amount -= take
        return None

    def delete_line(self, b: int, n: int) -> None:
        line = self.bills[b].lines[n]
        if line.removed:
            raise Refused("not_found")
        if line.type == "card":
            raise Refused("use_refund")
        if line.is_credit:  # the credit is gone for good (a package's session with it)
            line.held_when_removed = line.amount
            line.amount, line.removed = 0, True
            return
        assert line.payment is not None
        payment = self.payments[line.payment]
        lots = [lot for lot in self.lots if lot.payment == line.payment]
        # Rule 8: not when credit it created was spent. The contract is silent on a payment that
        # was partly refunded; the service refuses that too (it is no longer "recorded in error").
        if payment.refunds or any(lot.remaining != lot.amount for lot in lots):
            raise Refused("credit_already_used")
        for lot in lots:
            lot.remaining = 0
        line.amount, line.removed = 0, True
        payment.voided = True

    def free(self, bill: MBill, excess: int, source: str, disposition: str) -> None:
        """Rules 5 and 6: credit lines first (back to their lots; a discount only shrinks), then
        card/cash/check lines, newest first, into a lot with that payment as provenance or back to it."""
        order = [ln for ln in reversed(bill.lines) if ln.is_credit] + [
            ln for ln in reversed(bill.lines) if not ln.is_credit
        ]
        left = excess
        for line in order:
            take = min(line.amount, left)
            if take == 0:
                continue
            left -= take
            if line.is_credit:
                if line.deduct:
                    self.return_to_lots(line, take)
                line.amount -= take
                continue
            assert line.payment is not None
            payment = self.payments[line.payment]
            line.amount -= take
            if disposition == "credit" or payment.refuses_refunds:
                # A refused refund cannot go back onto a bill that no longer bills it: the money
                # stays the client's as credit from that payment (the refund is listed as failed).
                self.new_lot(bill.client, source, take, line.payment)
                payment.credited += take
            else:
                payment.refunded += take
                payment.refunds += 1
        assert left == 0

    def change_responsibility(self, bill: MBill, old: int, source: str, disposition: str = "credit") -> None:
        new = bill.client_resp
        if new < old:
            self.free(bill, max(0, bill.client_paid - new), source, disposition)
        elif new > old and bill.apply_credit:  # rule 2's rise (Clarifications: any rise)
            # Only the client's own credit (no package's, no household's).
            rise = min(self.spendable(bill.client, shared=False), new - old, max(bill.balance_due, 0))
            self.apply_credit_line(bill, rise, shared=False)

    def set_status(self, b: int, i: int, status: str, fee: int, disposition: str) -> None:
        bill = self.bills[b]
        item = bill.items[i]
        if item.posted or item.ins_paid:
            raise Refused("insurance_paid")
        old = bill.client_resp
        c = self.clients[bill.client]
        item.status = status
        if status in CANCELED:  # rule 6: only the fee given, the client's alone
            item.fee, item.client_resp, item.ins_resp = fee, fee, 0
        else:
            item.fee = item.appt_fee
            item.client_resp = min(c.copay or 0, item.fee) if c.billing == "insurance" else item.fee
            item.ins_resp = item.fee - item.client_resp
        source = "no_show" if status == "no_show" else "cancellation"
        self.change_responsibility(bill, old, source, disposition)

    def insurance_payment(self, b: int, i: int, paid: int, patient: int) -> None:
        bill = self.bills[b]
        item = bill.items[i]
        old = bill.client_resp
        item.client_resp, item.ins_resp, item.ins_paid, item.posted = patient, item.fee - patient, paid, True
        self.change_responsibility(bill, old, "insurance_adjustment")  # rule 5


# --- the machine -----------------------------------------------------------------------------------


@dataclass
class Counter:
    steps: int = 0
    runs: int = 0
    refused: int = 0
    codes: dict[str, int] = field(default_factory=dict)  # refusals by error code
    reached: dict[str, int] = field(default_factory=dict)  # steps that touched packages or households

    def saw(self, what: str) -> None:
        self.reached[what] = self.reached.get(what, 0) + 1


def make_machine(ledger: Ledger, counter: Counter) -> type[RuleBasedStateMachine]:

    class MoneyMachine(RuleBasedStateMachine):
        def __init__(self) -> None:
            super().__init__()
            # Every run starts from two new clients: what the rules touch is per client, and a new
            # practice per run would spend most of the time hashing its owner's password.
            self.ledger = ledger
            self.model = Model()
            self.steps_since_verify = 0
            self.household_sids: list[str] = []
            self.household_tries = 0
            counter.runs += 1

        # driving ------------------------------------------------------------------------------

        def step(self, model_step: Callable[[], Any], service_step: Callable[[], T]) -> T | None:
            """Run the step on the model, then the service: the same outcome, or the test fails."""
            counter.steps += 1
            self.steps_since_verify += 1
            self.model_said: Any = None
            frame = sys._getframe(1)
            while frame.f_code.co_name in HELPERS and frame.f_back is not None:
                frame = frame.f_back
            rule_name, before = frame.f_code.co_name, self.reach()
            try:
                self.model_said = model_step()
                expected = None
            except Refused as refusal:
                expected = refusal.code
            try:
                result = service_step()
            except ClientLedgerError as exc:
                assert exc.code == expected, f"service refused with {exc.code} ({exc.message}); model: {expected}"
                counter.refused += 1
                counter.codes[exc.code] = counter.codes.get(exc.code, 0) + 1
                return None
            assert expected is None, f"service succeeded; model expected {expected}"
            for what, was, now in zip(REACH, before, self.reach(), strict=True):
                if was != now:
                    counter.saw(f"{rule_name}: {what}")
            return result

        def reach(self) -> tuple[object, ...]:
            """What a step may change that CI should be seen to reach (see REACH)."""
            model = self.model
            shared = [
                amount
                for bill in model.bills
                for line in bill.lines
                for lot, amount in line.draws
                if model.lots[lot].client != bill.client
            ]
            return (
                [model.lots[pkg.lot].remaining for pkg in model.packages],
                sum(model.used(k) for k in range(len(model.packages))),
                sum(line.removed for bill in model.bills for line in bill.lines if line.package is not None),
                [
                    bill.lines[line.discount].amount
                    for bill in model.bills
                    for line in bill.lines
                    if line.discount is not None
                ],
                shared,
                sum(len(members) for members, _ in model.households),
            )

        @initialize(
            copay=st.sampled_from([0, 2000, 3500]),
            packages=st.lists(st.tuples(CLIENT, st.integers(1, 6), fees, st.sampled_from(PACKAGE_CODES)), max_size=2),
            household=st.none() | st.tuples(st.lists(CLIENT, min_size=2, max_size=3, unique=True), st.booleans()),
        )
        def clients(
            self,
            copay: int,
            packages: list[tuple[int, int, int, str | None]],
            household: tuple[list[int], bool] | None,
        ) -> None:
            """Three clients (two self-pay, one insured); some runs start with packages sold, or a
            household, so that a short run reaches the bills that use them."""
            for billing, name in (("self_pay", "Sam Self"), ("insurance", "Ines Insured"), ("self_pay", "Rosa Self")):
                client = self.ledger.client(name, billing=billing, copay=copay if billing == "insurance" else None)
                self.model.clients.append(MClient(billing, client.copay, client.id))
            for owner, sessions, share, code in packages:
                self.sell(owner, sessions, sessions * share, code, "cash", None)
            if household is not None:
                self.form_household(*household)

        def lots_with_remaining(self) -> list[int]:
            return [n for n, lot in enumerate(self.model.lots) if lot.remaining > 0]

        # credit ---------------------------------------------------------------------------------

        @rule(client=CLIENT, type=st.sampled_from([*MONEY, "refusing_card"]), amount=amounts)
        def prepay(self, client: int, type: str, amount: int) -> None:
            before = len(self.model.payments)
            kind, method = ("card", REFUSING_CARD) if type == "refusing_card" else (type, None)
            payment = self.step(
                lambda: self.model.prepay(client, kind, amount, refusing=method is not None),
                lambda: self.ledger.prepay(self.model.clients[client].sid, kind, amount, payment_method=method),
            )
            assert payment is not None
            self.model.payments[before].sid = payment.id

        @rule(client=CLIENT, amount=amounts)
        def manual_credit(self, client: int, amount: int) -> None:
            self.step(
                lambda: self.model.manual_credit(client, amount),
                lambda: self.ledger.manual_credit(self.model.clients[client].sid, amount),
            )

        @precondition(lambda self: len(self.model.packages) < 4)
        @rule(
            client=CLIENT,
            sessions=st.integers(1, 6),
            share=st.integers(1, 20000),
            odd=st.integers(0, 5),
            code=st.sampled_from(PACKAGE_CODES),
            type=st.sampled_from(MONEY),
            paid=st.sampled_from(["price", "price", "exact", "over", "under", "cheap"]),
            extra=amounts,
        )
        def sell_package(
            self, client: int, sessions: int, share: int, odd: int, code: str | None, type: str, paid: str, extra: int
        ) -> None:
            """A package of ``sessions`` (a price not always a multiple of them), paid its price, more,
            or (refused) less; ``cheap`` asks a price below a cent a session (refused)."""
            cheap = paid == "cheap" and sessions > 1
            price = 1 + odd % (sessions - 1) if cheap else sessions * share + odd % sessions
            under = 1 + extra % (price - 1) if price > 1 else None
            amount = {"price": None, "cheap": None, "exact": price, "over": price + extra, "under": under}[paid]
            self.sell(client, sessions, price, code, type, amount)

        def sell(self, client: int, sessions: int, price: int, code: str | None, type: str, amount: int | None) -> None:
            before = len(self.model.packages)
            package = self.step(
                lambda: self.model.sell_package(client, sessions, price, code, type, amount),
                lambda: self.ledger.sell_package(
                    self.model.clients[client].sid,
                    sessions=sessions,
                    price=price,
                    service_code=code,
                    type=type,
                    amount=amount,
                    name=f"{sessions} sessions",
                ),
            )
            if package is not None:
                assert len(self.model.packages) == before + 1
                self.model.packages[before].sid = package.id
                self.model.payments[self.model.packages[before].payment].sid = package.payment_id

        @precondition(lambda self: self.household_tries < 2)  # the second one finds a member taken (409)
        @rule(members=st.lists(CLIENT, min_size=2, max_size=3, unique=True), share=st.booleans())
        def household(self, members: list[int], share: bool) -> None:
            self.household_tries += 1
            self.form_household(members, share)

        def form_household(self, members: list[int], share: bool) -> None:
            home = self.step(
                lambda: self.model.household(members, share),
                lambda: self.ledger.household([self.model.clients[m].sid for m in members], share_credit=share),
            )
            if home is not None:
                self.household_sids.append(home.id)

        @precondition(lambda self: self.household_sids and self.household_tries < 3)
        @rule(which=pick, client=CLIENT)
        def add_member(self, which: int, client: int) -> None:
            self.household_tries += 1
            h = which % len(self.household_sids)
            self.step(
                lambda: self.model.add_member(h, client),
                lambda: self.ledger.do(
                    households.add_member,
                    household_id=self.household_sids[h],
                    data=MemberAdd(client_id=self.model.clients[client].sid),
                ),
            )

        @precondition(lambda self: any(lot.remaining > 0 for lot in self.model.lots))
        @rule(which=pick, how=st.sampled_from(["all", "part", "more"]), amount=amounts)
        def remove_credit(self, which: int, how: str, amount: int) -> None:
            choices = self.lots_with_remaining()
            n = choices[which % len(choices)]
            lot = self.model.lots[n]
            asked = {"all": None, "part": 1 + amount % lot.remaining, "more": lot.remaining + amount}[how]
            assert lot.sid is not None
            client_sid = self.model.clients[lot.client].sid
            self.step(
                lambda: self.model.remove_credit(n, asked),
                lambda: self.ledger.remove_credit(client_sid, str(lot.sid), asked),
            )

        # bills and payments -----------------------------------------------------------------------

        @precondition(lambda self: len(self.model.bills) < 6)
        @rule(
            client=CLIENT,
            sessions=st.lists(st.tuples(fees, st.sampled_from(CODES)), min_size=1, max_size=2),
            apply=st.sampled_from([True, False, None]),
            before=st.sampled_from([None, None, None, None, ("no_show", 100), ("late_canceled", 50), ("canceled", 0)]),
        )
        def create_bill(
            self, client: int, sessions: list[tuple[int, str]], apply: bool | None, before: tuple[str, int] | None
        ) -> None:
            self.bill(client, sessions, apply, [before, *[None] * (len(sessions) - 1)])

        @precondition(lambda self: self.model.packages and len(self.model.bills) < 6)
        @rule(
            which=pick,
            fees=st.lists(fees, min_size=1, max_size=2),
            code=st.sampled_from(CODES),
            before=st.sampled_from([None, None, None, ("no_show", 100), ("canceled", 0)]),
        )
        def bill_a_package_client(self, which: int, fees: list[int], code: str, before: tuple[str, int] | None) -> None:
            """Sessions of a package's client, of its code when it names one of the sessions' (the
            first sometimes missed or canceled before it is billed: the next one draws the package)."""
            package = self.model.packages[which % len(self.model.packages)]
            code = package.service_code if package.service_code in CODES else code
            self.bill(package.client, [(fee, str(code)) for fee in fees], True, [before, *[None] * (len(fees) - 1)])

        @precondition(lambda self: any(share for _, share in self.model.households) and len(self.model.bills) < 6)
        @rule(which=pick, extra=fees, code=st.sampled_from(CODES))
        def bill_a_household_member(self, which: int, extra: int, code: str) -> None:
            """A member's session costing more than the member's own credit."""
            members = [m for members, share in self.model.households if share for m in members]
            client = members[which % len(members)]
            self.bill(client, [(self.model.spendable(client, shared=False) + extra, code)], None)

        def bill(
            self,
            client: int,
            sessions: list[tuple[int, str]],
            apply: bool | None,
            before: list[tuple[str, int] | None] | None = None,
        ) -> None:
            """Bill new sessions; ``before``: a status (and the share of the fee it bills, in percent)
            set on a session before it is billed."""
            sid = self.model.clients[client].sid
            fees, codes = [fee for fee, _ in sessions], [code for _, code in sessions]
            appts = [self.ledger.appointment(sid, fee=fee, service_code=code).id for fee, code in sessions]
            statuses: list[tuple[str, int] | None] = []
            for appt, fee, status in zip(appts, fees, before or [None] * len(appts), strict=True):
                statuses.append(None if status is None else (status[0], fee * status[1] // 100))
                if status is not None:
                    self.ledger.set_status(appt, status[0], fee=fee * status[1] // 100)
            bill = self.step(
                lambda: self.model.create_bill(client, fees, apply is not False, appts, codes, statuses),
                lambda: self.ledger.bill(sid, appts, apply_credit=apply),
            )
            assert bill is not None
            self.model.bills[-1].sid = bill.id

        @precondition(lambda self: self.model.bills)
        @rule(
            which=pick,
            type=st.sampled_from([*MONEY, "refusing_card", "client_credit", "discount"]),
            how=st.sampled_from(["due", "part", "over", "any"]),
            amount=amounts,
        )
        def pay(self, which: int, type: str, how: str, amount: int) -> None:
            b = which % len(self.model.bills)
            bill = self.model.bills[b]
            due = bill.balance_due
            asked = {"due": due, "part": 1 + amount % max(due, 1), "over": due + amount, "any": amount}[how] or amount
            kind = {"discount": "client_credit", "refusing_card": "card"}.get(type, type)
            deduct = None if kind != "client_credit" else type == "client_credit"
            method = REFUSING_CARD if type == "refusing_card" else None
            before = len(self.model.payments)
            line = self.step(
                lambda: self.model.pay(b, kind, asked, deduct, refusing=method is not None),
                lambda: self.ledger.pay(bill.sid, kind, asked, deduct=deduct, payment_method=method),
            )
            if line is not None and line.payment_id is not None:
                assert len(self.model.payments) == before + 1
                self.model.payments[before].sid = line.payment_id

        @precondition(lambda self: self.model.bills)
        @rule(which=pick, how=st.sampled_from(["default", "due", "part", "more"]), amount=amounts)
        def apply_credit(self, which: int, how: str, amount: int) -> None:
            b = which % len(self.model.bills)
            bill = self.model.bills[b]
            due = max(bill.balance_due, 0)
            asked = {"default": None, "due": due or amount, "part": 1 + amount % max(due, 1), "more": due + amount}[how]
            self.step(
                lambda: self.model.apply_credit(b, asked),
                lambda: self.ledger.do(billing_service.apply_credit_to_bill, bill_id=bill.sid, amount=asked),
            )

        @precondition(lambda self: any(p.sid for p in self.model.payments))
        @rule(which=pick, how=st.sampled_from(["all", "part", "more"]), amount=amounts)
        def refund_payment(self, which: int, how: str, amount: int) -> None:
            p = which % len(self.model.payments)
            payment = self.model.payments[p]
            left = payment.captured - payment.refunded
            asked = {"all": None, "part": 1 + amount % max(left, 1), "more": left + amount}[how]
            refund = self.step(
                lambda: self.model.refund_payment(p, asked), lambda: self.ledger.refund(payment.sid, asked)
            )
            if refund is not None:
                assert refund.status == self.model_said  # settled, or failed when the bank refuses

        def some_line(self, which: int, *, live: bool = False) -> tuple[int, int] | None:
            lines = [
                (b, n)
                for b, bill in enumerate(self.model.bills)
                for n, line in enumerate(bill.lines)
                if not (live and line.removed)
            ]
            return lines[which % len(lines)] if lines else None

        @precondition(lambda self: any(b.lines for b in self.model.bills))
        @rule(which=pick, how=st.sampled_from(["all", "part", "more"]), amount=amounts)
        def refund_line(self, which: int, how: str, amount: int) -> None:
            found = self.some_line(which)
            assert found is not None
            b, n = found
            bill, line = self.model.bills[b], self.model.bills[b].lines[n]
            asked = {"all": None, "part": 1 + amount % max(line.amount, 1), "more": line.amount + amount}[how]
            answer = self.step(
                lambda: self.model.refund_line(b, n, asked),
                lambda: self.ledger.refund_line(bill.sid, str(line.sid), asked),
            )
            if answer is not None and self.model_said is not None:
                assert answer.last_refund is not None and answer.last_refund.status == self.model_said

        @precondition(lambda self: any(b.lines for b in self.model.bills))
        @rule(which=pick, live=st.booleans())
        def delete_line(self, which: int, live: bool) -> None:
            found = self.some_line(which, live=live and any(not ln.removed for b in self.model.bills for ln in b.lines))
            assert found is not None
            b, n = found
            bill, line = self.model.bills[b], self.model.bills[b].lines[n]
            self.step(lambda: self.model.delete_line(b, n), lambda: self.ledger.delete_line(bill.sid, str(line.sid)))

        # sessions that do not happen (rule 6) -------------------------------------------------------

        @precondition(lambda self: self.model.bills)
        @rule(
            which=pick,
            status=st.sampled_from([*CANCELED, "attended"]),
            fee_share=st.sampled_from([0, 0, 25, 50, 100]),
            disposition=st.sampled_from(["credit", "refund"]),
        )
        def set_status(self, which: int, status: str, fee_share: int, disposition: str) -> None:
            items = [(b, i) for b, bill in enumerate(self.model.bills) for i in range(len(bill.items))]
            b, i = items[which % len(items)]
            item = self.model.bills[b].items[i]
            if status == "attended" and item.status == "attended":
                status = "no_show"
            fee = item.appt_fee * fee_share // 100 if status != "attended" else 0
            self.step(
                lambda: self.model.set_status(b, i, status, fee, disposition),
                lambda: self.ledger.set_status(item.appt_sid, status, fee=fee, disposition=disposition),
            )

        # insurance (rule 5) ---------------------------------------------------------------------------

        @precondition(
            lambda self: any(
                self.model.clients[b.client].billing == "insurance"
                and any(i.status == "attended" and not i.posted for i in b.items)
                for b in self.model.bills
            )
        )
        @rule(which=pick, patient=st.sampled_from(["same", "none", "less", "more"]), split=st.integers(0, 100))
        def insurance_payment(self, which: int, patient: str, split: int) -> None:
            items = [
                (b, i)
                for b, bill in enumerate(self.model.bills)
                if self.model.clients[bill.client].billing == "insurance"
                for i, item in enumerate(bill.items)
                if item.status == "attended" and not item.posted
            ]
            b, i = items[which % len(items)]
            bill, item = self.model.bills[b], self.model.bills[b].items[i]
            pr = {
                "same": item.client_resp,
                "none": 0,
                "less": item.client_resp // 2,
                "more": min(item.fee, item.client_resp + 1 + split * item.fee // 100),
            }[patient]
            paid = (item.fee - pr) * split // 100
            contractual = item.fee - pr - paid
            self.step(
                lambda: self.model.insurance_payment(b, i, paid, pr),
                lambda: self.ledger.insurance_payment(
                    bill.sid,
                    self.ledger.get_bill(bill.sid).items[i].id,
                    payer="Aetna",
                    paid=paid,
                    patient_responsibility=pr,
                    adjustments=[("CO", "45", contractual)] if contractual else [],
                ),
            )

        # the comparison ------------------------------------------------------------------------------

        @invariant()
        def same_as_the_model(self) -> None:
            if not self.model.clients:
                return
            model = self.model
            pay_sid = {n: p.sid for n, p in enumerate(model.payments)}
            for c, client in enumerate(model.clients):
                credits = self.ledger.credits(client.sid)
                lots = sorted(credits.lots, key=lambda lot: lot.id)  # ids grow with time: oldest first
                mine = [lot for lot in model.lots if lot.client == c]
                assert len(lots) == len(mine), f"client {c}: lots {[(x.source, x.amount) for x in lots]}"
                for want, have in zip(mine, lots, strict=True):
                    want.sid = want.sid or have.id
                    assert want.sid == have.id
                    assert (have.source, have.amount, have.remaining) == (want.source, want.amount, want.remaining), (
                        f"lot {have.id}"
                    )
                    assert have.payment_id == (pay_sid[want.payment] if want.payment is not None else None)
                assert credits.balance == model.credit_balance(c) >= 0  # rule 1
                read = self.ledger.get_client(client.sid)
                assert (read.credit_balance, read.balance_due) == (model.credit_balance(c), model.balance_due(c))
                mine_packages = [(k, pkg) for k, pkg in enumerate(model.packages) if pkg.client == c]
                have_packages = self.ledger.packages(client.sid)  # oldest first
                assert [pkg.id for pkg in have_packages] == [pkg.sid for _, pkg in mine_packages]
                for (k, want_package), have_package in zip(mine_packages, have_packages, strict=True):
                    lot = model.lots[want_package.lot]
                    got_package = (
                        have_package.lot_id,
                        have_package.sessions_used,
                        have_package.sessions_remaining,
                        have_package.lot_remaining,
                    )
                    assert got_package == (lot.sid, model.used(k), model.left(k), lot.remaining), (
                        f"package {k}: (lot, used, left, lot remaining) {got_package}"
                    )
                    paid = model.payments[want_package.payment]
                    assert have_package.payment_id == paid.sid
                    have_paid = self.ledger.get_payment(paid.sid)
                    assert (have_paid.captured, have_paid.credited, have_paid.refunded) == (
                        paid.captured,
                        paid.credited,
                        paid.refunded,
                    ), f"package {k}: its payment"
                    assert have_paid.lot_ids == [str(x.sid) for x in model.lots if x.payment == want_package.payment]
            for h, sid in enumerate(self.household_sids):
                home = self.ledger.look(households.get_household, household_id=sid)
                members, share = model.households[h]
                assert sorted(m.client_id for m in home.members) == sorted(model.clients[m].sid for m in members)
                shared = sum(lot.remaining for lot in model.lots if lot.spendable and lot.client in members)
                assert (home.share_credit, home.shared_credit) == (share, shared if share else 0)
            lot_sid = {n: lot.sid for n, lot in enumerate(model.lots)}
            for b, bill in enumerate(model.bills):
                have_bill = self.ledger.get_bill(bill.sid)
                got = (have_bill.client_responsibility, have_bill.client_paid, have_bill.balance_due)
                assert got == (bill.client_resp, bill.client_paid, bill.balance_due), f"bill {b}"
                items = [
                    (i.fee, i.client_responsibility, i.insurance_responsibility, i.insurance_paid)
                    for i in have_bill.items
                ]
                assert items == [(i.fee, i.client_resp, i.ins_resp, i.ins_paid) for i in bill.items], f"bill {b}"
                assert have_bill.status == bill.status, (
                    f"bill {b}: status {have_bill.status}, model {bill.status} (due {bill.balance_due}, "
                    f"client part {bill.client_resp}, insurance due {bill.insurance_due})"
                )
                lines = sorted(have_bill.lines, key=lambda ln: ln.id)
                assert len(lines) == len(bill.lines), f"bill {b}: lines {[(x.type, x.amount) for x in lines]}"
                for want_line, line in zip(bill.lines, lines, strict=True):
                    want_line.sid = want_line.sid or line.id
                    assert want_line.sid == line.id
                    assert (line.type, line.amount, line.removed_at is not None) == (
                        want_line.type,
                        want_line.amount,
                        want_line.removed,
                    ), f"bill {b} line {line.id}"
                    if want_line.is_credit:
                        assert line.deduct_from_credit_balance == want_line.deduct
                        held = {lot_sid[lot]: amount for lot, amount in want_line.draws if amount}
                        assert {d.lot_id: d.amount for d in line.lots or [] if d.amount} == held, f"line {line.id}"
                        owners = {lot_sid[lot]: model.clients[model.lots[lot].client].sid for lot, _ in want_line.draws}
                        assert all(d.client_id == owners[d.lot_id] for d in line.lots or [] if d.amount), (
                            f"line {line.id}: lot owners"
                        )
                    else:
                        assert want_line.payment is not None
                        p = model.payments[want_line.payment]
                        assert line.payment_id == p.sid
                        assert (line.captured, line.credited, line.refunded) == (p.captured, p.credited, p.refunded)
            if self.steps_since_verify >= VERIFY_EVERY:
                self.check_books()

        def check_books(self) -> None:
            self.steps_since_verify = 0
            assert self.ledger.verify() == []

        def teardown(self) -> None:
            if self.model.clients:
                self.check_books()

    return MoneyMachine


# --- the tests -------------------------------------------------------------------------------------


def _settings(examples: int, steps: int) -> settings:
    fresh: dict[str, Any] = {"database": None} if SOAK else {}  # soak: new examples, not the saved ones
    return settings(
        max_examples=examples,
        stateful_step_count=steps,
        deadline=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.filter_too_much],
        **fresh,
    )


def _run(db: Database, database_url: str) -> None:
    counter = Counter()
    started = time.monotonic()
    machine = make_machine(Ledger(db, new_practice(db)), counter)
    try:
        if not SOAK:
            run_state_machine_as_test(machine, settings=_settings(CI_EXAMPLES, CI_STEPS))
            return
        # Soak: fresh random machines, longer ones, until the time is up (each run is bounded).
        while time.monotonic() - started < SOAK_SECONDS:
            run_state_machine_as_test(machine, settings=_settings(SOAK_EXAMPLES, SOAK_STEPS))
    finally:
        print(  # shown with -rP (make soak), also under xdist
            f"money state machine ({'soak' if SOAK else 'CI'}, {database_url.split(':', 1)[0]}): "
            f"{counter.steps} steps in {counter.runs} runs ({counter.refused} refused as the model said) "
            f"in {time.monotonic() - started:.1f}s; refused: {counter.codes}; reached: {counter.reached}"
        )


def test_the_service_follows_the_money_rules_step_by_step(db: Database, database_url: str) -> None:
    _run(db, database_url)


def test_credit_given_back_by_a_household_line_goes_to_the_lot_drawn_last(db: Database) -> None:
    """A case the machine found, kept as it is: a member's bill draws the member's own lot, then
    another member's older one; the credit a partial refund of that line gives back goes to the
    other member's lot (drawn last), not to the newest lot (Clarifications: the most recently drawn
    first)."""
    state: Any = make_machine(Ledger(db, new_practice(db)), Counter())()
    state.clients(copay=0, packages=[], household=None)
    state.prepay(client=0, type="cash", amount=100)  # Sam's lot, the older one
    state.manual_credit(client=2, amount=100)  # Rosa's own lot
    state.household(members=[0, 2], share=True)
    state.same_as_the_model()
    state.create_bill(client=2, sessions=[(200, CODES[0])], apply=None, before=None)  # Rosa's 100, then Sam's
    state.same_as_the_model()
    state.refund_line(which=0, how="part", amount=99)  # 100 of the line's 200 back: to Sam's lot
    state.same_as_the_model()
    state.teardown()
