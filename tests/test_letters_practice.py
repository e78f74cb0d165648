"""A practitioner's reading of the letters (issue 14): each test fails on the letters as they were
before it. Legal facts: shared/reference/dhs-foia-facts.md, "Additions of 2026-12-03"."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from foia.cli import cli
from foia.directory import load_directory
from foia.letters import build_letter
from letters_support import OPTIONS, PROFILE, TODAY, refused, shown


@pytest.fixture(scope="module")
def d():
    return load_directory()


def letter(d, kind, office="ice", profile=PROFILE, **extra):
    options = {k: v for k, v in {**OPTIONS[kind], **extra}.items() if v is not None}
    return build_letter(kind, directory=d, office=office, profile=profile, options=options, today=TODAY)


# -- 1. FBI appeals go to DOJ's Office of Information Policy ------------------------------------


def test_fbi_appeal_is_addressed_to_oip_and_cites_28_cfr_16_8(d):
    lt = letter(d, "appeal", "fbi")
    head = lt.text.split("RE:")[0]
    assert "Office of Information Policy\nU.S. Department of Justice\n6th Floor, 441 G Street N.W.\n" \
           "Washington, D.C. 20530-0001" in head
    assert "Federal Bureau of Investigation" not in head.split("November 23, 2026")[1]
    assert "FOIA Appeals Officer" not in lt.text
    assert "(28 CFR 16.8(a); 5 U.S.C. 552(a)(6)(A)(i)(III)(aa))" in lt.text
    assert "which decides appeals of the determinations of the Federal Bureau of Investigation (28 CFR 16.8(a))" \
        in lt.text
    # Filed through FOIA STAR, not eFOIPA.
    assert lt.portal == "https://doj-foia.entellitrak.com/etk-doj-foia-prod/login.request.do"
    assert lt.to_email is None


def test_agencies_show_fbi_names_oip_as_the_appeals_office():
    out = CliRunner().invoke(cli, ["agencies", "show", "fbi"]).output
    assert "Appeals office: Office of Information Policy, U.S. Department of Justice (doj-oip)" in out
    assert "6th Floor, 441 G Street N.W., Washington, D.C. 20530-0001" in out
    assert "28 CFR 16.8(a)" in out


def test_oip_takes_no_requests(d):
    from foia.errors import UsageError

    with pytest.raises(UsageError, match="not a FOIA office"):
        letter(d, "records", "doj-oip")


# -- 2. a records letter about another office's system -----------------------------------------


def test_records_letter_to_an_office_that_does_not_hold_the_system_says_whose_it_is(d):
    lt = letter(d, "records", "fbi", system="icm", subject=None)
    assert "is a system of the Federal Bureau of Investigation" not in lt.text
    assert ("Investigative Case Management (ICM) is a system of Homeland Security Investigations (HSI) of U.S. "
            "Immigration and Customs Enforcement") in lt.text
    assert "I ask for the copies of these records that the Federal Bureau of Investigation holds, for the " \
           "records of its access to ICM" in lt.text


# -- 4. Privacy Act fees ------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["self", "third-party"])
def test_first_and_third_party_letters_concede_copying_fees_only(d, kind):
    media = PROFILE.__class__(**{**PROFILE.to_dict(), "fee_category": "news-media"})
    lt = letter(d, kind, profile=media)
    assert "news media" not in lt.text and "search and duplication" not in lt.text
    assert "allows fees only for making copies of records, not for their search or review (5 U.S.C. 552a(f)(5))" \
        in lt.text
    assert any("fee category (news-media) is not claimed" in w for w in lt.warnings)
    from foia.errors import UsageError

    with refused(UsageError, "--news-media does not apply"):
        letter(d, kind, news_media=True)


# -- 5. the Judicial Redress Act only where the requester says it applies -------------------------


def test_judicial_redress_act_is_not_claimed_for_any_non_citizen(d):
    lt = letter(d, "self")  # a citizen of Mexico, not a designated country as far as foia knows
    assert "Judicial Redress Act Request" not in lt.subject
    assert "under the Judicial Redress Act" not in lt.text
    assert any("pass --judicial-redress if it applies" in shown(w) for w in lt.warnings)
    claimed = letter(d, "self", judicial_redress=True)
    assert claimed.subject.startswith("Privacy Act Request and Freedom of Information Act Request (and Judicial "
                                      "Redress Act Request)")
    assert "under the Judicial Redress Act of 2015, Pub. L. 114-126 (5 U.S.C. 552a note)" in claimed.text


# -- 6. appeals of expedite denials -------------------------------------------------------------


def test_expedite_denial_appeal_asks_for_expeditious_consideration_and_its_own_window(d):
    lt = letter(d, "appeal", grounds=["partial-withholding", "expedite-denied"], expedite_denial_date="2026-08-10")
    assert ("My appeal of the denial of expedited processing of August 10, 2026 is sent within its own time, 90 "
            "working days after that decision (6 CFR 5.8(a)), which ends on December 18, 2026.") in lt.text
    assert "I ask for expeditious consideration of my appeal of the denial of expedited processing " \
           "(5 U.S.C. 552(a)(6)(E)(ii)(II))." in lt.text
    alone = letter(d, "appeal", grounds=["expedite-denied"], determination_date=None,
                   expedite_denial_date="2026-11-10")
    assert "I appeal the denial of expedited processing of November 10, 2026" in alone.text
    assert "Please decide this appeal within 20 working days" not in alone.text
    assert "rest of this appeal" not in alone.text


# -- 7. portal filing with a signed declaration -------------------------------------------------


def test_portal_only_first_party_letter_says_to_attach_the_signed_declaration(d):
    lt = letter(d, "self")
    note = next(w for w in lt.warnings if "attach the signed copy to the portal submission" in w)
    assert "the directory does not say whether this portal takes attachments" in note
    assert not any("sign the declaration by hand" in w for w in lt.warnings)


def test_draft_self_to_ice_does_not_say_paste_an_unsigned_declaration(tmp_path):
    from letters_support import DOB

    prof = tmp_path / "p.yaml"
    prof.write_text("name: Ana Ruiz\naddress: 100 Example Ave, Tucson, AZ 85701\nemail: ana@example.org\n")
    result = CliRunner().invoke(cli, [
        "draft", "self", "--to", "ICE", "--profile", str(prof), "--date-of-birth", DOB, "--place-of-birth",
        "Hermosillo, Mexico", "--citizenship", "Mexico", "--out", str(tmp_path / "out"), "--format", "txt",
        "--format", "docx", "--date", "2026-11-23"])
    assert result.exit_code == 0, result.stderr
    line = next(x for x in result.stderr.splitlines() if x.startswith("ICE: File at"))
    assert "attach the signed copy to the portal submission" in line and "the text: " in line
    assert ": paste " not in line


# -- 11. default systems per office, data brokers ------------------------------------------------


def test_self_letter_to_cbp_searches_tecs_and_ident_hart(d):
    lt = letter(d, "self", "cbp")
    assert "- TECS, system of records notice DHS/CBP-011" in lt.text
    assert "- IDENT / HART, a system of the Office of Biometric Identity Management" in lt.text
    assert "DHS/ALL-041" in lt.text


def test_self_letter_to_ice_lists_ident_hart_and_the_data_brokers_the_directory_knows(d):
    lt = letter(d, "self", "ice")
    assert "- IDENT / HART" in lt.text
    assert ("in commercial data services, including Thomson Reuters CLEAR and LexisNexis (which replaced CLEAR at "
            "ICE in 2021)") in lt.text
    assert "commercial data services" not in letter(d, "self", "cbp").text


# -- 12. wording --------------------------------------------------------------------------------


def test_records_letter_has_no_subject_person_and_falcon_sorn_is_named_once(d):
    lt = letter(d, "records", "ice", system="falcon", subject=None)
    assert "the subject" not in lt.text
    assert "- System of records notice DHS/ICE-018 Analytical Records, 86 FR 15246 (2021-03-22), which replaced " \
           "DHS/ICE-016 (82 FR 20905 (2017))" in lt.text
    assert lt.text.count("DHS/ICE-016") == 1


def test_unconfirmed_sorn_is_understood_not_marked_not_confirmed(d):
    lt = letter(d, "self", "ice")
    assert "(not confirmed)" not in lt.text
    assert "Investigative Case Management (ICM), which I understand to be covered by system of records notice " \
           "DHS/ICE-009" in lt.text
    assert any(w.startswith("unverified: SORN DHS/ICE-009") for w in lt.warnings)


def test_contract_letter_cites_named_sources_only_and_takes_a_date_range(d):
    lt = letter(d, "contract", date_from="2022-09-26", date_to="2026-05-04")
    assert "Other outlets" not in lt.text and "139.3" not in lt.text
    assert any("left out of the letter" in w and "139.3" in w for w in lt.warnings)
    assert "created or received from September 26, 2022 to May 4, 2026" in lt.text


def test_ncic_carries_its_unverified_mark_wherever_it_is_listed(d):
    lt = letter(d, "self", "fbi")
    assert "- National Crime Information Center (NCIC), which I understand to be a system of the Federal Bureau " \
           "of Investigation" in lt.text
    assert any(w.startswith("unverified: NCIC is known to the directory only from") for w in lt.warnings)
    runner = CliRunner()
    assert "National Crime Information Center [unverified]" in runner.invoke(cli, ["systems", "list"]).output
    assert "NCIC (ncic) [unverified]" in runner.invoke(cli, ["agencies", "show", "fbi"]).output


# -- 13, 14. standard paragraphs, accounting of disclosures -----------------------------------------


def test_requests_carry_the_standard_paragraphs_with_their_cites(d):
    lt = letter(d, "records")
    for cite in ("(5 U.S.C. 552(a)(8)(A)(i))", "(5 U.S.C. 552(b))", "(5 U.S.C. 552(a)(6)(F))",
                 "(5 U.S.C. 552(a)(3)(B))", "(5 U.S.C. 552(a)(3)(C))"):
        assert cite in lt.text
    assert "on a rolling basis" in lt.text
    assert "Please preserve the records that respond to this request" in lt.text


@pytest.mark.parametrize("kind", ["self", "third-party"])
def test_privacy_act_letters_ask_for_the_accounting_of_disclosures(d, kind):
    lt = letter(d, kind)
    assert "accounting of disclosures" in lt.text
    assert "(5 U.S.C. 552a(c)(1))" in lt.text and "(5 U.S.C. 552a(c)(3))" in lt.text


def test_overdue_follow_up_and_no_response_appeal_ask_for_no_search_fees_and_name_liaison_and_ogis(d):
    for lt in (letter(d, "follow-up"), letter(d, "appeal", grounds=["no-response"], determination_date=None)):
        assert "no search fees be charged (5 U.S.C. 552(a)(4)(A)(viii))" in lt.text
        assert "Office of Government Information Services can assist in resolving" in lt.text
        assert "(5 U.S.C. 552(l), (h))" in lt.text
    # Not while the determination is still ahead.
    early = letter(d, "follow-up", request_date="2026-11-16", estimated_completion=None)
    assert "552(a)(4)(A)(viii)" not in early.text


# -- 16. exemptions on appeal ---------------------------------------------------------------------


def test_appeal_of_withholdings_argues_each_exemption_and_asks_for_a_page_by_page_list(d):
    lt = letter(d, "appeal", grounds=["partial-withholding"], exemptions=["b7e"])
    assert "For each exemption cited ((b)(7)(E)), I ask you:" in lt.text
    assert "reasonably foresees that disclosure would harm an interest the exemption protects" in lt.text
    assert "(5 U.S.C. 552(a)(8)(A)(i))" in lt.text and "(5 U.S.C. 552(b))" in lt.text
    assert "a list of what was withheld, page by page, with the exemption and the justification for each " \
           "withholding" in lt.text
    assert "The withheld material" not in letter(d, "appeal", grounds=["no-records"]).text


# -- 15. Privacy Act amendment and its appeal ----------------------------------------------------------


def test_amendment_goes_to_the_ice_privacy_office_and_states_the_clock(d):
    lt = letter(d, "amendment")
    assert "Privacy Office\nU.S. Immigration and Customs Enforcement\n500 12th St SW, Stop 5004\n" \
           "Washington, DC 20536-5004" in lt.text
    assert "Under the Privacy Act, 5 U.S.C. 552a(d)(2), I request the amendment of a record about me" in lt.text
    assert "within 10 days (excluding Saturdays, Sundays and legal public holidays)" in lt.text
    assert "I declare under penalty of perjury" in lt.text
    appeal = letter(d, "amendment-appeal")
    assert "5 U.S.C. 552a(d)(3)" in appeal.text and "within 30 days" in appeal.text
    assert any("no address for Privacy Act appeals" in w for w in appeal.warnings)
    from foia.errors import UsageError

    with refused(UsageError, "--refusal-date is before --request-date"):
        letter(d, "amendment-appeal", refusal_date="2026-08-01")
