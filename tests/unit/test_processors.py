"""The payment processors: the simulator's behaviour of Stripe's test payment methods, and choosing one.

The Stripe adapter has its own tests, against a fake Stripe API.
"""

from __future__ import annotations

import hashlib
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from clientledger.kit.errors import CardDeclined
from clientledger.payments.processors import (
    CardDetails,
    PaymentProcessor,
    Refund,
    SimulatedProcessor,
    get_processor,
)

TEST_KEY = "sk_test_clientledger"
VISA = "pm_card_visa"


def sha24(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:24]


def charge(payment_method: str, *, amount: int = 500, key: str = "k", customer: str | None = None) -> Any:
    return SimulatedProcessor().charge(
        amount=amount, payment_method=payment_method, customer=customer, idempotency_key=key
    )


# --- the simulator ------------------------------------------------------------------------------


def test_simulator_knows_the_contracts_four_test_payment_methods() -> None:
    processor = SimulatedProcessor()

    visa = charge("pm_card_visa", key="v")
    mastercard = charge("pm_card_mastercard", key="m")
    assert (visa.card_brand, visa.card_last4) == ("visa", "4242")
    assert (mastercard.card_brand, mastercard.card_last4) == ("mastercard", "4444")
    with pytest.raises(CardDeclined, match="declined"):
        charge("pm_card_chargeDeclined", key="d")
    refund_fails = charge("pm_card_refundFail", key="r")
    with pytest.raises(CardDeclined, match="refused the refund"):
        processor.refund(charge_id=refund_fails.charge_id, amount=500, idempotency_key="refund-r")
    assert processor.refund(charge_id=visa.charge_id, amount=500, idempotency_key="refund-v").amount == 500


@pytest.mark.parametrize(
    ("payment_method", "brand", "last4"),
    [("pm_card_amex", "amex", "0005"), ("pm_card_discover", "discover", "1117")],
)
def test_simulator_charges_the_other_brands(payment_method: str, brand: str, last4: str) -> None:
    paid = charge(payment_method)

    assert (paid.card_brand, paid.card_last4) == (brand, last4)


@pytest.mark.parametrize(
    ("payment_method", "message"),
    [
        ("pm_card_chargeDeclined", "Your card was declined."),
        ("pm_card_visa_chargeDeclined", "Your card was declined."),
        ("pm_card_visa_chargeDeclinedInsufficientFunds", "Your card has insufficient funds."),
        ("pm_card_visa_chargeDeclinedLostCard", "Your card was declined."),
        ("pm_card_visa_chargeDeclinedStolenCard", "Your card was declined."),
        ("pm_card_chargeDeclinedExpiredCard", "Your card has expired."),
        ("pm_card_chargeDeclinedIncorrectCvc", "Your card's security code is incorrect."),
    ],
)
def test_simulator_declines_stripes_decline_test_payment_methods(payment_method: str, message: str) -> None:
    with pytest.raises(CardDeclined) as declined:
        charge(payment_method)

    assert declined.value.message == message


def test_simulator_refuses_a_payment_method_it_does_not_know() -> None:
    with pytest.raises(CardDeclined, match="No such PaymentMethod"):
        charge("pm_unknown")


def test_simulator_saves_a_test_card_on_a_customer_and_keeps_its_id() -> None:
    processor = SimulatedProcessor()
    customer = processor.create_customer(name="Ada", email=None, idempotency_key="customer-p-c")

    saved = processor.save_card(customer=customer, payment_method="pm_card_mastercard", idempotency_key="card-1")

    assert customer == "cus_sim_" + sha24("customer-p-c")
    assert processor.create_customer(name="Ada", email="a@x.test", idempotency_key="customer-p-c") == customer
    assert saved == CardDetails("pm_card_mastercard", "mastercard", "4444", exp_month=12, exp_year=2034)
    assert charge(saved.payment_method, customer=customer).card_last4 == "4444"
    processor.remove_card(payment_method=saved.payment_method)
    assert processor.card_setup(customer=customer, idempotency_key="setup-1") is None


def test_simulator_refuses_to_save_an_unknown_payment_method() -> None:
    with pytest.raises(CardDeclined, match="No such PaymentMethod"):
        SimulatedProcessor().save_card(customer="cus_sim_x", payment_method="pm_nope", idempotency_key="k")


@given(key=st.text(min_size=1).filter(str.strip), amount=st.integers(min_value=1, max_value=10**9))
def test_simulator_replays_the_same_charge_for_the_same_key(key: str, amount: int) -> None:
    first = charge(VISA, amount=amount, key=key)
    again = charge(VISA, amount=amount, key=key)

    assert again == first
    assert first.charge_id == "ch_sim_" + sha24(key)


def test_simulator_gives_different_keys_different_ids() -> None:
    processor = SimulatedProcessor()

    charges = {charge(VISA, amount=100, key=f"k{i}").charge_id for i in range(50)}
    refunds = {processor.refund(charge_id="ch_sim_x", amount=100, idempotency_key=f"k{i}").refund_id for i in range(50)}

    assert len(charges) == 50
    assert len(refunds) == 50


def test_simulator_refund_is_deterministic_and_keeps_the_charge_id() -> None:
    processor = SimulatedProcessor()
    paid = charge(VISA, amount=10000, key="pay-9")

    refund = processor.refund(charge_id=paid.charge_id, amount=2500, idempotency_key="refund-r1")

    assert refund == Refund(refund_id="re_sim_" + sha24("refund-r1"), charge_id=paid.charge_id, amount=2500)
    assert SimulatedProcessor().refund(charge_id=paid.charge_id, amount=2500, idempotency_key="refund-r1") == refund


@pytest.mark.parametrize("amount", [0, -1, -15000, True, 10.0, "100", None])
def test_simulator_refuses_an_amount_that_is_not_positive_int_cents(amount: Any) -> None:
    processor = SimulatedProcessor()

    with pytest.raises(ValueError, match="amount"):
        charge(VISA, amount=amount)
    with pytest.raises(ValueError, match="amount"):
        processor.refund(charge_id="ch_sim_x", amount=amount, idempotency_key="k")


def test_simulator_refuses_a_blank_idempotency_key_or_charge_id() -> None:
    processor = SimulatedProcessor()

    with pytest.raises(ValueError, match="idempotency_key"):
        charge(VISA, key=" ")
    with pytest.raises(ValueError, match="charge_id"):
        processor.refund(charge_id="", amount=100, idempotency_key="k")
    with pytest.raises(ValueError, match="idempotency_key"):
        processor.create_customer(name="Ada", email=None, idempotency_key="")


def test_simulator_satisfies_the_processor_interface() -> None:
    processor: PaymentProcessor = SimulatedProcessor()

    assert isinstance(processor, PaymentProcessor)
    assert processor.name == "simulated"


# --- get_processor ------------------------------------------------------------------------------


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    for name in (
        "CLIENTLEDGER_PROCESSOR",
        "CLIENTLEDGER_STRIPE_API_KEY",
        "CLIENTLEDGER_STRIPE_PAYMENT_METHOD",
        "CLIENTLEDGER_STRIPE_CUSTOMER",
    ):
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


def test_get_processor_defaults_to_the_simulator(clean_env: pytest.MonkeyPatch) -> None:
    assert isinstance(get_processor(), SimulatedProcessor)
    clean_env.setenv("CLIENTLEDGER_PROCESSOR", "simulated")
    assert isinstance(get_processor(), SimulatedProcessor)


def test_get_processor_builds_stripe_from_the_environment(clean_env: pytest.MonkeyPatch) -> None:
    clean_env.setenv("CLIENTLEDGER_PROCESSOR", "Stripe")
    clean_env.setenv("CLIENTLEDGER_STRIPE_API_KEY", TEST_KEY)

    processor = get_processor()

    assert processor.name == "stripe"


def test_get_processor_refuses_stripe_without_an_api_key(clean_env: pytest.MonkeyPatch) -> None:
    clean_env.setenv("CLIENTLEDGER_PROCESSOR", "stripe")

    with pytest.raises(ValueError, match="CLIENTLEDGER_STRIPE_API_KEY"):
        get_processor()


def test_get_processor_name_overrides_the_environment(clean_env: pytest.MonkeyPatch) -> None:
    clean_env.setenv("CLIENTLEDGER_PROCESSOR", "stripe")

    assert isinstance(get_processor("simulated"), SimulatedProcessor)


def test_get_processor_refuses_an_unknown_name(clean_env: pytest.MonkeyPatch) -> None:
    with pytest.raises(ValueError, match="unknown payment processor 'paypal'"):
        get_processor("paypal")
