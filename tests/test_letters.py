"""Letters from the library: every kind for every office, the legal content each must carry,
warnings for unverified directory facts, and clean failures for missing or bad input."""

from __future__ import annotations

import os
import stat
from datetime import date

import pytest

from foia.directory import load_directory
from foia.errors import FoiaError, UsageError
from foia.letters import KINDS, build_letter, default_stem, letter_bytes, write_letter
from letters_support import A_NUMBER, DOB, OPTIONS, PROFILE, TODAY, refused, shown


@pytest.fixture(scope="module")
def d():
    return load_directory()


def letter(d, kind, office="ice", profile=PROFILE, **changes):
    options = {**OPTIONS[kind], **changes}
    return build_letter(kind, directory=d, office=office, profile=profile, options=options, today=TODAY)


def _cases():
    d = load_directory()
    return [(k, a) for k in KINDS for a in d.agencies if KINDS[k].applies_to(d.agencies[a])]


@pytest.mark.parametrize("kind,office", _cases())
def test_every_kind_renders_for_every_office_it_applies_to(d, kind, office):
    lt = letter(d, kind, office)
    agency = d.agency(office)
    filing = d.filing_office(agency)
    addressee = d.agency("ogis") if kind == "mediation" else filing
    assert lt.kind == kind and lt.office_id == addressee.id
    assert lt.subject and lt.text.count("RE: " + lt.subject) == 1
    # Addressed to the filing office (OGIS for mediation), signed by the requester.
    assert (addressee.office or addressee.name) in lt.text or addressee.name in lt.text
    assert lt.text.rstrip().endswith("Researcher\nBorder Data Project")
    assert "\ue000" not in lt.text + lt.markdown
    # DHS's regulation is cited only to offices under it.
    dhs = d.inherited(addressee, "regulation")[0] is not None
    if not dhs:
        assert "6 CFR" not in lt.text
    elif KINDS[kind].request or kind == "appeal":
        assert "6 CFR" in lt.text


def test_records_from_a_system_lists_its_categories_and_privacy_documents(d):
    lt = build_letter("records", directory=d, office="ice", profile=PROFILE, options={"system": "falcon"},
                      today=TODAY)
    falcon = d.system("falcon")
    assert lt.subject == f"Freedom of Information Act Request: {falcon.name} ({falcon.abbreviation})"
    # A records letter has no subject person: the audit-log category loses "about the subject of
    # the request", the others are listed as the directory has them.
    for cat in falcon.record_categories:
        if "subject" in cat:
            assert cat not in lt.text
        else:
            assert f". {cat}\n" in lt.text
    assert ". audit logs of FALCON searches\n" in lt.text
    for pia in falcon.pias:
        assert pia.id in lt.text
    assert "Under the Freedom of Information Act, 5 U.S.C. 552, and 6 CFR Part 5" in lt.text


def test_records_for_a_vendor_names_its_known_awards_and_default_categories(d):
    lt = build_letter("records", directory=d, office="ice", profile=PROFILE, options={"vendor": "palantir"},
                      today=TODAY)
    assert "communications between U.S. Immigration and Customs Enforcement and Palantir Technologies" in lt.text
    assert "70CTD022FR0000170" in lt.text
    assert any(w.startswith("unverified: award number 70CTD022FR0000170") for w in lt.warnings)


def test_records_needs_something_to_ask_for(d):
    with refused(UsageError, "--subject, --system or --vendor"):
        build_letter("records", directory=d, office="ice", profile=PROFILE, options={}, today=TODAY)


def test_directorate_is_addressed_to_ice_and_named_in_the_letter(d):
    lt = letter(d, "records", "HSI")
    assert lt.office_id == "ice" and lt.about_id == "hsi"
    assert "This request is for records of Homeland Security Investigations (HSI)" in lt.text
    assert "ICE FOIA Office\nU.S. Immigration and Customs Enforcement\n500 12th Street SW, Stop 5009" in lt.text
    assert default_stem(lt) == "2026-11-23-hsi-records"


def test_portal_only_offices_say_so_and_keep_the_mail_address_as_fallback(d):
    lt = letter(d, "records", "ice")
    assert lt.portal_only and lt.portal == "https://www.dhs.gov/foia"
    assert lt.to_email == "ice-foia@ice.dhs.gov"
    fbi = letter(d, "records", "fbi")
    assert not fbi.portal_only and fbi.portal == "https://efoia.fbi.gov"


def test_unverified_contacts_are_flagged_and_conflicting_ones_left_out(d):
    obim = letter(d, "records", "obim")
    assert "245 Murray Lane SW" in obim.text
    assert any(w.startswith("unverified: OBIM mail 245 Murray Lane SW") for w in obim.warnings)
    cbp = letter(d, "records", "cbp")
    # CBP's two mailing addresses conflict and neither is verified: neither goes in the letter.
    assert "90 K St NE" not in cbp.text and "1300 Pennsylvania" not in cbp.text
    assert any("CBP mail conflict" in w for w in cbp.warnings)
    ice = letter(d, "records", "ice")
    assert not [w for w in ice.warnings if w.startswith("unverified: ICE")]


def test_self_request_carries_the_identity_block_declaration_and_both_statutes(d):
    lt = letter(d, "self", "ice")
    text = lt.text
    assert lt.subject.startswith("Privacy Act Request and Freedom of Information Act Request")
    # A citizen of Mexico: the Judicial Redress Act is claimed only when the user says it applies
    # (it covers citizens of designated countries only, Pub. L. 114-126).
    assert "Judicial Redress Act" not in lt.subject
    assert "the Privacy Act, 5 U.S.C. 552a(d)(1), and the Freedom of Information Act, 5 U.S.C. 552" in text
    assert "(6 CFR 5.20(a)(1))" in text and "(86 FR 15246)" in text
    assert "Verification of identity (6 CFR 5.21(e))" in text
    for line in ("Full name: Ana Ruiz", "Current address: 100 Example Ave, Suite 2, Tucson, AZ 85701",
                 "Date of birth: April 9, 1988", "Place of birth: Hermosillo, Mexico",
                 "Country of citizenship or residency: Mexico", f"A-Number: {A_NUMBER}"):
        assert line + "\n" in text
    assert ("I declare under penalty of perjury that the foregoing is true and correct.\n\n"
            "Executed on November 23, 2026.") in text
    # The first-party systems ICE holds, by default; IDENT/HART is OBIM's, and its department-wide
    # SORNs (DHS/ALL-041, -043) cover the biometrics ICE holds too.
    for name in ("ENFORCE", "Investigative Case Management", "FALCON", "license plate", "Alien File"):
        assert name in text
    assert "- IDENT / HART, a system of the Office of Biometric Identity Management (the records of it that you " \
           "hold or obtained)" in text
    assert ("note: ICE asks first-person and third-party requesters for its Certification of Identity form. (form "
            "number and download link not on file: the fact sheet names the form only; ICE FOIA page "
            "https://www.ice.gov/foia)") in lt.warnings


def test_self_outside_the_us_uses_the_1746_foreign_wording(d):
    lt = letter(d, "self", "ice", outside_us=True)
    assert ("I declare under penalty of perjury under the laws of the United States of America that the "
            "foregoing is true and correct.") in lt.text


def test_self_for_a_us_citizen_does_not_invoke_the_judicial_redress_act(d):
    lt = letter(d, "self", "uscis", citizenship="United States")
    assert "Judicial Redress" not in lt.text


def test_self_to_obim_searches_ident_hart(d):
    lt = letter(d, "self", "obim")
    assert f"- {d.system('ident-hart').name}" in lt.text
    assert "DHS/ALL-041" in lt.text


def test_self_to_the_fbi_cites_the_statutes_only(d):
    lt = letter(d, "self", "fbi")
    assert "6 CFR" not in lt.text and "86 FR" not in lt.text
    assert "5 U.S.C. 552a(d)(1)" in lt.text and "28 U.S.C. 1746" in lt.text


def test_self_takes_name_and_address_from_the_profile_but_needs_the_rest(d):
    with pytest.raises(UsageError) as err:
        build_letter("self", directory=d, office="ice", profile=PROFILE,
                     options={"place_of_birth": "X", "citizenship": "Mexico"}, today=TODAY)
    assert "date of birth" in err.value.message and "--date-of-birth" in shown(err.value)
    with pytest.raises(UsageError) as err:
        build_letter("self", directory=d, office="ice", profile=None,
                     options={**OPTIONS["self"], "requester_name": "Ana Ruiz", "requester_email": "a@example.org"},
                     today=TODAY)
    assert "--address or set address in your profile" in shown(err.value)


def test_bad_pii_is_refused_without_echoing_it(d):
    with pytest.raises(UsageError) as err:
        letter(d, "self", date_of_birth="1988-13-45")
    assert "--date-of-birth" in shown(err.value) and "1988-13-45" not in err.value.message


def test_third_party_has_the_subjects_consent_and_declaration(d):
    lt = letter(d, "third-party", "ice")
    assert "records about Luis Ortega" in lt.subject
    assert "Judicial Redress" not in lt.text  # the subject is a U.S. citizen
    assert "I am the subject's attorney." in lt.text
    assert "Consent to release (6 CFR 5.21(g))" in lt.text
    assert "I, Luis Ortega, consent to the release to Ana Ruiz of Border Data Project" in lt.text
    assert "Executed on ____________________." in lt.text
    assert any("subject must sign" in w for w in lt.warnings)


def test_third_party_for_a_deceased_subject_needs_proof_of_death_not_consent(d):
    lt = build_letter("third-party", directory=d, office="ice", profile=PROFILE,
                      options={"subject_full_name": "Luis Ortega", "subject_deceased": True}, today=TODAY)
    assert "The subject has died; proof of death is enclosed (6 CFR 5.21(g))." in lt.text
    assert "Consent to release" not in lt.text
    with refused(UsageError, "subject-deceased"):
        build_letter("third-party", directory=d, office="ice", profile=PROFILE,
                     options={"subject_full_name": "Luis Ortega"}, today=TODAY)


def test_follow_up_quotes_the_tracking_number_and_asks_for_the_estimated_date(d):
    lt = letter(d, "follow-up", "ice", estimated_completion="2026-10-30")
    assert lt.subject == "Status of Freedom of Information Act request 2026-ICFO-01234"
    assert "filed on August 3, 2026" in lt.text
    assert "an estimated date on which you will complete action on it, as 5 U.S.C. 552(a)(7)(B) requires" in lt.text
    from foia.clocks.due import determination_due

    due = determination_due(date(2026, 8, 3), rules=d.clock_rules(d.agency("ice"))).due
    assert f"ended on {due:%B} {due.day}, {due.year}" in lt.text
    assert "You gave October 30, 2026 as the estimated date of completion, and that date has passed." in lt.text
    assert not lt.portal_only  # the portal rule is for requests


def test_appeal_is_marked_and_states_the_window_from_the_directory(d):
    from foia.clocks.due import appeal_deadline

    lt = letter(d, "appeal", "ice")
    assert lt.subject.startswith("Freedom of Information Act Appeal")
    due = appeal_deadline(date(2026, 11, 2), rules=d.clock_rules(d.agency("ice"))).due
    assert (f"within the time allowed, 90 working days after the determination (6 CFR 5.8(a)), which ends on "
            f"{due:%B} {due.day}, {due.year}") in lt.text
    assert "citing exemptions (b)(6) and (b)(7)(C) of 5 U.S.C. 552" in lt.text
    assert "reasonably described the records (5 U.S.C. 552(a)(3)(A))" in lt.text
    assert "(5 U.S.C. 552(a)(6)(A)(ii); 6 CFR 5.8(d))" in lt.text
    assert lt.text.split("\n\n")[2].startswith("FOIA Appeals Officer\nU.S. Immigration and Customs Enforcement")
    assert any(w.startswith("unverified: The address and email of ICE's appeals office") for w in lt.warnings)


@pytest.mark.parametrize("ground,phrase", [
    ("withholding", "withheld the requested records in full"),
    ("partial-withholding", "released the records only in part"),
    ("inadequate-search", "The search was not adequate."),
    ("no-records", "answered that it found no records"),
    ("fee-waiver-denied", "denied my request for a fee waiver"),
    ("expedite-denied", "denied my request for expedited processing"),
    ("no-response", "5 U.S.C. 552(a)(6)(C)(i)"),
])
def test_each_appeal_ground_has_its_paragraph(d, ground, phrase):
    lt = letter(d, "appeal", "ice", grounds=[ground])
    assert phrase in lt.text


def test_fbi_appeal_goes_to_doj_oip_within_90_calendar_days(d):
    lt = letter(d, "appeal", "fbi")
    assert "90 calendar days after the determination (28 CFR 16.8(a); 5 U.S.C. 552(a)(6)(A)(i)(III)(aa))" in lt.text
    assert any("Office of Information Policy" in w for w in lt.warnings)


def test_late_appeal_is_reported_and_not_called_timely(d):
    lt = letter(d, "appeal", "ice", determination_date="2025-01-02")
    assert "within the time allowed" not in lt.text
    assert any(w.startswith("late: the appeal window (90 working days) ended on") for w in lt.warnings)


def test_appeal_without_a_determination_date_only_for_no_response(d):
    with refused(UsageError, "--determination-date"):
        letter(d, "appeal", determination_date=None, grounds=["no-records"])
    lt = letter(d, "appeal", determination_date=None, grounds=["no-response"])
    assert "I appeal the failure to make a determination" in lt.text


def test_appeal_exemptions_are_checked(d):
    with pytest.raises(UsageError, match=r"write it like \(b\)\(5\)"):
        letter(d, "appeal", exemptions=["(b)(10)"])


def test_mediation_goes_to_ogis_about_the_agency_in_dispute(d):
    lt = letter(d, "mediation", "hsi")
    assert lt.office_id == "ogis" and lt.to_email == "ogis@nara.gov"
    assert "nonexclusive alternative to litigation (5 U.S.C. 552(h))" in lt.text
    assert "a dispute with U.S. Immigration and Customs Enforcement" in lt.text
    assert "records of Homeland Security Investigations (HSI)" in lt.text
    assert default_stem(lt) == "2026-11-23-ogis-hsi-mediation"
    with pytest.raises(UsageError, match="agency in dispute"):
        letter(d, "mediation", "ogis")


def test_contract_lists_each_claim_with_its_source_and_marks_unconfirmed_ones(d):
    lt = letter(d, "contract", "ice")
    assert lt.subject == "Freedom of Information Act Request: award 70CTD022FR0000170 (Palantir Technologies)"
    assert "(parent award GS35F0086U)" in lt.text
    assert "total $150,703,824.61, 2022-09-26 to 2026-05-04. Source: USAspending figures as cited by third parties (unconfirmed)." in lt.text
    assert any(w.startswith("conflict: palantir-icm-om-2022") for w in lt.warnings)
    only = letter(d, "contract", "ice", verified_only=True)
    assert "unconfirmed" not in only.text


def test_contract_accepts_usaspending_details(d):
    detail = {"piid": "70CMSD21C00000001", "parent_piid": None, "recipient": "LexisNexis Risk Solutions",
              "amount": "16800000", "start_date": "2021-02-25", "end_date": "2026-02-24",
              "description": "Data services", "modifications": [{"n": 1}, {"n": 2}]}
    lt = build_letter("contract", directory=d, office="ice", profile=PROFILE,
                      options={"award": "70CMSD21C00000001", "award_detail": detail}, today=TODAY)
    assert "- Amount: $16,800,000\n" in lt.text and "- Modifications listed: 2\n" in lt.text
    assert "between U.S. Immigration and Customs Enforcement and LexisNexis Risk Solutions" in lt.text


def test_contract_defaults_to_the_directory_when_unknown(d):
    lt = build_letter("contract", directory=d, office="ice", profile=PROFILE, options={"award": "HSCETC-15-X"},
                      today=TODAY)
    assert "award HSCETC-15-X" in lt.text
    assert any("not in the directory" in w for w in lt.warnings)


def test_fee_waiver_argues_the_5_11_k_factors_from_the_profile(d):
    lt = letter(d, "records", "ice", fee_waiver=True, fee_limit="75")
    t = lt.text
    assert "(5 U.S.C. 552(a)(4)(A)(iii))" in t and "6 CFR 5.11(k)" in t
    for factor in ("factor (i)", "(Factor (ii).)", "(Factor (iii).)", "(Factor (iv).)", "5.11(k)(3)", "5.11(k)(4)"):
        assert factor in t
    assert PROFILE.dissemination in t and PROFILE.publication_record in t
    assert "I agree to pay fees of up to $75 if my request for a fee waiver is denied." in t


def test_fee_waiver_profile_statements_read_as_sentences(d):
    """Profile fields are typed without a final period as often as with one."""
    profile = PROFILE.__class__(**{**PROFILE.to_dict(), "dissemination": "I will publish the records online",
                                   "publication_record": "Reporter at the Example Ledger since 2019"})
    lt = letter(d, "records", profile=profile, fee_waiver=True)
    assert ("persons interested in the subject. How I will share the records: I will publish the records online. "
            "My publication record: Reporter at the Example Ledger since 2019. (Factor (iii).)") in lt.text


def test_fee_waiver_needs_a_dissemination_statement(d):
    profile = PROFILE.__class__(**{**PROFILE.to_dict(), "dissemination": None})
    with pytest.raises(UsageError) as err:
        letter(d, "records", profile=profile, fee_waiver=True)
    assert "--requester-dissemination or set dissemination in your profile" in shown(err.value)


def test_expedite_states_grounds_and_certifies(d):
    lt = letter(d, "records", "ice", expedite_grounds=["urgency", "due-process"],
                expedite_statement="Arrests using these records are happening this month.")
    t = lt.text
    assert "urgency to inform the public concerning actual or alleged Federal Government activity" in t
    assert "(5 U.S.C. 552(a)(6)(E)(v)(II); 6 CFR 5.5(e), ground (ii))" in t
    assert "loss of substantial due process rights (6 CFR 5.5(e), ground (iii))" in t
    assert "true and correct to the best of my knowledge and belief (5 U.S.C. 552(a)(6)(E)(vi))" in t
    assert "within 10 calendar days (5 U.S.C. 552(a)(6)(E)(ii)(I); 6 CFR 5.5(e)(4))" in t


def test_expedite_needs_grounds_and_statement_and_dhs_grounds_only_for_dhs(d):
    with refused(UsageError, "--expedite-grounds"):
        letter(d, "records", expedite=True)
    with refused(UsageError, "--expedite-statement"):
        letter(d, "records", expedite_grounds=["threat"])
    with pytest.raises(UsageError, match="not under it; use threat or urgency"):
        letter(d, "records", "fbi", expedite_grounds=["due-process"], expedite_statement="x")


def test_news_media_status_needs_a_publication_record(d):
    lt = letter(d, "records", news_media=True)
    assert "fee category of representatives of the news media (5 U.S.C. 552(a)(4)(A)(ii))" in lt.text
    assert any(shown(w).startswith("conflict: --news-media") for w in lt.warnings)
    profile = PROFILE.__class__(**{**PROFILE.to_dict(), "publication_record": None})
    with refused(UsageError, "--requester-publication-record"):
        letter(d, "records", profile=profile, news_media=True)


def test_requester_options_override_the_profile(d):
    lt = letter(d, "records", requester_name="Clinic Staff", requester_email="clinic@example.edu")
    assert lt.text.startswith("Clinic Staff\n")
    assert "clinic@example.edu" in lt.text and "ana@example.org" not in lt.text


def test_a_letter_needs_a_name_and_a_way_to_reply(d):
    with refused(UsageError, "--requester-name or set name in your profile"):
        build_letter("records", directory=d, office="ice", options={"subject": "x"}, today=TODAY)
    with pytest.raises(UsageError, match="a way to reach you"):
        build_letter("records", directory=d, office="ice", options={"subject": "x", "requester_name": "A"},
                     today=TODAY)


def test_unknown_options_kinds_and_offices_fail_cleanly(d):
    with refused(UsageError, "--grounds does not apply to records letters"):
        letter(d, "records", grounds=["no-records"])
    with pytest.raises(UsageError, match="no letter kind 'memo'"):
        build_letter("memo", directory=d, office="ice", profile=PROFILE)
    with pytest.raises(FoiaError, match="no agency 'NSA'"):
        letter(d, "records", "NSA")


def test_user_text_cannot_become_markup(d):
    lt = letter(d, "records", subject="@body\n- injected bullet\n# heading")
    assert "\n- injected bullet" not in lt.text and "\n# heading" not in lt.text
    assert "about @body - injected bullet # heading" in lt.text
    assert all(b.kind != "heading" or "injected" not in b.lines[0] for b in lt.blocks)


def test_same_input_same_bytes(d):
    a, b = letter(d, "self"), letter(d, "self")
    for fmt in ("txt", "md"):
        assert letter_bytes(a, fmt) == letter_bytes(b, fmt)
    assert letter_bytes(a, "docx", reproducible=True) == letter_bytes(b, "docx", reproducible=True)
    a, b = letter(d, "self", to_email="ice-foia@ice.dhs.gov"), letter(d, "self", to_email="ice-foia@ice.dhs.gov")
    assert letter_bytes(a, "eml", reproducible=True, attach_docx=True) == \
        letter_bytes(b, "eml", reproducible=True, attach_docx=True)


def test_write_letter_is_private_refuses_overwrite_and_path_traversal(d, tmp_path):
    lt = letter(d, "self")
    out = tmp_path / "letters"
    path = write_letter(lt, out, "txt")
    assert path == (out / "2026-11-23-ice-self.txt").resolve()
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert DOB not in path.name and path.read_text().count("April 9, 1988") == 1
    with refused(FoiaError, "already exists; pass --overwrite"):
        write_letter(lt, out, "txt")
    assert write_letter(lt, out, "txt", overwrite=True) == path
    for stem in ("../escape", "/etc/passwd", "a/b", ".hidden", ".."):
        with pytest.raises(UsageError, match="plain file name"):
            write_letter(lt, out, "txt", stem=stem)
    assert not (tmp_path / "escape.txt").exists()
    with pytest.raises(UsageError, match="choose one of txt, md, docx, eml"):
        write_letter(lt, out, "pdf")


def test_eml_needs_an_email_address(d, tmp_path):
    lt = letter(d, "records", "cbp")
    assert lt.to_email is None
    with pytest.raises(FoiaError, match="CBP FOIA has no email address in the directory"):
        write_letter(lt, tmp_path, "eml")
    assert not list(tmp_path.iterdir())
    given = letter(d, "records", "cbp", to_email="foia@example.gov")
    assert given.to_email == "foia@example.gov"


def test_bad_requester_fee_category_names_the_option(d):
    with refused(UsageError, "--requester-fee-category: 'rich' is not a fee category"):
        letter(d, "records", requester_fee_category="rich")


def test_a_letter_is_an_immutable_value_whose_text_is_made_once():
    d = load_directory()
    args = dict(directory=d, office="ice", profile=PROFILE, options=OPTIONS["records"], today=TODAY)
    lt, again = build_letter("records", **args), build_letter("records", **args)
    assert lt == again and lt != build_letter("records", **{**args, "office": "cbp"})
    with pytest.raises(AttributeError, match="immutable"):
        lt.subject = "changed"
    with pytest.raises(TypeError):
        hash(lt)
    assert lt.text is lt.text and lt.text.startswith("Ana Ruiz\n") and lt.markdown is lt.markdown
    assert repr(lt).startswith("Letter(kind='records', office_id='ice', ")
