"""The context builders of the letters about a request already filed: the follow-up (status
inquiry), the appeal and the OGIS mediation request; and the determination clock they describe."""

from __future__ import annotations

from datetime import date

from foia.errors import UsageError
from foia.letters.context import Section, Warnings, office_context
from foia.letters.options import missing_field, normalize_exemption
from foia.naming import Field as Named
from foia.naming import Text


def _deadlines():
    try:
        from foia.clocks import due as deadlines
    except ImportError:  # pragma: no cover - the deadline engine ships with foia
        return None
    return deadlines


def _calendar(d):
    dl = _deadlines()
    return dl.default_calendar(d.closures) if dl else None


def _as_date(value) -> date | None:
    """A date from the tracker's values (ISO text or a date); None stays None."""
    if value in (None, ""):
        return None
    return value if isinstance(value, date) else date.fromisoformat(str(value))


def _request_ref(o, ctx, kind):
    """What identifies the request in a follow-up or an appeal: its tracking number (the
    office's own), else, when the office never gave one, the filing date, subject and how it
    was sent."""
    for k in ("tracking_number", "request_date", "request_subject", "sent_via", "sent_to"):
        if o.get(k):
            ctx[k] = o[k]
    ctx["other_numbers"] = [n for n in o.get("other_numbers") or [] if n != o.get("tracking_number")]
    ctx["privacy_act"] = bool(o.get("privacy_act"))
    if not o.get("tracking_number") and not o.get("request_date"):
        raise UsageError(Text(f"{kind.name} letter needs the request's tracking number (", Named("tracking_number"),
                              ") or, when the office gave none, the date you filed it (", Named("request_date"), ")"),
                         field="tracking_number")
    if o.get("request_date") and o["request_date"] > ctx["letter_date"]:
        raise UsageError(Text(Named("request_date"), " is after the letter date; give the date you filed the request"),
                         field="request_date")


_TOLLED_ABOUT = {
    # status: (what the agency asked, the clause of 5 U.S.C. 552(a)(6)(A)(ii) that stops the clock)
    "awaiting-clarification": ("for clarification", "I"),
    "awaiting-fees": ("to clarify the fees", "II"),
}


def _determination_context(d, o, ctx, w, today) -> Section | None:
    """The determination clock: the tracker's (receipt, misdirected first receipt, stops while
    the office awaited the requester, extension notice), else counted from the filing date."""
    given = o.get("determination")
    if given is not None and given.get("open") is False:
        return None  # the tracker says the office has answered (or the clock ended otherwise)
    if given is None:
        agency = d.agencies[ctx["office"]["id"]]
        rules = d.clock_rules(agency)
        dl = _deadlines()
        if not o.get("request_date") or rules is None or dl is None:
            return None
        given = {"due": dl.determination_due(o["request_date"], rules=rules, calendar=_calendar(d)).due,
                 "start": o["request_date"], "filed": o["request_date"]}
    due, start = _as_date(given.get("due")), _as_date(given.get("start"))
    filed = _as_date(given.get("filed")) or o.get("request_date")
    received = _as_date(given.get("received"))
    received = received if received and received != filed else None
    first = _as_date(given.get("first_received"))
    if first and start != (received or filed):
        counted_from = "date"  # the misdirected limit started the count before receipt
    elif received and start == received:
        counted_from = "receipt"
    elif start == filed:
        counted_from = "filing"
    else:
        counted_from = "date"
    tolled = []
    for t in given.get("tolled") or ():
        about, clause = _TOLLED_ABOUT.get(t.get("status"), _TOLLED_ABOUT["awaiting-clarification"])
        tolled.append(Section("tolled", {"about": about, "clause": clause, "from": _as_date(t["from"]),
                                         "to": _as_date(t.get("to"))}))
    # A later request for clarification did not stop the time (one may, 552(a)(6)(A)(ii)(I)).
    not_tolled = [Section("not_tolled", {"from": _as_date(t["from"]), "to": _as_date(t.get("to"))})
                  for t in given.get("not_tolled") or ()]
    if due is None:
        w.add("note: the office is awaiting your answer, so the determination clock is stopped "
              "(5 U.S.C. 552(a)(6)(A)(ii)); it runs again once you answer")
    return Section("determination", {
        "due": due, "start": start, "received": received, "first_received": first if counted_from == "date" else None,
        "counted_from": counted_from, "tolled": tolled, "not_tolled": not_tolled,
        "extension_notice": _as_date(given.get("extension_notice")),
        "stopped": due is None, "passed": bool(due and due < today), "due_today": due == today,
    })


_SIDE_DENIED = {"fee-waiver-denial": "a fee waiver", "expedite-denial": "expedited processing"}


def _appeal_section(name: str, given: dict, today: date) -> Section:
    """An appeal awaiting its decision; ``denied``: what a side appeal is of ("my request for a
    fee waiver"), else None."""
    due = _as_date(given.get("due"))
    asked = [_SIDE_DENIED[a] for a in given.get("of") or () if a in _SIDE_DENIED]
    denied = None
    if asked:
        denied = ("the denial of my request for " if len(asked) == 1 else "the denials of my requests for ") + \
            " and for ".join(asked)
    return Section(name, {
        "tracking_number": given.get("tracking_number"), "date": _as_date(given.get("date")),
        "received": _as_date(given.get("received")), "denied": denied,
        "extension_notice": _as_date(given.get("extension_notice")),
        "due": due, "passed": bool(due and due < today), "due_today": due == today,
    })


def build_follow_up(d, o, ctx, w, kind, today):
    _request_ref(o, ctx, kind)
    pending = o.get("pending_appeal")
    if pending:
        ctx["pending_appeal"] = _appeal_section("pending_appeal", pending, today)
        _appeal_route(d, d.agencies[ctx["office"]["id"]], w)
    else:
        det = _determination_context(d, o, ctx, w, today)
        if det is not None:
            ctx["determination"] = det
        if o.get("side_appeal"):
            ctx["side_appeal"] = _appeal_section("side_appeal", o["side_appeal"], today)
        exp = o.get("expedite_decision")
        if exp and _as_date(exp.get("due")):
            due = _as_date(exp["due"])
            ctx["expedite_decision"] = Section("expedite_decision", {
                "due": due, "passed": due < today, "due_today": due == today})
    if o.get("estimated_completion"):
        ctx["estimated_completion"] = o["estimated_completion"]
        ctx["estimate_passed"] = o["estimated_completion"] < today


def _appeal_route(d, agency, w) -> None:
    """Where appeals go, as the directory says (and whether that is confirmed)."""
    appeal, _ = d.inherited(agency, "appeal")
    if appeal is not None:
        w.add(("note: " if appeal.verified else "unverified: ") + "appeal route: " + " ".join(appeal.route.split()))
    else:
        w.add(f"note: the directory gives no appeal route for {agency.abbreviation}; find where its appeals "
              "go before you send this")
    for n in agency.notes:
        if "appeal" in n.text.lower() and not n.verified:
            w.add("unverified: " + n.text)


def build_appeal(d, o, ctx, w, kind, today):
    _request_ref(o, ctx, kind)
    if o.get("details"):
        ctx["details"] = o["details"]
    grounds = o["grounds"]
    ctx["grounds"] = grounds
    ctx["timely"] = False
    agency = d.agencies[ctx["office"]["id"]]
    rules = d.clock_rules(agency)
    dl = _deadlines()
    # The determination appealed is the office's answer to the request; a fee-waiver or an
    # expedite denial is a decision of its own, with its own date, named in its paragraph. Only
    # when nothing else is appealed is such a denial the determination appealed.
    answer_grounds = [g for g in grounds if g not in ("fee-waiver-denied", "expedite-denied", "no-response")]
    denials = {g: o.get(f) for g, f in (("fee-waiver-denied", "fee_waiver_denial_date"),
                                       ("expedite-denied", "expedite_denial_date")) if g in grounds}
    det = o.get("determination_date")
    if det is None and not answer_grounds and "no-response" not in grounds:
        given = [v for v in denials.values() if v]
        det = max(given) if given else None
    if det is None and (answer_grounds or (denials and "no-response" not in grounds)):
        raise missing_field(kind, "determination_date", "the date of the adverse determination")
    if not answer_grounds:
        denials = {g: v or det for g, v in denials.items()}
    side_windows: list[Section] = []
    ctx["side_windows"] = side_windows
    # The appeal of an expedite denial is owed "expeditious consideration" (552(a)(6)(E)(ii)(II)).
    ctx["expeditious"] = "expedite-denied" in grounds
    ctx["others"] = [g for g in grounds if g != "expedite-denied"]
    ctx["timely_what"] = "the determination" if answer_grounds or "fee-waiver-denied" in denials else \
        "the denial of expedited processing"
    for g, on in denials.items():
        what = "fee waiver denial" if g == "fee-waiver-denied" else "expedite denial"
        if on is None:
            option = Named("fee_waiver_denial_date" if g == "fee-waiver-denied" else "expedite_denial_date")
            w.add(Text(f"note: the letter gives no date for the {what}; pass ", option))
            continue
        if on > today:
            raise UsageError(f"the {what} date {on.isoformat()} is after the letter date; give the date on the "
                             "decision")
        ctx["fee_waiver_denial_date" if g == "fee-waiver-denied" else "expedite_denial_date"] = on
        if on != det and rules is not None and dl is not None:
            # Each decision's window runs from its own date: the letter states each one, so an
            # earlier expedite denial is not said to be timely by the determination's later window.
            due = dl.appeal_deadline(on, rules=rules, calendar=_calendar(d)).due
            if due < today:
                w.add(f"late: the appeal window for the {what} of {on.isoformat()} "
                      f"({ctx['clock']['appeal_window']}) ended on {due.isoformat()}")
            else:
                side_windows.append(Section("window", {
                    "what": "the denial of expedited processing" if g == "expedite-denied" else
                            "the denial of the fee waiver", "on": on, "due": due}))
    exemptions = [normalize_exemption(e) for e in o.get("exemptions") or []]
    if exemptions:
        ctx["exemptions"] = list(dict.fromkeys(exemptions))
        if {"withholding", "partial-withholding"} & set(grounds):
            from foia import exemptions as _ex  # what the appeal asks about each (issue 14, item 16)

            ctx["exemption_args"] = _ex.arguments(ctx["exemptions"])
            w.add(_ex.warning(ctx["exemptions"]))
    elif {"withholding", "partial-withholding"} & set(grounds):
        w.add(Text("note: name each exemption the agency cited (", Named("exemptions"), " \"(b)(6)\", "
                   "repeated for each) so the appeal answers each"))
    if det is not None:
        if det > today:
            raise UsageError(Text(Named("determination_date"), " is after the letter date; give the date on the "
                                  "determination"), field="determination_date")
        ctx["determination_date"] = det
        due = o.get("appeal_deadline")
        if due is None and rules is not None and dl is not None:
            due = dl.appeal_deadline(det, rules=rules, calendar=_calendar(d)).due
        if due is not None:
            ctx["appeal_deadline"] = due
            if due < today:
                w.add(f"late: the appeal window ({ctx['clock']['appeal_window']}) ended on {due.isoformat()}; "
                      "the letter does not claim the appeal is timely")
            ctx["timely"] = due >= today
    if "no-response" in grounds:
        silence = _determination_context(d, o, ctx, w, today)
        if silence is not None:
            if silence["stopped"]:
                raise UsageError("a no-response appeal needs an overdue determination (5 U.S.C. 552(a)(6)(C)(i)), "
                                 "and the clock is stopped while the office awaits your answer; answer it instead")
            if not silence["passed"]:
                raise UsageError(f"a no-response appeal needs an overdue determination (5 U.S.C. 552(a)(6)(C)(i)), "
                                 f"and it is not due until {silence['due'].isoformat()}; until then write a "
                                 "status inquiry (a follow-up letter)")
            ctx["determination"] = silence
    if "expedite-denied" in grounds and ctx["office"].get("dhs"):
        w.add("note: a denial of expedited processing may also be taken to court directly (6 CFR 5.8(e))")
    if ctx["privacy_act"]:
        for a in d.lineage(agency):
            for n in a.notes:
                if "privacy act appeal" in n.text.lower() and not n.verified:
                    w.add("unverified: " + " ".join(n.text.split()) + " The letter does not cite it.")
    _appeal_route(d, agency, w)


def build_mediation(d, o, ctx, w, kind, today):
    ctx["disputed"] = office_context(d, d.agencies[ctx["about"]["filing_id"]], "request", Warnings())
    ctx.update({k: o[k] for k in ("tracking_number", "request_date", "request_subject", "dispute") if k in o})


