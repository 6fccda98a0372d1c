"""Rule 5 and the 835 claim checks: what a payer's decision does, and when it is refused."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from clientledger.kit.errors import BillVoid, Conflict, NotFound, ValidationFailed
from clientledger.rules.insurance import (
    Adjustment,
    ClaimUnbalanced,
    check_claim_ref,
    check_decidable,
    check_remittance_claim,
    check_reversal,
    check_same_payer,
    claim_balances,
    claim_ref_for,
    client_side,
    decide,
)

cents = st.integers(min_value=0, max_value=1_000_000)


class TestDecide:
    def test_paid_contractual_and_patient_share_add_up_to_the_fee(self) -> None:
        d = decide(
            fee=10000,
            paid=6000,
            patient_responsibility=2000,
            adjustments=[Adjustment("CO", "45", 1500), Adjustment("OA", "23", 500), Adjustment("PR", "3", 2000)],
        )
        assert (d.paid, d.patient_responsibility, d.contractual, d.other_adjusted) == (6000, 2000, 1500, 500)
        assert d.settled == 8000

    def test_numbers_that_do_not_reach_the_fee_are_unbalanced(self) -> None:
        with pytest.raises(ClaimUnbalanced, match="billed at 10000"):
            decide(fee=10000, paid=6000, patient_responsibility=2000, adjustments=[])

    def test_pr_adjustments_must_be_the_patient_responsibility(self) -> None:
        with pytest.raises(ClaimUnbalanced, match="PR adjustments add up to 1000"):
            decide(fee=10000, paid=8000, patient_responsibility=2000, adjustments=[Adjustment("PR", "1", 1000)])

    def test_a_negative_payment_is_a_reversal_not_a_decision(self) -> None:
        with pytest.raises(ClaimUnbalanced, match="reversal"):
            decide(fee=10000, paid=-100, patient_responsibility=10100, adjustments=[])

    def test_an_unknown_adjustment_group_is_invalid(self) -> None:
        with pytest.raises(ValidationFailed, match="XX"):
            decide(fee=100, paid=100, patient_responsibility=0, adjustments=[Adjustment("XX", "1", 0)])

    @given(cents, cents, cents, cents)
    def test_a_decision_is_accepted_exactly_when_it_adds_up_to_the_fee(
        self, paid: int, patient: int, contractual: int, fee: int
    ) -> None:
        adjustments = [Adjustment("CO", "45", contractual)]
        try:
            d = decide(fee=fee, paid=paid, patient_responsibility=patient, adjustments=adjustments)
        except ClaimUnbalanced:
            assert paid + patient + contractual != fee
        else:
            assert d.settled + d.patient_responsibility == fee


class TestClaimRef:
    def test_claim_refs_are_up_to_20_of_upper_letters_digits_and_dashes(self) -> None:
        assert check_claim_ref("CLM-1-A") == "CLM-1-A"
        for bad in ("", "clm-1", "A" * 21, "CLM 1", "CLM_1"):
            with pytest.raises(ValidationFailed):
                check_claim_ref(bad)

    def test_a_new_claim_ref_comes_from_the_items_random_tail(self) -> None:
        assert claim_ref_for("item_01hzy3abcdefghjk") == "CLM-Y3ABCDEFGHJK"


def check_claim(
    *,
    charge: int = 15000,
    paid: int = 10000,
    adjustment_total: int = 5000,
    patient_responsibility: int = 2000,
    pr_total: int = 2000,
    fee: int = 15000,
    reversal: bool = False,
) -> None:
    check_remittance_claim(
        charge=charge,
        paid=paid,
        adjustment_total=adjustment_total,
        patient_responsibility=patient_responsibility,
        pr_total=pr_total,
        fee=fee,
        reversal=reversal,
    )


class TestRemittanceClaim:
    def test_a_claim_that_balances_and_matches_the_fee_passes(self) -> None:
        check_claim()

    def test_charge_must_be_paid_plus_every_adjustment(self) -> None:
        with pytest.raises(ClaimUnbalanced, match=re.escape("does not balance: charge 150.00 is not paid 100.00")):
            check_claim(adjustment_total=4000)

    def test_clp05_must_be_the_pr_adjustments(self) -> None:
        with pytest.raises(ClaimUnbalanced, match=re.escape("CLP05 patient responsibility 20.00")):
            check_claim(pr_total=1500)

    def test_the_charge_must_be_the_sessions_fee(self) -> None:
        with pytest.raises(ClaimUnbalanced, match=re.escape("not the session's fee 120.00")):
            check_claim(fee=12000)

    def test_a_reversal_charges_the_fee_negated(self) -> None:
        negated = dict(charge=-15000, paid=-10000, adjustment_total=-5000, patient_responsibility=-2000, pr_total=-2000)
        check_claim(**negated, reversal=True)
        with pytest.raises(ClaimUnbalanced, match="session's fee"):
            check_claim(**negated, reversal=False)

    @given(st.integers(-(10**6), 10**6), st.integers(-(10**6), 10**6), st.integers(-(10**6), 10**6))
    def test_balancing_is_charge_equals_paid_plus_adjustments(self, charge: int, paid: int, adjusted: int) -> None:
        assert claim_balances(charge=charge, paid=paid, adjustment_total=adjusted) is (charge == paid + adjusted)


class TestWhoMayDecide:
    def test_a_session_that_took_place_on_a_live_bill_may_be_decided(self) -> None:
        check_decidable(bill_status="open", appointment_status="attended")
        check_decidable(bill_status="paid", appointment_status="scheduled")

    @pytest.mark.parametrize("status", ["canceled", "late_canceled", "no_show"])
    def test_a_canceled_or_missed_session_is_no_claim(self, status: str) -> None:
        with pytest.raises(Conflict, match="canceled or missed"):
            check_decidable(bill_status="open", appointment_status=status)

    def test_a_void_bill_takes_no_payer_decision(self) -> None:
        with pytest.raises(BillVoid) as refused:
            check_decidable(bill_status="void", appointment_status="canceled")
        assert (refused.value.code, refused.value.status_code) == ("bill_void", 409)

    def test_a_second_payer_is_not_posted_on_top_of_the_first(self) -> None:
        check_same_payer(payer="AETNA", payer_in_force=None)
        check_same_payer(payer="AETNA", payer_in_force="AETNA")
        with pytest.raises(Conflict, match="AETNA has already decided"):
            check_same_payer(payer="CIGNA", payer_in_force="AETNA")


class TestReversal:
    def reverse(self, *, payer_in_force: str | None, paid: int, patient: int) -> None:
        check_reversal(
            claim="CLM-1",
            payer="AETNA",
            payer_in_force=payer_in_force,
            posted_paid=8000,
            posted_patient_responsibility=2000,
            paid=paid,
            patient_responsibility=patient,
        )

    def test_a_reversal_undoes_the_same_payers_decision_with_its_amounts_negated(self) -> None:
        self.reverse(payer_in_force="AETNA", paid=-8000, patient=-2000)

    def test_nothing_posted_by_that_payer_is_nothing_to_reverse(self) -> None:
        for payer in (None, "CIGNA"):
            with pytest.raises(NotFound, match="nothing to reverse"):
                self.reverse(payer_in_force=payer, paid=-8000, patient=-2000)

    def test_a_reversal_of_other_amounts_is_unbalanced(self) -> None:
        with pytest.raises(ClaimUnbalanced, match="does not match"):
            self.reverse(payer_in_force="AETNA", paid=-7000, patient=-2000)


class TestClientSide:
    def test_a_fall_frees_what_was_paid_beyond_the_new_responsibility(self) -> None:
        side = client_side(
            item_responsibility=3000,
            target=2000,
            bill_responsibility=3000,
            bill_paid=3000,
            bill_due=0,
            credit_balance=0,
            auto_apply=True,
        )
        assert (side.move, side.release, side.apply_credit) == (-1000, 1000, 0)

    def test_a_rise_on_an_auto_apply_bill_is_met_from_credit(self) -> None:
        side = client_side(
            item_responsibility=2000,
            target=5000,
            bill_responsibility=2000,
            bill_paid=2000,
            bill_due=0,
            credit_balance=1000,
            auto_apply=True,
        )
        assert (side.move, side.release, side.apply_credit) == (3000, 0, 1000)

    def test_a_rise_without_auto_apply_is_simply_owed(self) -> None:
        side = client_side(
            item_responsibility=2000,
            target=5000,
            bill_responsibility=2000,
            bill_paid=0,
            bill_due=2000,
            credit_balance=9000,
            auto_apply=False,
        )
        assert (side.move, side.release, side.apply_credit) == (3000, 0, 0)

    @given(cents, cents, cents, cents, st.booleans())
    def test_the_client_never_pays_beyond_the_new_responsibility(
        self, responsibility: int, target: int, paid: int, credit: int, auto: bool
    ) -> None:
        paid = min(paid, responsibility)
        side = client_side(
            item_responsibility=responsibility,
            target=target,
            bill_responsibility=responsibility,
            bill_paid=paid,
            bill_due=responsibility - paid,
            credit_balance=credit,
            auto_apply=auto,
        )
        assert side.move == target - responsibility
        assert paid - side.release + side.apply_credit <= target
        assert side.release >= 0 and 0 <= side.apply_credit <= credit
