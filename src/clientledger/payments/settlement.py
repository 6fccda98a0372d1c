"""Moved to ``payments.refunds`` (the whole refund workflow is there).

Kept only because ``main.py`` (being rewritten with the runner) still imports
``recover_pending_refunds`` from here; delete this module once main.py imports payments.refunds.
"""

from __future__ import annotations

from clientledger.payments.refunds import recover_pending_refunds as recover_pending_refunds
from clientledger.payments.refunds import settle_refund as settle_refund
