"""The one way to run a use case: permission, replay, one transaction, after-commit work."""

from clientledger.db import Tx
from clientledger.service_layer.runner import Actor, Outcome, Replay, ReplayedRefusal, Runner, authorize

__all__ = ["Actor", "Outcome", "Replay", "ReplayedRefusal", "Runner", "Tx", "authorize"]
