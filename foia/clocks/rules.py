"""Clock rules: how many days each clock runs for an office, and the citations shown with it.

The directory builds one ``ClockRules`` per office (``Directory.clock_rules``) from its ``clock``
entry in agencies.yaml; the defaults are DHS's (6 CFR Part 5) and the statute's. To add a clock
rule: a field here (with its check in ``__post_init__``), the same field in the directory's
``Clock`` record and schema (``foia/directory/records.py``, ``schema.py``), and its use in
``due.py``; a new citation goes below, with its source in the fact sheet.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields

from foia.errors import FoiaError

UNITS = ("working", "calendar")

# Citations shown with each clock (sources: ../shared/reference/dhs-foia-facts.md). The statute
# binds every federal agency; the 6 CFR Part 5 sections are added only for offices whose rules
# come from DHS's regulation (their appeal_rule cites 6 CFR), so an FBI clock is not shown with a
# DHS regulation.
RULE_DETERMINATION = ("5 U.S.C. 552(a)(6)(A)(i)", "6 CFR 5.5(a)")
RULE_MISDIRECTED = ("5 U.S.C. 552(a)(6)(A)(ii)", "6 CFR 5.5(a)")
RULE_TOLLING = "5 U.S.C. 552(a)(6)(A)(ii)(I)-(II)"
RULE_EXTENSION = "5 U.S.C. 552(a)(6)(B)(i)"
RULE_EXPEDITE = ("5 U.S.C. 552(a)(6)(E)(ii)(I)", "6 CFR 5.5(e)(4)")
RULE_APPEAL_FLOOR = "5 U.S.C. 552(a)(6)(A)(i)(III)(aa)"
RULE_APPEAL_DECISION = ("5 U.S.C. 552(a)(6)(A)(ii)", "6 CFR 5.8(d)")
RULE_CLARIFICATION = "6 CFR 5.3(c)"

# Privacy Act amendment (5 U.S.C. 552a(d)(2)-(3); fact sheet, "Additions of 2026-12-03"). The
# statute counts these days itself "excluding Saturdays, Sundays, and legal public holidays": the
# same working days as the FOIA clocks, and they bind every agency, so no office rule changes them.
# They are the agency's deadlines, so extra closures lengthen them (never sue early).
RULE_AMENDMENT_ACK = "5 U.S.C. 552a(d)(2)"
RULE_AMENDMENT_REVIEW = "5 U.S.C. 552a(d)(3)"
AMENDMENT_ACK_WORKING_DAYS = 10
AMENDMENT_REVIEW_WORKING_DAYS = 30


def is_dhs(rules: "ClockRules") -> bool:
    """Whether the office's rules come from DHS's regulation (its appeal rule cites 6 CFR)."""
    return rules.appeal_rule.startswith("6 CFR")


def cite(rules: "ClockRules", rule: tuple[str, str]) -> str:
    """A clock's citation: the statute, and DHS's regulation only for offices under it."""
    statute, dhs = rule
    return f"{statute}; {dhs}" if is_dhs(rules) else statute


@dataclass(frozen=True)
class ClockRules:
    """One office's clock rules. The defaults are DHS's (6 CFR 5.5, 5.8) and the statute's.

    The directory builds one per office (``Agency.clock_rules()``), so state and local clocks
    can be added later as data.
    """

    determination_working_days: int = 20
    misdirected_max_working_days: int = 10
    extension_working_days: int = 10
    expedite_decision_days: int = 10
    expedite_decision_unit: str = "calendar"      # "calendar" | "working"
    appeal_window_days: int = 90
    appeal_window_unit: str = "working"           # "working" | "calendar" (statute floor: 90 calendar days)
    appeal_decision_working_days: int = 20
    clarification_close_working_days: int | None = 30   # None = office has no such rule
    appeal_rule: str = "6 CFR 5.8(a)"             # citation shown in explanations

    # A clock of 0 days would fall due on its start day, which may be a Saturday: never a
    # statutory deadline. Only these two may be 0: no extension allowed; the clock starts on
    # first receipt.
    ZERO_ALLOWED = frozenset({"misdirected_max_working_days", "extension_working_days"})

    def __post_init__(self):
        for f in fields(self):
            value = getattr(self, f.name)
            if f.name.endswith("_unit"):
                if value not in UNITS:
                    raise FoiaError(f"clock rules: {f.name} must be 'working' or 'calendar', not {value!r}")
            elif f.name == "appeal_rule":
                if not isinstance(value, str) or not value.strip():
                    raise FoiaError("clock rules: appeal_rule must be a citation such as '6 CFR 5.8(a)'")
            elif value is None and f.name == "clarification_close_working_days":
                continue
            else:
                least = 0 if f.name in self.ZERO_ALLOWED else 1
                if isinstance(value, bool) or not isinstance(value, int) or value < least:
                    raise FoiaError(f"clock rules: {f.name} must be a whole number of days >= {least}, "
                                    f"not {value!r}")

    def __hash__(self) -> int:
        # The deadline engine's caches hash an office's rules for every request a bulk import
        # derives (twice or more each): the fields' hash is computed once.
        found = self.__dict__.get("_hash")
        if found is None:
            found = hash(tuple(getattr(self, f.name) for f in fields(self)))
            object.__setattr__(self, "_hash", found)
        return found

    def to_dict(self) -> dict:
        return asdict(self)

