"""Payment processors behind one interface; ``get_processor`` picks one from the environment.

``CLIENTLEDGER_PROCESSOR`` is ``simulated`` (the default: no network, Stripe's test-card
behaviour) or ``stripe``. Stripe reads ``CLIENTLEDGER_STRIPE_API_KEY`` (required) and
``CLIENTLEDGER_STRIPE_API_BASE`` (optional: another address for Stripe's API, such as the local
fake the tests run; a live key is only sent over ``https://``). Cards on file are no setting: they
live per client in the ``cards`` table; the web's card form (Stripe Elements) reads
``CLIENTLEDGER_STRIPE_PUBLISHABLE_KEY``. ``StripeProcessor`` lives in ``stripe_adapter`` and is
imported only when chosen, so the simulated path never loads the Stripe SDK.
"""

from __future__ import annotations

import os

from clientledger.payments.processors.base import CardDetails, Charge, PaymentProcessor, Refund
from clientledger.payments.processors.simulated import SimulatedProcessor

__all__ = [
    "PROCESSOR_ENV",
    "STRIPE_API_BASE_ENV",
    "STRIPE_API_KEY_ENV",
    "CardDetails",
    "Charge",
    "PaymentProcessor",
    "Refund",
    "SimulatedProcessor",
    "get_processor",
]

PROCESSOR_ENV = "CLIENTLEDGER_PROCESSOR"
STRIPE_API_KEY_ENV = "CLIENTLEDGER_STRIPE_API_KEY"
STRIPE_API_BASE_ENV = "CLIENTLEDGER_STRIPE_API_BASE"

_CHOICES = ("simulated", "stripe")


def get_processor(name: str | None = None) -> PaymentProcessor:
    """Build the processor named by ``name``, else by ``CLIENTLEDGER_PROCESSOR``, else the simulator.

    Raises ``ValueError`` for an unknown name or for Stripe without an API key, so a misconfigured
    server fails at start-up rather than on the first card payment. Call it once and keep the
    result: the Stripe client holds a connection pool.
    """
    chosen = (name if name is not None else os.environ.get(PROCESSOR_ENV, "")).strip().lower()
    if chosen in ("", "simulated"):
        return SimulatedProcessor()
    if chosen == "stripe":
        api_key = os.environ.get(STRIPE_API_KEY_ENV, "").strip()
        if not api_key:
            raise ValueError(f"the stripe payment processor needs {STRIPE_API_KEY_ENV} set to a Stripe secret key")
        from clientledger.payments.processors.stripe_adapter import StripeProcessor

        return StripeProcessor(api_key, api_base=os.environ.get(STRIPE_API_BASE_ENV, "").strip() or None)
    raise ValueError(f"unknown payment processor {chosen!r}: {PROCESSOR_ENV} must be one of {_CHOICES}")
