"""The one way to run a use case, whatever the face (HTTP API, web UI, CLI, demo, benchmarks).

``Runner.run(actor, use_case, replay=..., **arguments)``:
1. checks the actor's role against the permission the use case declares (``kit.use_cases``);
2. replays the stored answer when the replay key was answered before (API ``Idempotency-Key``
   and web one-time form codes alike), or refuses a reused key;
3. runs the use case's read-only precheck and, in the same read-only transaction, works out its
   card charge; charges it and runs its other processor work (``prepare``: save a card, make a
   customer) outside any transaction, keyed by the replay key so a retry cannot do it twice;
4. runs the use case in one transaction together with the replay key's claim and answer;
5. after the commit, runs the after-commit work (processor refunds) and answers with what is
   true *then* (``present``), storing that answer for every later replay.

A business-rule refusal (any 4xx but ``validation_error``) is stored under the key too, so a
retry is refused the same way.
"""

from __future__ import annotations

import functools
import hashlib
import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar, get_type_hints

from pydantic import TypeAdapter

from clientledger.db import Ctx, Database, UnitOfWork
from clientledger.kit.errors import ClientLedgerError, Forbidden, IdempotencyKeyReused, ValidationFailed
from clientledger.kit.processing import Charge, PaymentProcessor
from clientledger.kit.use_cases import ChargeRequest, Preparation, UseCaseSpec, may, spec_of
from clientledger.payments.repository import find_payment_by_charge
from clientledger.service_layer import repository as replays

T = TypeVar("T")


@dataclass(frozen=True)
class Actor:
    """Who is acting: a staff member of one practice, with a role, for one request."""

    practice_id: str
    user_id: str | None
    role: str
    request_id: str | None = None

    @property
    def ctx(self) -> Ctx:
        return Ctx(practice_id=self.practice_id, user_id=self.user_id, request_id=self.request_id)


@dataclass(frozen=True)
class Replay:
    """A request that may arrive twice: its namespaced key, a hash of what was asked, and the
    status the face answers a success with (stored so that a replay answers the same)."""

    key: str
    request_hash: str
    status_code: int = 200

    @classmethod
    def api(cls, key: str, *, method: str, path: str, body: bytes | str, status_code: int) -> Replay:
        text = body.decode("utf-8", "replace") if isinstance(body, bytes) else body
        try:
            canonical = json.dumps(json.loads(text), sort_keys=True, separators=(",", ":")) if text else ""
        except ValueError:
            canonical = text
        digest = hashlib.sha256(f"{method}\n{path}\n{canonical}".encode()).hexdigest()
        return cls(key=f"api:{key}", request_hash=digest, status_code=status_code)

    @classmethod
    def web_form(cls, code: str, *, path: str) -> Replay:
        """A web form's one-time code: the same form sent twice is one action."""
        return cls(key=f"web:{code}", request_hash=hashlib.sha256(f"POST {path}".encode()).hexdigest(), status_code=303)


@dataclass(frozen=True)
class Outcome(Generic[T]):
    """A use case's answer: the result, its JSON as stored for replays, and whether it was replayed."""

    result: T
    body: str
    status_code: int
    replayed: bool = False


class ReplayedRefusal(ClientLedgerError):
    """A refusal stored under a replay key, raised again for the retry."""

    def __init__(self, *, code: str, status_code: int, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.status_code = status_code


class Runner:
    """Runs use cases on one database with the app's payment processor (wired at start-up)."""

    def __init__(self, db: Database, processor: PaymentProcessor) -> None:
        self.db = db
        self.processor = processor

    # -- reading ---------------------------------------------------------------------------
    def read(self, actor: Actor, query: Callable[..., T], /, **arguments: Any) -> T:
        """A query use case, in a read-only transaction (no write lock on SQLite)."""
        authorize(actor, spec_of(query))
        with self.db.transaction(actor.ctx, write=False, processor=self.processor) as tx:
            return query(tx, **arguments)

    # -- work no staff member asks for ----------------------------------------------------
    def unattended(self, work: Callable[..., T], /, **arguments: Any) -> T:
        """Work whose authority is checked before it, not a role (a processor's signed event): it
        finds its practice itself, so it opens its own transactions on the app's database, with the
        app's processor (``work(db, processor=..., **arguments)``)."""
        return work(self.db, processor=self.processor, **arguments)

    # -- writing ---------------------------------------------------------------------------
    def run(self, actor: Actor, use_case: Callable[..., T], /, *, replay: Replay | None = None, **arguments: Any) -> T:
        """Run ``use_case`` and return its result (see ``outcome`` for the stored answer too)."""
        return self.outcome(actor, use_case, replay=replay, **arguments).result

    def outcome(
        self, actor: Actor, use_case: Callable[..., T], /, *, replay: Replay | None = None, **arguments: Any
    ) -> Outcome[T]:
        spec = spec_of(use_case)
        authorize(actor, spec)
        ctx = actor.ctx
        if replay is not None:
            stored = self._stored(ctx, replay.key)
            if stored is not None and stored.answered:
                return _replayed(use_case, stored, replay)
        try:
            if spec.batched:
                result = use_case(UnitOfWork(self.db, ctx, self.processor), **arguments)
                body = _dump(result)
                if replay is not None:
                    self._store(ctx, replay, status_code=replay.status_code, body=body)
                return Outcome(result, body, _status(replay))
            result, body, settled_later = self._transact(ctx, spec, use_case, replay, arguments)
        except replays.KeyTaken:
            assert replay is not None
            return self._replay_twin(use_case, ctx, replay)
        except ValidationFailed:
            raise
        except ClientLedgerError as exc:
            if replay is None or not 400 <= exc.status_code < 500:
                raise
            body = json.dumps({"error": {"code": exc.code, "message": exc.message}}, separators=(",", ":"))
            try:
                self._store(ctx, replay, status_code=exc.status_code, body=body)
            except replays.KeyTaken:
                return self._replay_twin(use_case, ctx, replay)
            raise
        if settled_later and spec.present is not None:
            result, body = self._present(ctx, spec, result, replay, body)
        return Outcome(result, body, _status(replay))

    # -- the steps -------------------------------------------------------------------------
    def _transact(
        self, ctx: Ctx, spec: UseCaseSpec, use_case: Callable[..., T], replay: Replay | None, arguments: dict[str, Any]
    ) -> tuple[T, str, bool]:
        checked: object = None
        request: ChargeRequest | None = None
        if spec.precheck is not None or spec.charge is not None:
            with self.db.transaction(ctx, write=False, processor=self.processor) as tx:
                if spec.precheck is not None:
                    checked = spec.precheck(tx, **arguments)
                if spec.charge is not None:
                    request = spec.charge(tx, **arguments)
        key = _processor_key(ctx, replay)
        charge = self._charge(ctx, request, key) if request is not None else None
        if spec.charge is not None:
            arguments = {**arguments, "charge": charge}
        try:
            if spec.prepare is not None:
                prepared = spec.prepare(Preparation(self.processor, checked, key), **arguments)
                arguments = {**arguments, "prepared": prepared}
            with self.db.transaction(ctx, processor=self.processor) as tx:
                if replay is not None:
                    replays.claim_key(tx, replay.key, replay.request_hash)
                result = use_case(tx, **arguments)
                body = _dump(result)
                if replay is not None:
                    replays.answer_key(tx, replay.key, status_code=replay.status_code, body=body)
                settled_later = tx.has_after_commit_work
        except BaseException:
            if charge is not None:
                self._void_unrecorded(ctx, charge)
            raise
        return result, body, settled_later

    def _charge(self, ctx: Ctx, request: ChargeRequest, key: str) -> Charge:
        """Charge the card before recording it; the processor key derives from the replay key."""
        return self.processor.charge(
            amount=request.amount,
            payment_method=request.payment_method,
            customer=request.customer,
            idempotency_key=f"charge-{key}",
            description=request.description,
            metadata=request.metadata or None,
        )

    def _void_unrecorded(self, ctx: Ctx, charge: Charge) -> None:
        """Recording failed after the charge: give the money back, unless a concurrent retry of the
        same request recorded this very charge."""
        with self.db.transaction(ctx, write=False) as tx:
            recorded = find_payment_by_charge(tx, charge.charge_id) is not None
        if not recorded:
            self.processor.refund(
                charge_id=charge.charge_id, amount=charge.amount, idempotency_key=f"void-{charge.charge_id}"
            )

    def _present(self, ctx: Ctx, spec: UseCaseSpec, result: T, replay: Replay | None, body: str) -> tuple[T, str]:
        """The answer after the after-commit work: a refused card refund says ``failed``."""
        assert spec.present is not None
        with self.db.transaction(ctx, write=False, processor=self.processor) as tx:
            fresh: T = spec.present(tx, result)
        fresh_body = _dump(fresh)
        if replay is not None and fresh_body != body:
            with self.db.transaction(ctx, processor=self.processor) as tx:
                replays.answer_key(tx, replay.key, status_code=replay.status_code, body=fresh_body)
        return fresh, fresh_body

    def _stored(self, ctx: Ctx, key: str) -> replays.StoredAnswer | None:
        with self.db.transaction(ctx, write=False) as tx:
            return replays.find_answer(tx, key)

    def _store(self, ctx: Ctx, replay: Replay, *, status_code: int, body: str) -> None:
        with self.db.transaction(ctx) as tx:
            replays.store_answer(tx, replay.key, replay.request_hash, status_code=status_code, body=body)

    def _replay_twin(self, use_case: Callable[..., T], ctx: Ctx, replay: Replay) -> Outcome[T]:
        stored = self._stored(ctx, replay.key)
        if stored is None or not stored.answered:
            raise IdempotencyKeyReused("A request with this Idempotency-Key is still being processed.")
        return _replayed(use_case, stored, replay)


def authorize(actor: Actor, spec: UseCaseSpec) -> None:
    """The one place a role meets a permission (``kit.use_cases.ROLE_PERMISSIONS``)."""
    if not may(actor.role, spec.permission):
        raise Forbidden(f"The {actor.role} role may not {spec.permission.label}.")


def _processor_key(ctx: Ctx, replay: Replay | None) -> str:
    """One request's key for the processor: its retries (same replay key and body) share it."""
    suffix = f"{replay.key}-{replay.request_hash[:16]}" if replay is not None else uuid.uuid4().hex
    return f"{ctx.practice_id}-{suffix}"


def _replayed(use_case: Callable[..., T], stored: replays.StoredAnswer, replay: Replay) -> Outcome[T]:
    if stored.request_hash != replay.request_hash:
        raise IdempotencyKeyReused(
            "This Idempotency-Key was already used for a different request (method, path or body)."
        )
    if not 200 <= stored.status_code < 400:
        error = json.loads(stored.body)["error"]
        raise ReplayedRefusal(code=error["code"], status_code=stored.status_code, message=error["message"])
    return Outcome(_decode(use_case, stored.body), stored.body, stored.status_code, replayed=True)


def _dump(result: object) -> str:
    dump = getattr(result, "model_dump_json", None)
    return str(dump()) if callable(dump) else ""


def _decode(use_case: Callable[..., T], body: str) -> T:
    if not body:
        return None  # type: ignore[return-value]
    adapter = _result_adapter(use_case)
    return adapter.validate_json(body)  # type: ignore[no-any-return]


@functools.cache
def _result_adapter(use_case: Callable[..., Any]) -> TypeAdapter[Any]:
    """Replays are decoded into the use case's declared result type."""
    decode = spec_of(use_case).replays_as or get_type_hints(use_case)["return"]
    return TypeAdapter(decode)


def _status(replay: Replay | None) -> int:
    return replay.status_code if replay is not None else 200
