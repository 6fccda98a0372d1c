"""Households: a family's page (members, their balances, the credit they share), making one from a
client's page, and adding a member."""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import Depends
from fastapi.responses import Response

from clientledger.clients import service as clients
from clientledger.clients.schemas import ClientRead
from clientledger.households import service as households
from clientledger.households.schemas import HouseholdCreate, HouseholdRead, MemberAdd
from clientledger.kit.errors import ClientLedgerError, ValidationFailed
from clientledger.kit.use_cases import Permission, use_case
from clientledger.service_layer import Tx
from clientledger.web.context import Web, action, page
from clientledger.web.routing import web_router

router = web_router()

CREATE_FORM = "dialogs/add_to_household.html"
MEMBER_FORM = "dialogs/add_member.html"
CREATE_TITLE = "Add to household"
MEMBER_TITLE = "Add member"
CHOICES = 200  # clients offered in "Add member"'s list; any other by its id


@router.get("/households/{household_id}")
def household_page(household_id: str, web: Web = Depends(page)) -> Response:
    household = web.read(households.get_household, household_id=household_id)
    return web.render("household.html", nav="clients", household=household)


@router.get("/clients/{client_id}/household/new")
def create_household_form(client_id: str, web: Web = Depends(page)) -> Response:
    client = web.read(clients.get_client, client_id=client_id)
    return web.render_form(CREATE_FORM, title=CREATE_TITLE, client=client, form=None)


@router.post("/clients/{client_id}/household/new")
def create_household(client_id: str, web: Web = Depends(action)) -> Response:
    client = web.read(clients.get_client, client_id=client_id)
    try:
        data = web.build(
            HouseholdCreate, name=web.field("name"), client_ids=[client.id], share_credit=web.checked("share_credit")
        )
        household = web.submit(households.create_household, data=data)
    except ClientLedgerError as err:
        return web.refused(CREATE_FORM, err, title=CREATE_TITLE, client=client)
    return web.done(f"/households/{household.id}", f"Made the household {household.name} with {client.name}.")


@dataclass(frozen=True)
class MemberChoice:
    household: HouseholdRead
    clients: list[ClientRead]  # clients to choose from, those already members left out


@use_case(Permission.READ)
def member_choice(tx: Tx, *, household_id: str) -> MemberChoice:
    household = households.get_household(tx, household_id=household_id)
    members = {m.client_id for m in household.members}
    found = clients.list_clients(tx, limit=CHOICES + len(members))
    return MemberChoice(household=household, clients=[c for c in found if c.id not in members][:CHOICES])


@router.get("/households/{household_id}/members/new")
def add_member_form(household_id: str, web: Web = Depends(page)) -> Response:
    choice = web.read(member_choice, household_id=household_id)
    return web.render_form(MEMBER_FORM, title=MEMBER_TITLE, choice=choice, household=choice.household, form=None)


@router.post("/households/{household_id}/members/new")
def add_member(household_id: str, web: Web = Depends(action)) -> Response:
    choice = web.read(member_choice, household_id=household_id)
    household = choice.household
    try:
        client_id = web.field("other_client_id") or web.field("client_id")
        if not client_id:
            raise ValidationFailed("Client: choose a client, or type a client's id.")
        data = web.build(MemberAdd, client_id=client_id)
        after = web.submit(households.add_member, household_id=household.id, data=data)
    except ClientLedgerError as err:
        return web.refused(MEMBER_FORM, err, title=MEMBER_TITLE, choice=choice, household=household)
    added = next((m.name for m in after.members if m.client_id == data.client_id), data.client_id)
    return web.done(f"/households/{household.id}", f"Added {added} to {household.name}.")
