"""The resources behind the fake Stripe API (``fake_stripe.py``): what Stripe keeps and how it answers.

In memory, no locking of its own (``FakeStripe`` calls it under one lock). Objects are plain dicts in
Stripe's JSON shapes (``object``, prefixed ids, ``livemode: false``); a request that Stripe refuses
raises ``StripeFault`` with Stripe's error body and HTTP status. Stripe's test payment methods
(``pm_card_visa``...) behave as Stripe documents them; each use of one mints a new ``pm_...``.
"""

from __future__ import annotations

import copy
import time
from collections.abc import Callable

from tests.support.fake_stripe_cards import (
    AUTH_MESSAGE,
    TEST_PAYMENT_METHODS,
    FakeCard,
    Obj,
    Params,
    decline,
    invalid,
    new_id,
    no_such,
)


def _int(params: Params, name: str, *, required: bool = True) -> int | None:
    value = params.get(name)
    if value is None:
        if required:
            raise invalid(f"Missing required param: {name}.", param=name, code="parameter_missing")
        return None
    if not isinstance(value, str) or not value.isdigit() or int(value) <= 0:
        raise invalid("Invalid positive integer", param=name, code="parameter_invalid_integer")
    return int(value)


def _bool(params: Params, name: str) -> bool:
    value = params.get(name, "false")
    if value not in ("true", "false"):
        raise invalid(f"Invalid boolean: {value}", param=name, code="parameter_invalid_boolean")
    return bool(value == "true")


def _str(params: Params, name: str, *, required: bool = False) -> str | None:
    value = params.get(name)
    if value is None and required:
        raise invalid(f"Missing required param: {name}.", param=name, code="parameter_missing")
    if value is not None and not isinstance(value, str):
        raise invalid(f"Invalid string: {name}", param=name)
    return value


def _metadata(params: Params) -> dict[str, str]:
    value = params.get("metadata", {})
    if value == "":
        return {}
    if not isinstance(value, dict) or not all(isinstance(v, str) for v in value.values()):
        raise invalid("Invalid hash", param="metadata")
    return dict(value)


def _dollars(cents: int) -> str:
    return f"${cents // 100}.{cents % 100:02d}"


_PREFIXES = {
    "cus": "customers",
    "pm": "payment_methods",
    "pi": "payment_intents",
    "ch": "charges",
    "re": "refunds",
    "seti": "setup_intents",
}


class StripeState:
    """Stripe's objects and the rules of the endpoints the adapter uses.

    ``emit(type, object, previous_attributes)`` is called for each event Stripe would send.
    """

    def __init__(self, emit: Callable[[str, Obj, Obj | None], None]) -> None:
        self.emit = emit
        self.objects: dict[str, dict[str, Obj]] = {kind: {} for kind in _PREFIXES.values()}
        self._cards: dict[str, FakeCard] = {}  # minted pm id -> the test card it came from
        self._detached: set[str] = set()  # Stripe never lets a detached payment method be used again
        self.hold_refunds = False  # new refunds stay ``pending`` until ``succeed_refund`` (a slow bank)

    # --- lookups ---------------------------------------------------------------------------------

    def get(self, kind: str, object_id: str, *, label: str, param: str | None = None) -> Obj:
        found = self.objects[kind].get(object_id)
        if found is None:
            raise no_such(label, object_id, param=param)
        return found

    def render(self, obj: Obj, expand: list[str]) -> Obj:
        """A copy of ``obj`` with the ``expand[]`` paths (``latest_charge``, ``a.b``) replaced by objects."""
        out = copy.deepcopy(obj)
        for path in expand:
            head, _, rest = path.partition(".")
            value = out.get(head)
            if isinstance(value, str):
                kind = _PREFIXES.get(value.split("_", 1)[0])
                target = self.objects[kind].get(value) if kind else None
                if target is not None:
                    out[head] = self.render(target, [rest] if rest else [])
            elif head not in out:
                raise invalid(f"This property cannot be expanded ({head}).", param="expand")
        return out

    def payment_method(self, pm_id: str, *, param: str | None) -> Obj:
        """A stored payment method, or a new one minted from a test id (as Stripe does)."""
        card = TEST_PAYMENT_METHODS.get(pm_id)
        if card is None:
            return self.get("payment_methods", pm_id, label="PaymentMethod", param=param)
        minted: Obj = {
            "id": new_id("pm"),
            "object": "payment_method",
            "type": "card",
            "allow_redisplay": "unspecified",
            "billing_details": {"address": None, "email": None, "name": None, "phone": None},
            "card": {
                "brand": card.brand,
                "display_brand": card.brand,
                "last4": card.last4,
                "exp_month": 12,
                "exp_year": 2034,
                "funding": "credit",
                "country": "US",
                "fingerprint": new_id("fp")[3:19],
                "checks": {"address_line1_check": None, "address_postal_code_check": None, "cvc_check": "pass"},
            },
            "created": int(time.time()),
            "customer": None,
            "livemode": False,
            "metadata": {},
        }
        self.objects["payment_methods"][minted["id"]] = minted
        self._cards[minted["id"]] = card
        return minted

    def card_of(self, pm: Obj) -> FakeCard:
        return self._cards.get(pm["id"], FakeCard(pm["card"]["brand"], pm["card"]["last4"]))

    # --- customers, payment methods, setup intents -----------------------------------------------

    def create_customer(self, params: Params) -> Obj:
        customer: Obj = {
            "id": new_id("cus"),
            "object": "customer",
            "name": _str(params, "name"),
            "email": _str(params, "email"),
            "description": _str(params, "description"),
            "metadata": _metadata(params),
            "balance": 0,
            "currency": None,
            "delinquent": False,
            "invoice_settings": {"default_payment_method": None, "custom_fields": None, "footer": None},
            "created": int(time.time()),
            "livemode": False,
        }
        self.objects["customers"][customer["id"]] = customer
        return customer

    def attach(self, pm_id: str, params: Params) -> Obj:
        customer_id = _str(params, "customer", required=True)
        assert customer_id is not None
        self.get("customers", customer_id, label="customer", param="customer")
        pm = self.payment_method(pm_id, param=None)
        card = self.card_of(pm)
        if card.decline_code is not None and card.attach_declined:
            raise decline(card, extra={"payment_method": copy.deepcopy(pm)})
        if pm["id"] in self._detached or (pm["customer"] not in (None, customer_id)):
            raise invalid(
                "The payment method you provided has already been attached to a customer.",
                param="payment_method",
            )
        pm["customer"] = customer_id
        return pm

    def detach(self, pm_id: str) -> Obj:
        pm = self.get("payment_methods", pm_id, label="PaymentMethod")
        if pm["customer"] is None:
            raise invalid("The payment method you provided is not attached to a customer so detachment is impossible.")
        pm["customer"] = None
        self._detached.add(pm["id"])
        return pm

    def create_setup_intent(self, params: Params) -> Obj:
        customer_id = _str(params, "customer")
        if customer_id is not None:
            self.get("customers", customer_id, label="customer", param="customer")
        types = params.get("allowed_payment_method_types", ["card"])
        intent_id = new_id("seti")
        intent: Obj = {
            "id": intent_id,
            "object": "setup_intent",
            "client_secret": f"{intent_id}_secret_{new_id('x')[2:]}",
            "customer": customer_id,
            "usage": _str(params, "usage") or "off_session",
            "payment_method_types": types,
            "payment_method": None,
            "status": "requires_payment_method",
            "next_action": None,
            "last_setup_error": None,
            "metadata": _metadata(params),
            "created": int(time.time()),
            "livemode": False,
        }
        self.objects["setup_intents"][intent_id] = intent
        return intent

    # --- payment intents and charges -------------------------------------------------------------

    def create_payment_intent(self, params: Params) -> Obj:
        amount = _int(params, "amount")
        assert amount is not None
        currency = _str(params, "currency", required=True)
        if amount < 50:
            raise invalid(f"Amount must be at least $0.50 {currency}", param="amount", code="amount_too_small")
        confirm, off_session = _bool(params, "confirm"), _bool(params, "off_session")
        if (off_session or "error_on_requires_action" in params) and not confirm:
            raise invalid("This parameter can only be used with confirm=true.", param="off_session")
        customer_id = _str(params, "customer")
        if customer_id is not None:
            self.get("customers", customer_id, label="customer", param="customer")
        if "card" not in params.get("allowed_payment_method_types", ["card"]):
            raise invalid("The payment method type card is not allowed.", param="payment_method")
        pm_id = _str(params, "payment_method")
        pm = self.payment_method(pm_id, param="payment_method") if pm_id is not None else None
        if pm is not None and (pm["id"] in self._detached or pm["customer"] not in (None, customer_id)):
            raise invalid(
                "The provided PaymentMethod was previously used with a PaymentIntent without Customer "
                "attachment, shared with a connected account without Customer attachment, or was detached "
                "from a Customer. It may not be used again. To use a PaymentMethod multiple times, you must "
                "attach it to a Customer first.",
                param="payment_method",
            )
        intent_id = new_id("pi")
        intent: Obj = {
            "id": intent_id,
            "object": "payment_intent",
            "amount": amount,
            "amount_received": 0,
            "currency": currency,
            "customer": customer_id,
            "description": _str(params, "description"),
            "metadata": _metadata(params),
            "payment_method": pm["id"] if pm is not None else None,
            "payment_method_types": ["card"],
            "latest_charge": None,
            "status": "requires_payment_method" if pm is None else "requires_confirmation",
            "client_secret": f"{intent_id}_secret_{new_id('x')[2:]}",
            "capture_method": "automatic_async",
            "confirmation_method": "automatic",
            "last_payment_error": None,
            "next_action": None,
            "cancellation_reason": None,
            "setup_future_usage": None,
            "created": int(time.time()),
            "livemode": False,
        }
        self.objects["payment_intents"][intent_id] = intent
        if confirm and pm is not None:
            self._confirm(intent, pm, off_session=off_session, no_action=_bool(params, "error_on_requires_action"))
        return intent

    def _confirm(self, intent: Obj, pm: Obj, *, off_session: bool, no_action: bool) -> None:
        card = self.card_of(pm)
        if card.needs_authentication and not (off_session or no_action):
            intent["status"] = "requires_action"
            intent["next_action"] = {"type": "use_stripe_sdk", "use_stripe_sdk": {}}
            return
        if card.needs_authentication:
            card = FakeCard(card.brand, card.last4, "authentication_required", "authentication_required", AUTH_MESSAGE)
        charge = self._new_charge(intent, pm, card)
        intent["latest_charge"] = charge["id"]
        if card.decline_code is None:
            intent["status"] = "succeeded"
            intent["amount_received"] = intent["amount"]
            return
        fault = decline(card, extra={"charge": charge["id"], "payment_method": copy.deepcopy(pm)})
        intent["status"] = "requires_payment_method"
        intent["last_payment_error"] = {k: v for k, v in fault.error.items() if k != "payment_intent"}
        fault.error["payment_intent"] = copy.deepcopy(intent)
        raise fault

    def _new_charge(self, intent: Obj, pm: Obj, card: FakeCard) -> Obj:
        declined = card.decline_code is not None
        charge: Obj = {
            "id": new_id("ch"),
            "object": "charge",
            "amount": intent["amount"],
            "amount_captured": 0 if declined else intent["amount"],
            "amount_refunded": 0,
            "captured": not declined,
            "paid": not declined,
            "refunded": False,
            "status": "failed" if declined else "succeeded",
            "currency": intent["currency"],
            "customer": intent["customer"],
            "description": intent["description"],
            "metadata": dict(intent["metadata"]),
            "payment_intent": intent["id"],
            "payment_method": pm["id"],
            "payment_method_details": {"type": "card", "card": copy.deepcopy(pm["card"])},
            "failure_code": card.code if declined else None,
            "failure_message": card.message if declined else None,
            "outcome": {
                "type": "issuer_declined" if declined else "authorized",
                "network_status": "declined_by_network" if declined else "approved_by_network",
                "reason": card.decline_code,
                "seller_message": "The bank did not return any further details with this decline."
                if declined
                else "Payment complete.",
            },
            "balance_transaction": None if declined else new_id("txn"),
            "created": int(time.time()),
            "livemode": False,
        }
        self.objects["charges"][charge["id"]] = charge
        return charge

    # --- refunds ---------------------------------------------------------------------------------

    def create_refund(self, params: Params) -> Obj:
        charge_id, intent_id = _str(params, "charge"), _str(params, "payment_intent")
        if charge_id is None and intent_id is None:
            raise invalid(
                "One of the following params should be provided for this request: payment_intent or charge.",
                code="parameter_missing",
            )
        if charge_id is None:
            assert intent_id is not None
            intent = self.get("payment_intents", intent_id, label="payment_intent", param="payment_intent")
            if intent["latest_charge"] is None or intent["status"] != "succeeded":
                raise invalid(f"This PaymentIntent ({intent_id}) does not have a successful charge to refund.")
            charge_id = intent["latest_charge"]
        charge = self.get("charges", charge_id, label="charge", param="charge")
        if charge["status"] != "succeeded":
            raise invalid(f"Charge {charge_id} has not been captured or has failed.", code="charge_not_refundable")
        remaining = charge["amount"] - charge["amount_refunded"]
        if remaining <= 0:
            raise invalid(f"Charge {charge_id} has already been refunded.", code="charge_already_refunded")
        amount = _int(params, "amount", required=False) or remaining
        if amount > remaining:
            raise invalid(
                f"Refund amount ({_dollars(amount)}) is greater than unrefunded amount on charge "
                f"({_dollars(remaining)})",
                param="amount",
                code="amount_too_large",
            )
        fails = self._cards.get(charge["payment_method"], FakeCard("", "")).refund_fails
        refund: Obj = {
            "id": new_id("re"),
            "object": "refund",
            "amount": amount,
            "charge": charge_id,
            "payment_intent": charge["payment_intent"],
            "currency": charge["currency"],
            "metadata": _metadata(params),
            "reason": _str(params, "reason"),
            "status": "pending" if fails or self.hold_refunds else "succeeded",
            "failure_reason": None,
            "balance_transaction": new_id("txn"),
            "destination_details": {"type": "card", "card": {"type": "refund", "reference_status": "pending"}},
            "created": int(time.time()),
        }
        self.objects["refunds"][refund["id"]] = refund
        before = {"amount_refunded": charge["amount_refunded"], "refunded": charge["refunded"]}
        charge["amount_refunded"] += amount
        charge["refunded"] = charge["amount_refunded"] == charge["amount"]
        self.emit("refund.created", refund, None)
        if not fails:
            if refund["status"] == "succeeded":
                self.emit("charge.refunded", charge, before)
            return refund
        answered = copy.deepcopy(refund)  # pending, as Stripe first answers; then the bank refuses it
        self.fail_refund(refund["id"])
        return answered

    def list_refunds(self, params: Params) -> Obj:
        """``GET /v1/refunds``: newest first, by ``charge`` or ``payment_intent``, paged by ``limit``."""
        charge, intent = _str(params, "charge"), _str(params, "payment_intent")
        limit = _int(params, "limit", required=False) or 10
        if not 1 <= limit <= 100:
            raise invalid("Invalid integer: limit must be between 1 and 100", param="limit")
        found = [
            r
            for r in reversed(list(self.objects["refunds"].values()))
            if (charge is None or r["charge"] == charge) and (intent is None or r["payment_intent"] == intent)
        ]
        after = _str(params, "starting_after")
        if after is not None:
            ids = [r["id"] for r in found]
            if after not in ids:
                raise no_such("refund", after, param="starting_after")
            found = found[ids.index(after) + 1 :]
        return {
            "object": "list",
            "url": "/v1/refunds",
            "has_more": len(found) > limit,
            "data": copy.deepcopy(found[:limit]),
        }

    def succeed_refund(self, refund_id: str) -> Obj:
        """A held refund goes through: ``refund.updated`` (to succeeded), then ``charge.refunded``."""
        refund = self.get("refunds", refund_id, label="refund")
        if refund["status"] != "pending":
            return refund
        refund["status"] = "succeeded"
        refund["destination_details"]["card"]["reference_status"] = "available"
        charge = self.objects["charges"][refund["charge"]]
        before = {"amount_refunded": charge["amount_refunded"] - refund["amount"], "refunded": False}
        self.emit("refund.updated", refund, {"status": "pending"})
        self.emit("charge.refunded", charge, before)
        return refund

    def fail_refund(self, refund_id: str, reason: str = "expired_or_canceled_card") -> Obj:
        """The card's bank refuses a refund after Stripe accepted it: ``refund.updated`` to failed."""
        refund = self.get("refunds", refund_id, label="refund")
        if refund["status"] == "failed":
            return refund
        before = {"status": refund["status"], "failure_reason": None}
        refund["status"] = "failed"
        refund["failure_reason"] = reason
        refund["failure_balance_transaction"] = new_id("txn")
        charge = self.objects["charges"][refund["charge"]]
        charge["amount_refunded"] -= refund["amount"]
        charge["refunded"] = False
        self.emit("refund.updated", refund, before)
        self.emit("refund.failed", refund, before)
        return refund
