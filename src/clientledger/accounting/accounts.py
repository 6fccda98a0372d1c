"""The chart of accounts (per practice; sub-ledgers keyed by client, bill, payment and lot).

Signed amounts: a debit is positive, a credit negative; every entry sums to zero.
"""

from __future__ import annotations

from clientledger.kit.vocabulary import PaymentMethod

CASH_PREFIX = "cash:"
AR_CLIENT = "ar:client"
AR_INSURANCE = "ar:insurance"
CLIENT_CREDIT = "client_credit"
REVENUE = "revenue:services"
ADJUST_CONTRACTUAL = "adjust:contractual"
ADJUST_DISCOUNT = "adjust:discount"
ADJUST_CREDIT_REMOVED = "adjust:credit_removed"
ADJUST_INSURANCE_OTHER = "adjust:insurance_other"
CASH_INSURANCE = "cash:insurance"


def cash(method: str) -> str:
    """The practice's holding account for a client payment method: card clearing, drawer, checks."""
    return PaymentMethod(method).account


ACCOUNTS: dict[str, str] = {
    **{method.account: "asset" for method in PaymentMethod},
    CASH_INSURANCE: "asset",
    AR_CLIENT: "asset",
    AR_INSURANCE: "asset",
    CLIENT_CREDIT: "liability",
    REVENUE: "income",
    ADJUST_CONTRACTUAL: "contra-income",
    ADJUST_DISCOUNT: "contra-income",
    ADJUST_INSURANCE_OTHER: "contra-income",
    ADJUST_CREDIT_REMOVED: "income",
}
