"""The money rules, step by step, against a second implementation of them.

A Hypothesis state machine does what staff do (prepay, add and remove credit, bill sessions with or
without credit, pay, refund, remove lines, cancel sessions, post insurance) through the use cases, as
the API does (``tests.factories.Ledger`` runs each through ``service_layer.Runner``). ``Model`` below
is an independent reading of API.md "Money rules" 1-9 and "Clarifications" in plain Python: it does
not import ``clientledger.rules``, so a rule the service gets wrong is not also wrong here. Each
step's outcome (success, or the exact error code) comes from the model and must be the service's;
after each step every client's credit balance and balance due, every lot, every bill (status,
responsibility, paid, due, items) and every payment line (amount, captured, credited, refunded, the
lots it drew from) must be the model's; ``verify`` recomputes the books from the journal.

CI runs a few short machines per database; ``make soak`` (``CLIENTLEDGER_SOAK=1``) runs long ones
for ``CLIENTLEDGER_SOAK_SECONDS`` per database. Both print how many steps they ran.
"""

from __future__ import annotations

import os
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

from clientledger.db import Database
from clientledger.kit.errors import ClientLedgerError
from tests.factories import Ledger, new_practice

T = TypeVar("T")

SOAK = os.environ.get("CLIENTLEDGER_SOAK", "") == "1"
SOAK_SECONDS = float(os.environ.get("CLIENTLEDGER_SOAK_SECONDS", "540"))  # per database
CI_EXAMPLES, CI_STEPS = 12, 25
SOAK_EXAMPLES, SOAK_STEPS = 4, 80  # per round; rounds repeat until SOAK_SECONDS have passed
VERIFY_EVERY = 10  # steps between two full ``verify`` runs (and always at the end of a run)

MONEY = ("card", "cash", "check")
REFUSING_CARD = "pm_card_refundFail"  # the simulated processor charges it and refuses every refund of it
CANCELED = ("canceled", "late_canceled", "no_show")

amounts = st.integers(min_value=1, max_value=30000)
fees = st.integers(min_value=1, max_value=20000)
pick = st.integers(min_value=0, max_value=10**6)  # an index, taken modulo the length of a list


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

    # credit (rules 1-3) ------------------------------------------------------------------------

    def credit_balance(self, client: int) -> int:
        return sum(lot.remaining for lot in self.lots if lot.client == client)

    def balance_due(self, client: int) -> int:
        return sum(b.balance_due for b in self.bills if b.client == client)

    def new_lot(self, client: int, source: str, amount: int, payment: int | None = None) -> None:
        self.lots.append(MLot(client, source, amount, amount, payment))

    def draw_oldest(self, client: int, amount: int) -> list[list[int]]:
        """Take ``amount`` from the client's lots, oldest first."""
        draws, left = [], amount
        for index, lot in enumerate(self.lots):
            if left == 0:
                break
            if lot.client == client and lot.remaining > 0:
                take = min(lot.remaining, left)
                lot.remaining -= take
                left -= take
                draws.append([index, take])
        assert left == 0
        return draws

    def return_to_lots(self, line: MLine, amount: int) -> None:
        """Credit going back from a line: to the lots it came from, the most recently drawn first."""
        left = amount
        for draw in reversed(line.draws):
            take = min(draw[1], left)
            draw[1] -= take
            self.lots[draw[0]].remaining += take
            left -= take
        assert left == 0

    def apply_credit_line(self, bill: MBill, amount: int) -> None:
        if amount > 0:
            draws = self.draw_oldest(bill.client, amount)
            bill.lines.append(MLine("client_credit", amount, deduct=True, draws=draws))

    # steps ---------------------------------------------------------------------------------------

    def prepay(self, client: int, type: str, amount: int, refusing: bool = False) -> int:
        self.payments.append(MPayment(client, type, amount, credited=amount, refuses_refunds=refusing))
        self.new_lot(client, "prepayment", amount, len(self.payments) - 1)
        return len(self.payments) - 1

    def manual_credit(self, client: int, amount: int) -> None:
        self.new_lot(client, "manual", amount)

    def remove_credit(self, lot: int, amount: int | None) -> None:
        target = self.lots[lot]
        amount = target.remaining if amount is None else amount
        if amount > target.remaining:
            raise Refused("insufficient_credit")
        target.remaining -= amount

    def create_bill(self, client: int, fees: list[int], apply: bool, appt_sids: list[str]) -> None:
        c = self.clients[client]
        items = []
        for fee, sid in zip(fees, appt_sids, strict=True):
            share = min(c.copay or 0, fee) if c.billing == "insurance" else fee
            items.append(MItem(appt_fee=fee, fee=fee, client_resp=share, ins_resp=fee - share, appt_sid=sid))
        bill = MBill(client, apply, items)
        self.bills.append(bill)
        if apply:  # rule 2
            self.apply_credit_line(bill, min(self.credit_balance(client), bill.balance_due))

    def pay(self, b: int, type: str, amount: int, deduct: bool | None, refusing: bool = False) -> None:
        bill = self.bills[b]
        if bill.void:
            raise Refused("bill_void")
        if type == "client_credit":  # rule 3
            if amount > bill.balance_due:
                raise Refused("exceeds_balance_due")
            if deduct and amount > self.credit_balance(bill.client):
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
        line.amount -= take
        return None

    def delete_line(self, b: int, n: int) -> None:
        line = self.bills[b].lines[n]
        if line.removed:
            raise Refused("not_found")
        if line.type == "card":
            raise Refused("use_refund")
        if line.is_credit:  # the credit is gone for good
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
            self.apply_credit_line(bill, min(self.credit_balance(bill.client), new - old, max(bill.balance_due, 0)))

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


def make_machine(ledger: Ledger, counter: Counter) -> type[RuleBasedStateMachine]:

    class MoneyMachine(RuleBasedStateMachine):
        def __init__(self) -> None:
            super().__init__()
            # Every run starts from two new clients: what the rules touch is per client, and a new
            # practice per run would spend most of the time hashing its owner's password.
            self.ledger = ledger
            self.model = Model()
            self.steps_since_verify = 0
            counter.runs += 1

        # driving ------------------------------------------------------------------------------

        def step(self, model_step: Callable[[], Any], service_step: Callable[[], T]) -> T | None:
            """Run the step on the model, then the service: the same outcome, or the test fails."""
            counter.steps += 1
            self.steps_since_verify += 1
            self.model_said: Any = None
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
                return None
            assert expected is None, f"service succeeded; model expected {expected}"
            return result

        @initialize(copay=st.sampled_from([0, 2000, 3500]))
        def clients(self, copay: int) -> None:
            for billing, name in (("self_pay", "Sam Self"), ("insurance", "Ines Insured")):
                client = self.ledger.client(name, billing=billing, copay=copay if billing == "insurance" else None)
                self.model.clients.append(MClient(billing, client.copay, client.id))

        def lots_with_remaining(self) -> list[int]:
            return [n for n, lot in enumerate(self.model.lots) if lot.remaining > 0]

        # credit ---------------------------------------------------------------------------------

        @rule(client=st.integers(0, 1), type=st.sampled_from([*MONEY, "refusing_card"]), amount=amounts)
        def prepay(self, client: int, type: str, amount: int) -> None:
            before = len(self.model.payments)
            kind, method = ("card", REFUSING_CARD) if type == "refusing_card" else (type, None)
            payment = self.step(
                lambda: self.model.prepay(client, kind, amount, refusing=method is not None),
                lambda: self.ledger.prepay(self.model.clients[client].sid, kind, amount, payment_method=method),
            )
            assert payment is not None
            self.model.payments[before].sid = payment.id

        @rule(client=st.integers(0, 1), amount=amounts)
        def manual_credit(self, client: int, amount: int) -> None:
            self.step(
                lambda: self.model.manual_credit(client, amount),
                lambda: self.ledger.manual_credit(self.model.clients[client].sid, amount),
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
            client=st.integers(0, 1),
            fees=st.lists(fees, min_size=1, max_size=2),
            apply=st.sampled_from([True, False, None]),
        )
        def create_bill(self, client: int, fees: list[int], apply: bool | None) -> None:
            sid = self.model.clients[client].sid
            appts = [self.ledger.appointment(sid, fee=fee).id for fee in fees]
            bill = self.step(
                lambda: self.model.create_bill(client, fees, apply is not False, appts),
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
            f"in {time.monotonic() - started:.1f}s"
        )


def test_the_service_follows_the_money_rules_step_by_step(db: Database, database_url: str) -> None:
    _run(db, database_url)
