"""HTTP: log in for a bearer token, and log out by revoking it."""

from __future__ import annotations

from datetime import timedelta

from fastapi import APIRouter, Request
from fastapi.responses import Response

from clientledger.api.deps import Staff, get_db, request_id
from clientledger.api.errors import declare
from clientledger.auth import service as auth
from clientledger.auth.schemas import TokenCreate, TokenRead
from clientledger.kit.config import Settings

router = APIRouter(tags=["auth"])


@router.post("/auth/tokens", status_code=201, response_model=TokenRead, responses=declare(429))
def create_token(data: TokenCreate, request: Request) -> TokenRead:
    """Email + password for a bearer token (stored hashed; it expires and can be revoked).

    Failed logins are limited per email however many arrive at once: after 5 failures in 15
    minutes every login for that email is 429 `rate_limited`, the right password included, until
    the window passes. A successful login clears the email's failures.
    """
    settings: Settings = request.app.state.settings
    issued = auth.login(
        get_db(request),
        email=data.email,
        password=data.password,
        ttl=timedelta(days=settings.token_ttl_days),
        request_id=request_id(request),
    )
    return TokenRead.model_validate(issued)


@router.delete("/auth/tokens/current", status_code=204, response_class=Response, responses=declare())
def revoke_current_token(rc: Staff) -> Response:
    """Log out: the token used for this request stops working at once."""
    auth.revoke_token(rc.db, rc.ctx, token_id=rc.principal.token_id)
    return Response(status_code=204)
