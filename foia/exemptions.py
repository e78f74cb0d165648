"""The nine FOIA exemptions, 5 U.S.C. 552(b)(1)-(9), and what an appeal asks about each.

None of this is in foia's fact sheet (/work/shared/reference/dhs-foia-facts.md): the words of
each exemption were read from the Reporters Committee for Freedom of the Press's FOIA wiki,
which quotes the statute, and each entry keeps its page's address. Every entry is therefore
``verified = False``, and what foia shows says so. The letter to the agency cites an exemption
by its number only and asks the office to show that it applies; it does not quote these words
(see :data:`UNVERIFIED`), because nothing unverified is stated to an agency as a fact.

What the appeal asks of every exemption is in the fact sheet ("Additions of 2026-12-03") and
is cited in the letter: release of reasonably segregable portions with the exemption marked at
each deletion (552(b), closing sentences) and withholding only where the agency reasonably
foresees harm to an interest the exemption protects (552(a)(8)(A)(i)).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from foia.errors import UsageError

WIKI = "https://foia.wiki/wiki/"
UNVERIFIED = ("UNVERIFIED: not in foia's fact sheet; the words are as the Reporters Committee's FOIA wiki "
              "quotes them. Check them against 5 U.S.C. 552(b) before relying on them.")


@dataclass(frozen=True)
class Exemption:
    key: str            # "(b)(7)(E)"
    name: str           # a few words for a table
    words: str          # the statute's words, as the source quotes them
    source: str         # the page the words were read from
    argument: str       # what the appeal asks the office, for the letter (no quotation)
    verified: bool = False

    @property
    def cite(self) -> str:
        return "5 U.S.C. 552" + self.key

    def as_dict(self) -> dict:
        return {"exemption": self.key, "cite": self.cite, "name": self.name, "words": self.words,
                "source": self.source, "appeal": self.argument, "verified": self.verified}


_LAW = "compiled for law enforcement purposes, but only to the extent that the production of such law enforcement " \
       "records or information"
_SHOW_7 = "to show that each record was compiled for law enforcement purposes, and "
_BALANCE = ("to identify the privacy interest at stake in each withholding, to weigh it against the public interest "
            "in what the records show about the operations or activities of the government, and to release what "
            "that public interest outweighs, including the names and roles of officials acting in their official "
            "capacity unless a particular harm to a particular person is shown")

TABLE: tuple[Exemption, ...] = (
    Exemption("(b)(1)", "classified information",
              "(A) specifically authorized under criteria established by an Executive order to be kept secret in the "
              "interest of national defense or foreign policy and (B) are in fact properly classified pursuant to "
              "such Executive order",
              WIKI + "Exemption_1",
              "to confirm that each passage withheld is in fact properly classified today under the Executive order "
              "in force, to review it for declassification, and to release any portion that is not classified"),
    Exemption("(b)(2)", "internal personnel rules and practices",
              "related solely to the internal personnel rules and practices of an agency",
              WIKI + "Exemption_2",
              "to state, for each passage withheld, the personnel rule or practice it relates to, and to release "
              "anything that does not relate solely to the office's internal personnel rules and practices"),
    Exemption("(b)(3)", "exempted by another statute",
              "specifically exempted from disclosure by statute (other than section 552b of this title), if that "
              "statute (A)(i) requires that the matters be withheld from the public in such a manner as to leave no "
              "discretion on the issue; or (ii) establishes particular criteria for withholding or refers to "
              "particular types of matters to be withheld; and (B) if enacted after the date of enactment of the "
              "OPEN FOIA Act of 2009, specifically cites to this paragraph",
              WIKI + "Exemption_3",
              "to name the statute relied on for each withholding, and to show that the material withheld falls "
              "within that statute's terms"),
    Exemption("(b)(4)", "trade secrets, confidential commercial information",
              "trade secrets and commercial or financial information obtained from a person and privileged or "
              "confidential",
              WIKI + "Exemption_4",
              "to show, for each withholding, that the information was obtained from a person outside the "
              "government and is a trade secret or privileged or confidential commercial or financial information, "
              "and to release the agency's own terms, prices paid and performance records"),
    Exemption("(b)(5)", "inter- and intra-agency memoranda (privileges)",
              "inter-agency or intra-agency memorandums or letters that would not be available by law to a party "
              "other than an agency in litigation with the agency, provided that the deliberative process privilege "
              "shall not apply to records created 25 years or more before the date on which the records were "
              "requested",
              WIKI + "Exemption_5",
              "to name the privilege claimed for each withholding; for the deliberative process privilege, to show "
              "the decision each record preceded and its part in that decision, and to release factual material, "
              "final decisions and any record adopted as the office's position"),
    Exemption("(b)(6)", "personal privacy (personnel, medical and similar files)",
              "personnel and medical files and similar files the disclosure of which would constitute a clearly "
              "unwarranted invasion of personal privacy",
              WIKI + "Exemption_6",
              _BALANCE),
    Exemption("(b)(7)", "law enforcement records",
              "records or information " + _LAW + " ...",
              WIKI + "Exemption_7(A)",
              "to show that each record was compiled for law enforcement purposes, and to name the subparagraph "
              "(A) to (F) relied on for each withholding"),
    Exemption("(b)(7)(A)", "interference with enforcement proceedings",
              "records or information " + _LAW + " (A) could reasonably be expected to interfere with enforcement "
              "proceedings",
              WIKI + "Exemption_7(A)",
              _SHOW_7 + "to identify the pending or prospective proceeding and how disclosure of each record could "
              "interfere with it, and to release what concerns matters that are closed"),
    Exemption("(b)(7)(B)", "fair trial or impartial adjudication",
              "records or information " + _LAW + " (B) would deprive a person of a right to a fair trial or an "
              "impartial adjudication",
              WIKI + "Exemption_7(B)",
              _SHOW_7 + "to identify the trial or adjudication that is pending or imminent and how disclosure would "
              "deprive a person of a fair hearing in it"),
    Exemption("(b)(7)(C)", "personal privacy in law enforcement records",
              "records or information " + _LAW + " (C) could reasonably be expected to constitute an unwarranted "
              "invasion of personal privacy",
              WIKI + "Exemption_7(C)",
              _SHOW_7 + _BALANCE),
    Exemption("(b)(7)(D)", "confidential sources",
              "records or information " + _LAW + " (D) could reasonably be expected to disclose the identity of a "
              "confidential source, including a State, local, or foreign agency or authority or any private "
              "institution which furnished information on a confidential basis, and, in the case of a record or "
              "information compiled by criminal law enforcement authority in the course of a criminal investigation "
              "or by an agency conducting a lawful national security intelligence investigation, information "
              "furnished by a confidential source",
              WIKI + "Exemption_7(D)",
              _SHOW_7 + "to show, for each source, an express assurance of confidentiality or circumstances from "
              "which one can reasonably be inferred"),
    Exemption("(b)(7)(E)", "law enforcement techniques, procedures and guidelines",
              "records or information " + _LAW + " (E) would disclose techniques and procedures for law enforcement "
              "investigations or prosecutions, or would disclose guidelines for law enforcement investigations or "
              "prosecutions if such disclosure could reasonably be expected to risk circumvention of the law",
              WIKI + "Exemption_7(E)",
              _SHOW_7 + "to release techniques and procedures already known to the public (including the names of "
              "commercial databases and tools the office uses, their contracts and costs), and to withhold a "
              "guideline only where the office explains how its disclosure could reasonably be expected to risk "
              "circumvention of the law"),
    Exemption("(b)(7)(F)", "life or physical safety",
              "records or information " + _LAW + " (F) could reasonably be expected to endanger the life or physical "
              "safety of any individual",
              WIKI + "Exemption_7(F)",
              _SHOW_7 + "to identify, with reasonable specificity, the individuals whose life or safety disclosure "
              "would endanger, and how"),
    Exemption("(b)(8)", "financial institution examination reports",
              "contained in or related to examination, operating, or condition reports prepared by, on behalf of, "
              "or for the use of an agency responsible for the regulation or supervision of financial institutions",
              WIKI + "Exemption_8",
              "to show that the office regulates or supervises the financial institution concerned and that each "
              "record is contained in or related to an examination, operating or condition report"),
    Exemption("(b)(9)", "geological data on wells",
              "geological and geophysical information and data, including maps, concerning wells",
              WIKI + "Exemption_9",
              "to show that each record is geological or geophysical information or data concerning wells"),
)
BY_KEY = {e.key: e for e in TABLE}

# b6, (b)(6), b7c, (b)(7)(C), 7(c): an exemption as agencies and requesters write it.
_PATTERN = re.compile(r"^\(?b\)?\s*\(?([1-9])\)?(?:\s*\(?([a-f])\)?)?$", re.I)


def canonical(text: str) -> str | None:
    """``b6``, ``(b)(6)``, ``b7c`` -> ``(b)(6)``, ``(b)(7)(C)``; None when ``text`` is not an exemption."""
    m = _PATTERN.match(text.strip().replace(" ", ""))
    if not m or (m.group(2) and m.group(1) != "7"):
        return None
    return f"(b)({m.group(1)})" + (f"({m.group(2).upper()})" if m.group(2) else "")


def lookup(text: str) -> Exemption:
    """The table's entry for ``text`` (any spelling :func:`canonical` reads)."""
    key = canonical(text)
    if key is None:
        raise UsageError(f"{text!r} is not an exemption; write it like b6, (b)(6) or (b)(7)(C) "
                         "(5 U.S.C. 552(b)(1) to (b)(9))", field="exemption")
    return BY_KEY[key]


def arguments(keys) -> list[dict]:
    """For each cited exemption (canonical keys, in order), what the appeal asks: cite and argument."""
    return [{"cite": BY_KEY[k].cite, "key": k, "argument": BY_KEY[k].argument} for k in keys if k in BY_KEY]


def warning(keys) -> str | None:
    """The line that tells the drafter the exemptions' words and arguments are unverified."""
    cited = [k for k in keys if k in BY_KEY]
    if not cited:
        return None
    pages = ", ".join(dict.fromkeys(BY_KEY[k].source for k in cited))
    return (f"unverified: the words of 5 U.S.C. 552{' and '.join(cited)} and what the appeal asks about "
            f"{'it' if len(cited) == 1 else 'them'} come from {pages}, not from foia's fact sheet; the letter cites "
            "each exemption by number without quoting it. Check the statute before you send this")
