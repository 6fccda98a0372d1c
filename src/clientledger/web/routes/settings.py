"""Practice settings: name, time zone, payer ids, and whether available credit applies to new bills itself."""

from __future__ import annotations

from fastapi import Depends
from fastapi.responses import Response

from clientledger.kit.days import time_zone_names
from clientledger.kit.errors import ClientLedgerError
from clientledger.kit.use_cases import Permission
from clientledger.practices import service as practices
from clientledger.practices.schemas import PracticeUpdate
from clientledger.web.context import Web, action, page
from clientledger.web.labels import said
from clientledger.web.routing import web_router

router = web_router()


@router.get("/settings")
def settings_page(web: Web = Depends(page)) -> Response:
    practice = web.read(practices.get_practice)
    can_edit = web.can(Permission.CHANGE_SETTINGS)
    return web.render(
        "settings.html",
        nav="settings",
        practice=practice,
        form=None,
        error=None,
        can_edit=can_edit,
        time_zones=time_zone_names(),
    )


@router.post("/settings")
def save_settings(web: Web = Depends(action)) -> Response:
    practice = web.read(practices.get_practice)
    try:
        data = web.build(
            PracticeUpdate,
            name=web.field("name") or None,
            auto_apply_credit=web.checked("auto_apply_credit"),
            time_zone=web.field("time_zone") or None,
            npi=web.field("npi") or None,  # blank clears it
            tax_id=web.field("tax_id") or None,
        )
        web.submit(practices.update_practice, data=data)
    except ClientLedgerError as err:
        status = err.status_code if 400 <= err.status_code < 500 else 422
        return web.render(
            "settings.html",
            status_code=status,
            nav="settings",
            practice=practice,
            form=web.form,
            error=said(err),
            can_edit=web.can(Permission.CHANGE_SETTINGS),
            time_zones=time_zone_names(),
        )
    return web.done("/settings", "Settings saved.")
