"""Parsing X12 835 remittances: fixtures, CAS handling, invalid files, generator, streaming.

Amounts are asserted in exact cents: the importer posts these numbers to the ledger, so a parser
that is off by a cent (a float, a dropped CAS triple, a service-level PR it did not see) is wrong.
"""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal
from pathlib import Path

import pytest

from clientledger.insurance.era835 import (
    Adjustment,
    ClaimPayment,
    InvalidRemittance,
    Remittance,
    format_amount,
    iter_claims,
    open_835,
    parse_835,
)
from clientledger.kit.errors import ValidationFailed
from tests.support.era_generate import (
    GeneratedClaim,
    GeneratedService,
    generate_835,
    synthetic_claims,
)

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "era"

ISA = "ISA*00*          *00*          *ZZ*BLUERIVERHP    *ZZ*CALMMIND01     *260115*1030*^*00501*000009001*0*P*:~"
HEADER = [
    "BPR*I*{total}*C*CHK************20260115",
    "TRN*1*TEST-TRACE-1*1362547890",
    "N1*PR*BLUE RIVER HEALTH PLAN",
    "N3*100 MAIN ST",
    "N4*SPRINGFIELD*IL*62701",
    "PER*BL*EDI SUPPORT*TE*8005551212",
    "N1*PE*CALM MIND THERAPY*XX*1234567893",
    "LX*1",
]
NORMAL_CLAIM = [
    "CLP*CLM-2001*1*150.00*130.00*20.00*12*PCC2001",
    "NM1*QC*1*RIVERA*ANA****MI*M1",
    "SVC*HC:90834*150.00*130.00**1",
    "DTM*472*20260105",
    "CAS*PR*2*20.00",
]


def build(body: list[str], *, total: str = "130.00", header: list[str] | None = None) -> str:
    """An 835 around ``body`` (segments after LX) with the SE count computed, not hand-counted."""
    lines = ["ST*835*0001", *[h.format(total=total) for h in (HEADER if header is None else header)], *body]
    lines.append(f"SE*{len(lines) + 1}*0001")
    segments = [
        ISA.rstrip("~"),
        "GS*HP*BLUERIVERHP*CALMMIND01*20260115*1030*9001*X*005010X221A1",
        *lines,
        "GE*1*9001",
        "IEA*1*000009001",
    ]
    return "~\n".join(segments) + "~\n"


def fixture(name: str) -> Remittance:
    return parse_835((FIXTURES / name).read_bytes())


def only_claim(remittance: Remittance) -> ClaimPayment:
    assert len(remittance.claims) == 1
    return remittance.claims[0]


# --------------------------------------------------------------------------------------------
# Fixtures, value by value
# --------------------------------------------------------------------------------------------


def test_copay_higher_than_pr() -> None:
    r = fixture("copay_higher_than_pr.835")
    assert (r.payer_name, r.payer_id, r.trace_number, r.trace_originator) == (
        "BLUE RIVER HEALTH PLAN",
        "BRHP1",
        "CHK-260115-01",
        "1362547890",
    )
    assert r.payment_total == 13000
    assert r.check_date == dt.date(2026, 1, 15)
    assert r.warnings == ()
    assert r.provider_adjustments == []
    assert r.balances
    c = only_claim(r)
    assert (c.claim_ref, c.status_code, c.charge, c.paid, c.patient_responsibility) == (
        "CLM-1001",
        "1",
        15000,
        13000,
        2000,
    )
    assert c.payer_claim_control == "BR26011500001"
    assert c.adjustments == []
    assert len(c.services) == 1
    line = c.services[0]
    assert (line.procedure_code, line.charge, line.paid, line.date) == ("90834", 15000, 13000, dt.date(2026, 1, 5))
    assert line.adjustments == [Adjustment("CO", "45", 0), Adjustment("PR", "2", 2000)]
    assert c.pr_total == 2000
    assert c.balances and line.balances
    assert not c.is_reversal
    assert c.problems == ()
    assert c.segment_number == 14
    # The importer's arithmetic this fixture exists for: $30 copay collected, client owes $20.
    assert 3000 - c.pr_total == 1000


def test_pr_higher_than_copay() -> None:
    r = fixture("pr_higher_than_copay.835")
    assert (r.trace_number, r.payment_total, r.check_date) == ("CHK-260116-01", 8000, dt.date(2026, 1, 16))
    c = only_claim(r)
    assert (c.claim_ref, c.status_code, c.charge, c.paid, c.patient_responsibility) == (
        "CLM-1002",
        "1",
        15000,
        8000,
        4500,
    )
    assert c.services[0].procedure_code == "90834"
    assert c.services[0].adjustments == [Adjustment("CO", "45", 2500), Adjustment("PR", "1", 4500)]
    assert c.pr_total == 4500
    assert c.balances
    assert r.warnings == ()


def test_denial_has_claim_level_adjustments_and_no_lines() -> None:
    r = fixture("denial.835")
    assert (r.trace_number, r.payment_total, r.check_date) == ("NOPAY-260117-01", 0, dt.date(2026, 1, 17))
    c = only_claim(r)
    assert (c.claim_ref, c.status_code, c.charge, c.paid, c.patient_responsibility) == (
        "CLM-1003",
        "4",
        20000,
        0,
        15000,
    )
    assert c.adjustments == [Adjustment("CO", "45", 5000), Adjustment("PR", "1", 15000)]
    assert c.services == []
    assert c.pr_total == 15000
    assert c.balances
    assert r.balances
    assert r.warnings == ()


def test_two_claims_and_payer_id_from_n1() -> None:
    r = fixture("two_claims.835")
    assert (r.payer_name, r.payer_id, r.trace_number, r.trace_originator) == (
        "SUMMIT MUTUAL INSURANCE",
        "SMI01",
        "SM-88120",
        "1474839201",
    )
    assert (r.payment_total, r.check_date) == (27000, dt.date(2026, 1, 20))
    first, second = r.claims
    assert (first.claim_ref, first.charge, first.paid, first.patient_responsibility) == ("CLM-1004", 15000, 12000, 3000)
    assert first.services[0].adjustments == [Adjustment("PR", "3", 3000)]
    assert first.services[0].date == dt.date(2026, 1, 7)
    assert (second.claim_ref, second.charge, second.paid, second.patient_responsibility) == (
        "CLM-1005",
        20000,
        15000,
        3000,
    )
    assert second.services[0].procedure_code == "90837"
    assert second.services[0].adjustments == [Adjustment("CO", "45", 2000), Adjustment("PR", "3", 3000)]
    assert all(c.balances and not c.problems for c in r.claims)
    assert r.claims_paid_total == r.payment_total
    assert r.warnings == ()


def test_unmatched_claim_is_returned_like_any_other() -> None:
    r = fixture("unmatched_claim.835")
    assert (r.trace_number, r.payment_total) == ("SM-88121", 25000)
    assert [c.claim_ref for c in r.claims] == ["CLM-UNKNOWN", "CLM-1006"]
    unknown, normal = r.claims
    assert (unknown.charge, unknown.paid, unknown.patient_responsibility, unknown.pr_total) == (
        15000,
        13000,
        2000,
        2000,
    )
    assert (normal.charge, normal.paid, normal.patient_responsibility, normal.pr_total) == (15000, 12000, 3000, 3000)
    assert all(c.balances and not c.problems for c in r.claims)
    assert r.balances


def test_malformed_file_is_refused_with_an_actionable_message() -> None:
    with pytest.raises(InvalidRemittance) as info:
        fixture("malformed.835")
    assert "ISA header is damaged" in info.value.message
    assert "resend" in info.value.message


def test_reversal_then_correction() -> None:
    r = fixture("reversal_and_correction.835")
    assert (r.trace_number, r.payment_total, r.check_date) == ("CHK-260122-01", 1000, dt.date(2026, 1, 22))
    reversal, correction = r.claims
    assert reversal.claim_ref == correction.claim_ref == "CLM-1007"
    assert reversal.is_reversal and not correction.is_reversal
    assert (reversal.status_code, reversal.charge, reversal.paid, reversal.patient_responsibility) == (
        "22",
        -15000,
        -13000,
        -2000,
    )
    assert reversal.payer_claim_control == "BR25121900011"
    assert reversal.services[0].adjustments == [Adjustment("PR", "2", -2000)]
    assert reversal.services[0].charge == -15000
    assert reversal.pr_total == -2000
    assert reversal.balances
    assert (correction.status_code, correction.charge, correction.paid, correction.patient_responsibility) == (
        "1",
        15000,
        14000,
        1000,
    )
    assert correction.payer_claim_control == "BR26012200012"
    assert correction.pr_total == 1000
    assert correction.balances
    assert r.balances
    assert r.warnings == ()


def test_unbalanced_claim_is_surfaced_not_rejected() -> None:
    r = fixture("unbalanced_claim.835")
    assert (r.trace_number, r.payment_total) == ("CHK-260123-01", 27000)
    bad, good = r.claims
    assert (bad.claim_ref, bad.charge, bad.paid, bad.adjustment_total) == ("CLM-1008", 15000, 10000, 2000)
    assert not bad.balances
    assert bad.problems == ()  # valid X12; the importer decides what "unbalanced" means
    assert (good.claim_ref, good.charge, good.paid, good.pr_total) == ("CLM-1009", 20000, 17000, 3000)
    assert good.balances


def test_every_valid_fixture_validates_cleanly_against_the_implementation_guide() -> None:
    for path in sorted(FIXTURES.glob("*.835")):
        if path.name == "malformed.835":
            continue
        r = parse_835(path.read_bytes())
        assert r.warnings == (), path.name
        assert all(not c.problems for c in r.claims), path.name
        assert r.balances, path.name


# --------------------------------------------------------------------------------------------
# CAS handling
# --------------------------------------------------------------------------------------------


def test_all_six_cas_triples_are_read_with_quantities_and_service_level_pr() -> None:
    body = [
        "CLP*CLM-2002*1*200.00*100.00*60.00*12*PCC2002",
        "CAS*CO*45*10.00**253*2.00**59*3.00*1*94*4.00**97*1.00**131*20.00*2",
        "CAS*PR*1*15.00",
        "NM1*QC*1*RIVERA*ANA****MI*M1",
        "SVC*HC:90837*200.00*100.00**1",
        "DTM*472*20260105",
        "CAS*PR*2*20.00**3*25.00",
    ]
    c = only_claim(parse_835(build(body, total="100.00")))
    assert c.problems == ()
    assert c.adjustments == [
        Adjustment("CO", "45", 1000),
        Adjustment("CO", "253", 200),
        Adjustment("CO", "59", 300, Decimal("1")),
        Adjustment("CO", "94", 400),
        Adjustment("CO", "97", 100),
        Adjustment("CO", "131", 2000, Decimal("2")),
        Adjustment("PR", "1", 1500),
    ]
    assert c.services[0].adjustments == [Adjustment("PR", "2", 2000), Adjustment("PR", "3", 2500)]
    # PR at claim level (15.00) and at service level (20.00 + 25.00) both count.
    assert c.pr_total == 6000
    assert c.adjustment_total == 10000
    assert c.balances


def test_service_level_pr_only() -> None:
    c = only_claim(parse_835(build(NORMAL_CLAIM)))
    assert c.adjustments == []
    assert c.pr_total == 2000
    assert c.patient_responsibility == 2000


def test_missing_clp05_means_zero_and_negative_adjustments_keep_their_sign() -> None:
    body = [
        "CLP*CLM-2003*2*150.00*160.00**12*PCC2003",
        "NM1*QC*1*RIVERA*ANA****MI*M1",
        "SVC*HC:90834*150.00*160.00**1",
        "CAS*OA*94*-10.00",
    ]
    c = only_claim(parse_835(build(body, total="160.00")))
    assert c.patient_responsibility == 0
    assert c.services[0].adjustments == [Adjustment("OA", "94", -1000)]
    assert c.balances


# --------------------------------------------------------------------------------------------
# One bad claim: quarantined, not the whole file
# --------------------------------------------------------------------------------------------


def test_three_decimal_amount_is_a_claim_problem_and_the_rest_of_the_file_parses() -> None:
    bad = [
        "CLP*CLM-2004*1*150.00*130.005*20.00*12*PCC2004",
        "NM1*QC*1*RIVERA*ANA****MI*M1",
        "SVC*HC:90834*150.00*130.00**1",
        "CAS*PR*2*20.00",
    ]
    r = parse_835(build([*bad, *NORMAL_CLAIM], total="260.00"))
    first, second = r.claims
    assert first.claim_ref == "CLM-2004"
    assert first.paid == 0  # unreadable, so never posted: the claim has problems
    assert any("CLP04" in p and "more than 2 decimal places" in p for p in first.problems)
    assert first.has_problems
    assert second.problems == ()
    assert second.paid == 13000


def test_unknown_status_code_and_cas_reason_without_amount_are_claim_problems() -> None:
    body = [
        "CLP*CLM-2005*9*150.00*130.00*20.00*12*PCC2005",
        "NM1*QC*1*RIVERA*ANA****MI*M1",
        "SVC*HC:90834*150.00*130.00**1",
        "CAS*PR*2",
    ]
    c = only_claim(parse_835(build(body)))
    assert c.status_code == "9"
    assert any("CLP02" in p for p in c.problems)
    assert any("CAS03" in p for p in c.problems)
    assert c.services[0].adjustments == [Adjustment("PR", "2", 0)]


def test_unknown_segment_inside_a_claim_quarantines_only_that_claim() -> None:
    body = [
        "CLP*CLM-2006*1*150.00*130.00*20.00*12*PCC2006",
        "NM1*QC*1*RIVERA*ANA****MI*M1",
        "ZZZ*SOMETHING",
        "SVC*HC:90834*150.00*130.00**1",
        "CAS*PR*2*20.00",
        *NORMAL_CLAIM,
    ]
    r = parse_835(build(body, total="260.00"))
    first, second = r.claims
    assert any("ZZZ" in p for p in first.problems)
    assert first.paid == 13000  # what could be read is still there
    assert second.problems == ()


def test_non_numeric_amount_is_reported_by_pyx12_and_by_us() -> None:
    body = [
        "CLP*CLM-2007*1*150.00*1X0.00*20.00*12*PCC2007",
        "NM1*QC*1*RIVERA*ANA****MI*M1",
        "SVC*HC:90834*150.00*130.00**1",
        "CAS*PR*2*20.00",
    ]
    c = only_claim(parse_835(build(body)))
    assert c.paid == 0
    assert any("not an amount" in p for p in c.problems)
    assert not c.balances


# --------------------------------------------------------------------------------------------
# Files that are not a valid 835
# --------------------------------------------------------------------------------------------

VALID = build(NORMAL_CLAIM)


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (b"", "empty"),
        ("   \n", "empty"),
        (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj", "not an X12 835"),
        ("Claim,Paid\nCLM-1001,130.00\n", "not an X12 835"),
        (VALID[:106] + "GS*HP*X", "incomplete"),
        (VALID.replace("GS*HP", "GS*HC").replace("005010X221A1", "005010X222A1"), "837 health care claim"),
        (VALID.replace("ST*835", "ST*837"), "837 health care claim"),
        (VALID.replace("005010X221A1", "005010X220A1"), "version 005010X220A1"),
        (VALID.replace("GS*HP", "GS*HS").replace("005010X221A1", "005010X279A1"), "270 eligibility inquiry"),
        (VALID.replace("IEA*1*000009001~\n", "IEA*1*000009001~\nIEA*1*000009001~\n"), "could not be read"),
        (VALID[: VALID.index("SVC*")], "incomplete"),
        (VALID[: VALID.index("GE*")], "incomplete"),
        (VALID.replace("SE*15*0001", "SE*99*0001"), "envelope is damaged"),
        (VALID.replace("GE*1*9001", "GE*1*9002"), "envelope is damaged"),
        (VALID.replace("IEA*1*000009001", "IEA*1*000009009"), "envelope is damaged"),
        (VALID + "JUNK*1~\n", "structure is broken"),
    ],
)
def test_invalid_files_raise_invalid_remittance(data: bytes | str, expected: str) -> None:
    with pytest.raises(InvalidRemittance) as info:
        parse_835(data)
    assert expected in info.value.message


def test_the_valid_baseline_used_above_really_is_valid() -> None:
    r = parse_835(VALID)
    assert r.warnings == ()
    assert only_claim(r).paid == 13000


def test_missing_bpr() -> None:
    header = [h for h in HEADER if not h.startswith("BPR")]
    with pytest.raises(InvalidRemittance) as info:
        parse_835(build(NORMAL_CLAIM, header=header))
    assert "BPR" in info.value.message


def test_missing_trn() -> None:
    header = [h for h in HEADER if not h.startswith("TRN")]
    with pytest.raises(InvalidRemittance) as info:
        parse_835(build(NORMAL_CLAIM, header=header))
    assert "TRN" in info.value.message


def test_missing_payer() -> None:
    header = [h for h in HEADER if not h.startswith(("N1*PR", "N3", "N4", "PER"))]
    with pytest.raises(InvalidRemittance) as info:
        parse_835(build(NORMAL_CLAIM, header=header))
    assert "does not name the payer" in info.value.message


def test_claim_outside_its_lx_loop_is_refused_rather_than_dropped() -> None:
    # Without LX, pyx12 cannot place the CLP in a claim loop; silently skipping it would lose a
    # payment, so the whole file is refused instead.
    with pytest.raises(InvalidRemittance) as info:
        parse_835(build(NORMAL_CLAIM, header=HEADER[:-1]))
    assert "structure is broken" in info.value.message
    assert "CLP" in info.value.message


def test_bpr_amount_with_three_decimals_rejects_the_file() -> None:
    with pytest.raises(InvalidRemittance) as info:
        parse_835(build(NORMAL_CLAIM, total="130.001"))
    assert "BPR02" in info.value.message and "more than 2 decimal places" in info.value.message


def test_missing_check_date_rejects_the_file() -> None:
    header = ["BPR*I*{total}*C*CHK", *HEADER[1:]]
    with pytest.raises(InvalidRemittance) as info:
        parse_835(build(NORMAL_CLAIM, header=header))
    assert "BPR16" in info.value.message


def test_two_payments_in_one_file_are_refused() -> None:
    one = build(NORMAL_CLAIM)
    transaction = one[one.index("ST*") : one.index("GE*")]
    two = one.replace(transaction, transaction + transaction.replace("0001", "0002")).replace("GE*1*", "GE*2*")
    with pytest.raises(InvalidRemittance) as info:
        parse_835(two)
    assert "more than one payment" in info.value.message


def test_invalid_remittance_is_a_422_validation_error() -> None:
    with pytest.raises(ValidationFailed) as info:
        parse_835(b"not x12")
    assert info.value.code == "validation_error"
    assert info.value.status_code == 422


# --------------------------------------------------------------------------------------------
# Input forms
# --------------------------------------------------------------------------------------------


def test_accepts_str_bytes_path_and_streams_crlf_and_bom(tmp_path: Path) -> None:
    text = (FIXTURES / "two_claims.835").read_text()
    crlf_bom = ("\ufeff" + text.replace("\n", "\r\n")).encode("utf-8")
    path = tmp_path / "era.835"
    path.write_bytes(crlf_bom)
    expected = parse_835(text)
    assert parse_835(text.encode()) == expected
    assert parse_835(crlf_bom) == expected
    assert list(iter_claims(path)) == expected.claims
    assert list(iter_claims(io.BytesIO(crlf_bom))) == expected.claims
    assert list(iter_claims(io.StringIO(text))) == expected.claims


def test_caller_owned_binary_stream_is_left_open() -> None:
    stream = io.BytesIO((FIXTURES / "two_claims.835").read_bytes())
    with open_835(stream) as reader:
        assert len(list(reader.claims())) == 2
    assert not stream.closed


def test_single_line_file_without_newlines() -> None:
    text = (FIXTURES / "copay_higher_than_pr.835").read_text().replace("\n", "")
    assert only_claim(parse_835(text)).paid == 13000


def test_amount_conversion_is_exact() -> None:
    body = [
        "CLP*CLM-2008*1*150*150.000*.5*12*PCC2008",
        "NM1*QC*1*RIVERA*ANA****MI*M1",
        "SVC*HC:90834*150*150.000**1",
        "CAS*PR*2*0.5",
        "CAS*CO*45*-0.50",
    ]
    c = only_claim(parse_835(build(body, total="150")))
    assert (c.charge, c.paid, c.patient_responsibility) == (15000, 15000, 50)
    assert c.services[0].adjustments == [Adjustment("PR", "2", 50), Adjustment("CO", "45", -50)]
    assert [format_amount(v) for v in (0, 5, -2000, 15000, 123456)] == ["0", "0.05", "-20.00", "150.00", "1234.56"]


# --------------------------------------------------------------------------------------------
# Generator round trip and streaming
# --------------------------------------------------------------------------------------------


def test_generator_round_trip_with_given_claims() -> None:
    claims = [
        GeneratedClaim(
            claim_ref="CLM-3001",
            charge=15000,
            paid=13000,
            payer_claim_control="ICN3001",
            services=(
                GeneratedService(
                    "90834", 15000, 13000, (Adjustment("CO", "45", 0), Adjustment("PR", "2", 2000)), dt.date(2026, 1, 2)
                ),
            ),
        ),
        GeneratedClaim(
            claim_ref="CLM-3002",
            charge=20000,
            paid=0,
            status_code="4",
            patient_responsibility=0,
            adjustments=(
                *(Adjustment("CO", str(r), 2000) for r in (45, 50, 96, 97, 109, 119, 197)),
                Adjustment("OA", "23", 6000),
            ),
        ),
    ]
    text = generate_835(claims, trace="RT-1", payer="ROUND TRIP PLAN", payer_id="RTP9")
    r = parse_835(text)
    assert (r.payer_name, r.payer_id, r.trace_number, r.payment_total) == ("ROUND TRIP PLAN", "RTP9", "RT-1", 13000)
    assert r.warnings == ()
    first, second = r.claims
    assert (first.claim_ref, first.charge, first.paid, first.patient_responsibility) == ("CLM-3001", 15000, 13000, 2000)
    assert first.payer_claim_control == "ICN3001"
    assert first.services[0].adjustments == list(claims[0].services[0].adjustments)
    assert first.services[0].date == dt.date(2026, 1, 2)
    # Seven CO reasons do not fit one CAS: the generator splits them 6 + 1 and they all come back.
    second_claim = text[text.index("CLP*CLM-3002") :]
    assert second_claim.count("CAS*CO*") == 2
    assert second.adjustments == list(claims[1].adjustments)
    assert (second.status_code, second.paid, second.patient_responsibility) == ("4", 0, 0)
    assert all(c.balances and not c.problems for c in r.claims)


@pytest.mark.parametrize("n", [1, 7, 250])
def test_generator_round_trip_synthetic(n: int) -> None:
    expected = list(synthetic_claims(n))
    r = parse_835(generate_835(n_claims=n))
    assert r.warnings == ()
    assert len(r.claims) == n
    assert r.payment_total == sum(c.paid for c in expected)
    assert r.balances
    for parsed, made in zip(r.claims, expected, strict=True):
        assert parsed.claim_ref == made.claim_ref
        assert (parsed.status_code, parsed.charge, parsed.paid) == (made.status_code, made.charge, made.paid)
        assert parsed.patient_responsibility == made.pr_total
        assert parsed.adjustments == list(made.adjustments)
        assert [(s.procedure_code, s.charge, s.paid, s.date) for s in parsed.services] == [
            (s.procedure_code, s.charge, s.paid, s.date) for s in made.services
        ]
        assert [s.adjustments for s in parsed.services] == [list(s.adjustments) for s in made.services]
        assert parsed.balances and not parsed.problems


def test_generator_envelope_counts_and_totals() -> None:
    text = generate_835(n_claims=3, interchange_control_number=42)
    segments = [s.strip() for s in text.split("~") if s.strip()]
    st, se = segments.index("ST*835*0001"), next(i for i, s in enumerate(segments) if s.startswith("SE*"))
    assert segments[se] == f"SE*{se - st + 1}*0001"
    assert segments[-2:] == ["GE*1*42", "IEA*1*000000042"]
    assert len(segments[0]) + 1 == 106  # the ISA keeps its fixed width
    bpr = next(s for s in segments if s.startswith("BPR*"))
    paid = [s.split("*")[4] for s in segments if s.startswith("CLP*")]
    assert bpr.split("*")[2] == format_amount(sum(int(Decimal(p) * 100) for p in paid))


def test_generator_refuses_a_negative_check_and_delimiters() -> None:
    reversal = GeneratedClaim(claim_ref="CLM-1", charge=-15000, paid=-13000, status_code="22")
    with pytest.raises(ValueError, match="negative"):
        generate_835([reversal])
    with pytest.raises(ValueError, match="delimiter"):
        generate_835([GeneratedClaim(claim_ref="CLM*1", charge=100, paid=100)])


def test_streaming_a_2000_claim_file_reads_lazily(tmp_path: Path) -> None:
    n = 2000
    data = generate_835(n_claims=n).encode()
    stream = io.BytesIO(data)
    with open_835(stream) as reader:
        # The header is known before any claim is read.
        assert reader.header.trace_number == "EFT0000001"
        assert reader.header.payment_total == sum(c.paid for c in synthetic_claims(n))
        claims = reader.claims()
        first = next(claims)
        assert first.claim_ref == "CLM-000001"
        # Only a small window of the file has been read to produce the first claim.
        assert stream.tell() < len(data) // 10
        count, paid = 1, first.paid
        for claim in claims:
            count += 1
            paid += claim.paid
            assert not claim.problems
        assert count == n
        assert paid == reader.header.payment_total
        assert reader.warnings == []


def test_streaming_reports_late_envelope_damage_after_the_claims() -> None:
    damaged = build(NORMAL_CLAIM).replace("IEA*1*000009001", "IEA*1*000000777")
    seen: list[str] = []
    with pytest.raises(InvalidRemittance, match="envelope is damaged"):
        for claim in iter_claims(damaged):
            seen.append(claim.claim_ref)
    assert seen == ["CLM-2001"]  # which is why the importer posts inside one transaction


def test_claims_can_be_read_only_once() -> None:
    with open_835(VALID) as reader:
        list(reader.claims())
        with pytest.raises(RuntimeError):
            list(reader.claims())
