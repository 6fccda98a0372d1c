from tests.factories import Ledger


def test_prepaid_credit_pays_the_next_bill(ledger: Ledger) -> None:
    client = ledger.client()
    ledger.prepay(client.id, "card", 50000)
    appt = ledger.appointment(client.id, fee=15000)
    bill = ledger.bill(client.id, [appt.id])
    assert bill.balance_due == 0
    assert bill.status == "paid"
    assert ledger.get_client(client.id).credit_balance == 35000
    assert ledger.verify() == []
