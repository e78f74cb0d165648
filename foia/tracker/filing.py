"""Filing from a letter (`foia draft ... --track`) and the tracker's follow-up and appeal letters:
the use cases that join the letters and the tracker."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any, Sequence

from foia.errors import FoiaError, MoveRefused, NotFound, UsageError
from foia.letters import KINDS, same_name
from foia.naming import Field as Named
from foia.naming import Text
from foia.parse import parse_date
from foia.tracker import derive as dv
from foia.tracker import lifecycle as lc
from foia.tracker.models import events, requests
from foia.tracker.store import Store, open_store
from foia.tracker.appeals import APPEAL_GROUND_FOR, appealable, remand_refusal
from foia.tracker.fields import REQUESTER_CONTACT_KEYS
from foia.tracker.service import Tracker


def tracked_title(letter) -> str:
    """The queue title of a request filed from ``letter``. Titles are printed by list, show and
    due, exported with --redact and kept by purge (they are not identity fields), so a
    first-party or third-party request is titled by what it asks and where, never by whom it is
    about: not the letter's RE line, which names the person."""
    fields = getattr(letter, "fields", None) or {}
    about = fields.get("about") or {}
    where = about.get("abbreviation") or getattr(letter, "office_name", "")
    kind = KINDS.get(letter.kind)
    if kind is not None and kind.client_prefix is not None:
        # Not the Judicial Redress Act either: the letter cites it for non-citizens only, so in
        # a title it would tell a reader the client's citizenship.
        who = "Third-party" if kind.client_prefix else "First-party"
        acts = " (Privacy Act + FOIA)" if kind.privacy_act else ""
        return f"{who} request{acts} to {where}"
    if fields.get("subject"):
        return f"Records about {fields['subject']}"
    return getattr(letter, "subject", None) or f"{letter.kind} to {getattr(letter, 'office_name', where)}"


def _asked(value) -> bool:
    """Whether a letter asked for something: a flag, or a section like {"requested": True, ...}."""
    if isinstance(value, dict):
        return bool(value.get("requested"))
    return bool(value)


def find_filed(tracker: Tracker, letter, *, filed_on=None) -> int | None:
    """The request already recorded for this very letter (same office, kind, filing date and
    text, not purged), or None: running the same `foia draft ... --track` twice files it once."""
    from sqlalchemy import select

    day = parse_date(filed_on, "filed_on") if filed_on else tracker.today()
    r = requests.c
    with tracker.store.read() as conn:
        found = conn.execute(select(r.id).where(
            r.office == (letter.about_id or letter.office_id), r.kind == letter.kind, r.filed_on == day,
            r.letter_text == letter.text, r.purged_at.is_(None)).order_by(r.id).limit(1)).scalar()
    return found


def file_request(store_or_url, *, letter, title: str | None = None, requester: str | None = None,
                 sent_via: str | None = None, filed_on=None, draft: bool = False, directory=None,
                 client_name: str | None = None, client_dob=None, client_a_number: str | None = None,
                 assignee: str | None = None, tags: Sequence[str] = (), fee_category: str | None = None,
                 fee_limit=None, fee_waiver: bool | None = None, expedite: bool | None = None,
                 systems: Sequence[str] = (), vendors: Sequence[str] = (), contracts: Sequence[str] = (),
                 by: str | None = None, today: date | None = None, requester_contact: dict | None = None,
                 message_id: str | None = None) -> int:
    """Record the request a letter (``foia.letters.Letter``) makes, with the letter's text, the
    requester's contact details on it (unless ``requester_contact`` is given) and the office's
    contact details as they are now; returns the request id.

    ``store_or_url``: a Store, a Tracker, a URL or None (FOIA_DB / the default file). The
    request is submitted on ``filed_on`` (default today) unless ``draft``. Fields the letter
    knows (fee category, fee waiver, expedite, fee limit) are taken from it unless given. The
    title defaults to :func:`tracked_title`, which names no person.
    """
    if isinstance(store_or_url, Tracker):
        tracker = store_or_url
    else:
        store = store_or_url if isinstance(store_or_url, Store) else open_store(store_or_url)
        tracker = Tracker(store, directory=directory, today=today)
    fields = dict(getattr(letter, "fields", None) or {})

    def pick(given, *names):
        if given not in (None, (), [], ""):
            return given
        for n in names:
            v = fields.get(n)
            if v not in (None, "", [], ()):
                return v
        return None

    if sent_via is None:
        sent_via = "portal" if getattr(letter, "portal_only", False) or (
            getattr(letter, "portal", None) and not getattr(letter, "to_email", None)) else (
            "email" if getattr(letter, "to_email", None) else None)
    fee_cat = pick(fee_category, "fee_category")
    if isinstance(fee_cat, dict):
        fee_cat = fee_cat.get("code")
    limit = pick(fee_limit, "fee_limit")
    change = tracker.add(
        title=title or tracked_title(letter),
        office=letter.about_id or letter.office_id, kind=letter.kind, draft=draft, on=filed_on, requester=requester,
        client_name=client_name, client_dob=client_dob, client_a_number=client_a_number,
        assignee=assignee, tags=tags, letter_text=letter.text, sent_via=sent_via,
        fee_category=fee_cat if isinstance(fee_cat, str) else None,
        fee_limit=limit if isinstance(limit, (str, int, float, Decimal)) and not isinstance(limit, bool) else None,
        fee_waiver=_asked(pick(fee_waiver, "fee_waiver")), expedite=_asked(pick(expedite, "expedite")),
        systems=systems, vendors=vendors, contracts=contracts, by=by, message_id=message_id,
        requester_contact=requester_contact if requester_contact is not None else {
            k: (fields.get("requester") or {}).get(k) for k in REQUESTER_CONTACT_KEYS},
    )
    return change.request_id


# ---------------------------------------------------------------------------------------------
# Letters from a request's state: `foia track followup` and `foia track appeal`


def _numbers(numbers: Sequence[dict]) -> tuple[str | None, list[str], list[str]]:
    """The request's own number (the office's ``assigned`` one, else a ``split`` one, else any
    other but an appeal number), its other numbers, and the appeal numbers; latest first wins."""
    own = [n for n in numbers if n["reason"] != "appeal"]
    main = None
    for reason in ("assigned", "split"):
        found = [n for n in own if n["reason"] == reason]
        if found:
            main = found[-1]
            break
    if main is None and own:
        main = own[-1]
    others = [n["number"] for n in own if n is not main]
    return (main["number"] if main else None), others, [n["number"] for n in numbers if n["reason"] == "appeal"]


def _request_subject(info: dict) -> str | None:
    """What the request asked for, as "... for <this>" reads, described as it was filed: the RE
    line of the letter sent (kept with the request), else a title `foia draft --track` gave from
    the letter's subject. A title typed into the queue is the team's own label ("ICE Palantir
    ImmigrationOS contract"), not what the office received: then None, and the letter identifies
    the request by its number and filing date. Titles name no person (they are not identity
    fields), so a first-party or third-party request is described from its kind."""
    if info.get("kind") == "self":
        return "records about me"
    if info.get("kind") == "third-party":
        name = info.get("client_name")
        return f"records about {name}" if name else "records about the person named in my request"
    filed = _re_line(info.get("letter_text"))
    title = filed or str(info["title"])
    prefixes = ("Freedom of Information Act Request: ", "Privacy Act Request and Freedom of Information Act Request: ")
    for prefix in prefixes:
        if title.startswith(prefix):
            return "records about " + title[len(prefix):]
    if filed:
        return filed
    # Titles `foia draft --track` gives (`tracked_title`), and those it gave before it stopped
    # copying the letter's RE line (above).
    if title.startswith("Records about "):
        return "r" + title[1:]
    return None


def _re_line(text: str | None) -> str | None:
    """The subject of a letter's "RE: ..." line (its first), or None."""
    for line in (text or "").splitlines()[:60]:
        if line.startswith("RE: ") and line[4:].strip():
            return line[4:].strip()
    return None


def _last(events: Sequence[dict], test) -> dict | None:
    found = [e for e in events if test(e)]
    return found[-1] if found else None


def _determination_facts(state: dv.State, clock: dict, info: dict, live: Sequence[dict]) -> dict:
    """The determination clock as the tracker counted it, with the facts that moved it (receipt,
    a misdirected first receipt, the stays that stopped it, the extension notice), for the
    letter to say how it was counted: exactly what the count applied (``derive`` reports it),
    and a later request for clarification, which did not stop it."""
    first = _last(live, lambda e: e["type"] == "first-received")

    def day(d):
        return d.isoformat() if d else None

    return {"due": clock.get("due"), "start": clock["start"], "filed": info["filed_on"],
            "received": day(state.received), "first_received": first["occurred_on"] if first else None,
            "extension_notice": day(state.extension_notice),
            "tolled": [{"status": status, "from": day(since), "to": day(until)} for status, since, until in state.tolled],
            "not_tolled": [{"from": day(since), "to": day(until)} for since, until in state.not_tolled]}


def _pending_appeal(state: dv.State, live: Sequence[dict], clock: dict, appeal_numbers: Sequence[str]) -> dict:
    appealed = _last(live, lambda e: e.get("status") == "appealed")
    ext = state.appeal_extension_notice
    of = (appealed["data"].get("of") or []) if appealed else []
    return {"tracking_number": appeal_numbers[-1] if appeal_numbers else None,
            "date": appealed["occurred_on"] if appealed else clock["start"],
            "received": (appealed["data"].get("received") if appealed else None),
            # what a side appeal is of (a fee-waiver or expedite denial), for the letter to name it
            "of": list(of) if of and not {"determination", "no-response"} & set(of) else [],
            "extension_notice": ext.isoformat() if ext else None, "due": clock.get("due")}


def _check_silence(rid: int, clock: dict | None, today: date) -> None:
    """A no-response appeal needs an overdue determination, as `update --status appealed` does
    (5 U.S.C. 552(a)(6)(C)(i))."""
    need = "a no-response appeal needs an overdue determination (5 U.S.C. 552(a)(6)(C)(i))"
    if clock is None:
        raise FoiaError(f"request {rid} has no determination deadline (its office has no statutory clock); {need}")
    if not clock["open"]:
        if clock.get("closed_by") in lc.DETERMINATIONS:
            ground = APPEAL_GROUND_FOR.get(clock["closed_by"], "withholding")
            raise FoiaError(f"request {rid} was answered ({clock['closed_by']} on {clock['closed_on']}); appeal that "
                            f"determination instead, e.g. foia track appeal {rid} --ground {ground}")
        raise FoiaError(f"request {rid}: its determination clock closed on {clock['closed_on']} "
                        f"({clock.get('closed_by')}); {need}")
    if clock.get("due") is None:
        raise FoiaError(f"request {rid}: the determination clock is stopped while the office awaits your answer; "
                        f"{need}")
    if clock["due"] >= today.isoformat():
        raise FoiaError(f"request {rid}: the determination is not due until {clock['due']}; {need}; until then "
                        f"send a status inquiry: foia track followup {rid}")


def letter_options(tracker: Tracker, key, kind: str, *, grounds: Sequence[str] = (),
                   exemptions: Sequence[str] = (), details: str | None = None,
                   requester_name: str | None = None) -> tuple[int, dict, dict]:
    """The request id, the letter options for ``kind`` ("follow-up" or "appeal") built from the
    request's state, and the request (as ``show`` returns it). The signer is
    ``requester_name``, else the request's requester, else the profile's name; a first-party
    request is signed by its client.

    Dates come from the tracker's deadlines (receipt, tolling, extensions included), not from
    the filing date: the stays, and the extension notices, that derive applied. A follow-up asks
    the appeals officer about a pending appeal when the appeal decision clock is open, unless the
    appeal is a side appeal and the determination is overdue: then it asks the FOIA office about
    the determination and names the appeal. It mentions an open expedite decision. An appeal of
    the determination (or of the silence) is refused after a remand of it until a new
    determination is recorded, as `update --status appealed` is."""
    info, state, evs = tracker.view(key, identity=True)
    rid = info["id"]
    if info.get("kind") in dv.AMENDMENT_KINDS:
        # Their letters would cite the FOIA's limits and remedies to a Privacy Act request.
        raise FoiaError(f"request {rid} is a Privacy Act amendment ({info['kind']}, 5 U.S.C. 552a(d)); the {kind} "
                        "letters are FOIA letters: ask for a review of a refusal with `foia draft amendment-appeal`")
    if not info.get("filed_on"):
        raise FoiaError(f"request {rid} has not been submitted (it is a {info['status']}); record the filing "
                        f"with `foia track update {rid} --status submitted --on DATE`")
    today = tracker.today()
    live = [e for e in info["timeline"] if not e.get("voided") and e["type"] != "correction"]
    clocks = {d["key"]: d for d in info["deadlines"]}
    number, others, appeal_numbers = _numbers(info["tracking_numbers"])
    options: dict[str, Any] = {"request_date": info["filed_on"], "privacy_act": info.get("kind") in ("self",
                                                                                                  "third-party")}
    subject = _request_subject(info)
    if subject:
        options["request_subject"] = subject
    if number:
        options["tracking_number"] = number
    if others:
        options["other_numbers"] = others
    if not number and info.get("sent_via"):
        # Without a number, how and where it was sent helps the office find the request.
        options["sent_via"] = info["sent_via"]
        snap = info.get("office_snapshot") or {}
        if info["sent_via"] == "portal" and snap.get("portal"):
            options["sent_to"] = snap["portal"]
        elif info["sent_via"] == "email":
            emails = [c["value"] for c in snap.get("channels") or []
                      if c.get("type") == "email" and c.get("purpose") == "request" and c.get("verified")]
            if len(emails) == 1:
                options["sent_to"] = emails[0]
    signer = requester_name or info.get("requester")
    if info.get("kind") == "self" and info.get("client_name"):
        if requester_name and not same_name(requester_name, info["client_name"]):
            raise UsageError(Text(Named("requester_name"), f": request {rid} is a first-party request, signed by the "
                                  "person it is about (its client name); drop ", Named("requester_name")),
                             field="requester_name")
        signer = requester_name or info["client_name"]
    if signer:
        options["requester_name"] = signer
    if kind == "follow-up":
        est = _last(live, lambda e: e["type"] == "estimated-completion")
        if est:
            options["estimated_completion"] = est["data"].get("date")
        appeal_clock = clocks.get("appeal_decision")
        det = clocks.get("determination")
        if appeal_clock and appeal_clock["open"]:
            pending = _pending_appeal(state, live, appeal_clock, appeal_numbers)
            # A side appeal leaves the determination clock running: once the determination is
            # overdue, the follow-up asks the FOIA office about it (and names the appeal).
            if not (det and det["open"] and det.get("due") and det["due"] < today.isoformat()):
                options["pending_appeal"] = pending
                return rid, options, info
            options["side_appeal"] = pending
        # A clock that has closed (the office answered) or never ran (no statutory clock) is not
        # described, rather than counted again from the filing date.
        options["determination"] = (_determination_facts(state, det, info, live) if det and det["open"]
                                    else {"open": False})
        exp = clocks.get("expedite_decision")
        if exp and exp["open"] and exp.get("due"):
            options["expedite_decision"] = {"due": exp["due"]}
        return rid, options, info
    if not grounds:
        raise UsageError(Text(Named("grounds"), ": give at least one ground (withholding, partial-withholding, "
                              "inadequate-search, no-records, fee-waiver-denied, expedite-denied, no-response)"),
                         field="grounds")
    answer_grounds = [g for g in grounds if g not in ("fee-waiver-denied", "expedite-denied", "no-response")]
    if answer_grounds or "no-response" in grounds:
        # As `update --status appealed` would: after a remand of the determination only a new
        # determination may be appealed (foia knows no clock for the reprocessing).
        _, context = appealable(evs, today, state)
        if context["remanded_on"] is not None:
            raise MoveRefused(f"request {rid} {remand_refusal(context['remanded_on'])}")
    if "no-response" in grounds:
        det = clocks.get("determination")
        _check_silence(rid, det, today)
        options["determination"] = _determination_facts(state, det, info, live)
    if answer_grounds:
        # The determination appealed is the latest answer to the request, not a later or earlier
        # fee-waiver or expedite denial (those are named with their own dates).
        answer = _last(live, lambda e: e.get("status") in lc.DETERMINATIONS)
        if answer is None:
            raise FoiaError(Text(f"request {rid} has no determination recorded; record it (`foia track update "
                                 f"{rid} --status denied --on DATE`) or appeal with ", Named("grounds"),
                                 " no-response"), field="grounds")
        options["determination_date"] = answer["occurred_on"]
    if "fee-waiver-denied" in grounds:
        denial = _last(live, lambda e: e["type"] == "fee" and e["data"].get("kind") == "waiver-denied")
        if denial is None:
            raise FoiaError(f"request {rid} has no fee waiver denial recorded; record it with "
                            f"`foia track update {rid} --fee-denied AMOUNT --on DATE`")
        options["fee_waiver_denial_date"] = denial["occurred_on"]
    if "expedite-denied" in grounds:
        denial = _last(live, lambda e: e["type"] == "expedite-decision" and e["data"].get("decision") == "denied")
        if denial is None:
            raise FoiaError(f"request {rid} has no expedite denial recorded; record it with "
                            f"`foia track update {rid} --expedite-decision denied --on DATE`")
        options["expedite_denial_date"] = denial["occurred_on"]
    options["grounds"] = list(grounds)
    if exemptions:
        options["exemptions"] = list(exemptions)
    if details:
        options["details"] = details
    return rid, options, info


def draft_letter(tracker: Tracker, key, kind: str, *, out_dir, fmt: str = "txt", grounds: Sequence[str] = (),
                 exemptions: Sequence[str] = (), details: str | None = None, overwrite: bool = False,
                 requester_name: str | None = None, requester: dict | None = None, by: str | None = None,
                 profile_file=None, confirm_signer: bool = False):
    """Render a follow-up or appeal letter from the request's state, write it (0600) and record
    a ``letter`` event. Returns (path, letter, request id)."""
    paths, letter, rid = draft_letters(tracker, key, kind, out_dir=out_dir, formats=(fmt,), grounds=grounds,
                                       exemptions=exemptions, details=details, overwrite=overwrite,
                                       requester_name=requester_name, requester=requester, by=by,
                                       profile_file=profile_file, confirm_signer=confirm_signer)
    return paths[0], letter, rid


def _contact_options(rid: int, info: dict, options: dict, given: dict, profile, *, confirm_signer: bool) -> dict:
    """The requester_* options for a tracker letter: given ones, else the request's stored contact
    details; and the refusal when a profile of someone else would fill what is left."""
    stored = info.get("requester_contact") or {}
    out = {}
    for key in REQUESTER_CONTACT_KEYS:
        value = given.get(f"requester_{key}") or stored.get(key)
        if value:
            out[f"requester_{key}"] = value
    signer = options.get("requester_name")
    owner = getattr(profile, "name", None)
    borrowed = [k for k in REQUESTER_CONTACT_KEYS if f"requester_{k}" not in out and getattr(profile, k, None)]
    if (info.get("kind") != "self" and signer and owner and borrowed and not same_name(signer, owner)
            and not confirm_signer):
        # Names are identity data: the message says that they differ, not what they are.
        raise FoiaError(Text(f"request {rid} is signed by its requester, who is not the person in the profile used: "
                             f"the letter would give the agency the profile's {' and '.join(borrowed)} for the reply; "
                             "pass ", Named("profile_file"), " FILE (the signer's), ", Named("requester_email"), "/",
                             Named("requester_address"), ", or ", Named("confirm_signer"), " to send it so"),
                        field="requester_email")
    return out


def draft_letters(tracker: Tracker, key, kind: str, *, out_dir, formats: Sequence[str] = ("txt",),
                  grounds: Sequence[str] = (), exemptions: Sequence[str] = (), details: str | None = None,
                  overwrite: bool = False, requester_name: str | None = None, requester: dict | None = None,
                  by: str | None = None, profile_file=None, confirm_signer: bool = False):
    """``draft_letter`` in several formats at once (txt, md, docx, eml): every file is built and
    checked before the first is written, and one ``letter`` event records them. Returns (paths,
    letter, request id).

    The reply details are, field by field: ``requester`` (``requester_email``,
    ``requester_address``, ``requester_phone``) as given, else those stored with the request,
    else the profile's (``profile_file``, else yours). A letter signed by someone other than the
    profile's owner that would carry the profile's details is refused unless ``confirm_signer``."""
    from pathlib import Path

    from foia.files import write_all
    from foia.letters import build_letter, letter_bytes, target_path
    from foia.letters.files import exists_refusal
    from foia.paths import ensure_private_dir
    from foia.profile import load_profile

    formats = list(dict.fromkeys(formats or ("txt",)))
    rid, options, info = letter_options(tracker, key, kind, grounds=grounds, exemptions=exemptions, details=details,
                                        requester_name=requester_name)
    profile = load_profile(profile_file)
    options.update({k: v for k, v in (requester or {}).items() if v})
    options.update(_contact_options(rid, info, options, requester or {}, profile, confirm_signer=confirm_signer))
    letter = build_letter(kind, directory=tracker.directory, office=info["office"], profile=profile,
                          options=options, today=tracker.today())
    stem = f"request-{rid}-{kind}-{tracker.today().isoformat()}"
    message_id = None
    if "eml" in formats:
        from foia.render.email import message_id_for

        message_id = message_id_for(letter)
    out = Path(out_dir)
    jobs = []
    for fmt in formats:
        path = target_path(letter, out, fmt, stem)
        if path.exists() and not overwrite:
            raise exists_refusal(path)
        jobs.append((path, letter_bytes(letter, fmt, attachment_name=target_path(letter, out, "docx", stem).name,
                                        **({"message_id": message_id, "request_id": rid} if fmt == "eml" else {}))))
    ensure_private_dir(out)
    paths = write_all(jobs, mode=0o600, overwrite=overwrite)
    actor = tracker.actor(by)

    def run(conn):
        from sqlalchemy import insert

        tracker.lock(conn, rid)
        data = {"kind": kind, "path": str(paths[0]), "format": formats[0], "grounds": list(grounds) or None}
        if len(formats) > 1:
            # The files share one name but for the extension: the first path names them all.
            data["formats"] = formats
        if message_id:
            data["message_id"] = message_id
        ev = tracker.new_event(rid, "letter", tracker.today(), actor, data=data)
        conn.execute(insert(events), [ev])

    tracker.store.write(run)
    return paths, letter, rid


# ---------------------------------------------------------------------------------------------
# `foia draft KIND --track`: the letters written and filed as new requests


def _file_letters(tracker: Tracker, built: list, options: dict, *, filed_on=None, sent_via=None, assignee=None,
                  tags: Sequence[str] = (), message_ids: dict[int, str] | None = None) -> dict[int, tuple[int, bool]]:
    """File each letter in the tracker, linking the systems, vendors and award it names, with
    the Message-ID of its .eml (``message_ids`` keyed by id(letter)); returns (request id,
    already tracked) keyed by id(letter). A letter already recorded (the same command run
    again) is not filed twice."""
    systems = [options["system"]] if options.get("system") else list(options.get("systems") or [])
    vendors = [options["vendor"]] if options.get("vendor") else []
    contracts = [options["award"]] if options.get("award") else []
    if contracts:
        # A contract request is also about the vendor and the system the award pays for; the
        # request records them as a records letter about that vendor or system would.
        try:
            known = tracker.directory.contract(contracts[0])
        except NotFound:
            known = None
        if known is not None:
            vendors += [v for v in known.vendors if v not in vendors]
            if known.system and known.system not in systems:
                systems.append(known.system)
    # The person whose records are sought is the clinic's client (identity fields: stored 0600,
    # printed only with --identity, erased by `foia track purge`).
    prefix = KINDS[built[0].kind].client_prefix if built else None
    client = {}
    if prefix is not None:
        client = {"client_name": options.get(prefix + "full_name"),
                  "client_dob": options.get(prefix + "date_of_birth"),
                  "client_a_number": options.get(prefix + "a_number")}
    out = {}
    for letter in built:
        known = find_filed(tracker, letter, filed_on=filed_on)
        if known is not None:
            out[id(letter)] = (known, True)
            continue
        out[id(letter)] = (file_request(tracker, letter=letter, sent_via=sent_via, filed_on=filed_on,
                                        assignee=assignee, tags=tags or (), systems=systems, vendors=vendors,
                                        contracts=contracts, expedite=bool(options.get("expedite")),
                                        fee_waiver=bool(options.get("fee_waiver")),
                                        requester=(letter.fields.get("requester") or {}).get("name"),
                                        message_id=(message_ids or {}).get(id(letter)), **client),
                           False)
    return out


def draft_and_file(kind: str, *, directory, db: str | None = None, notify=None, sent_via: str | None = None,
                   assignee: str | None = None, tags: Sequence[str] = (), **draft):
    """`foia draft KIND --track`: ``foia.letters.draft_letters``, each letter filed in the tracker
    (``db``: a URL, else FOIA_DB or the default file) as a submitted request before its files are
    written, so a tracked .eml carries its request's subject tag and a Message-ID the tracker
    recorded, which replies quote. The tracker is opened once every letter and file is checked,
    before anything is written; a letter none of whose formats could be written is not filed.
    ``notify``: told of a database being created or migrated. Returns the ``Drafted`` letters,
    with ``tracked``."""
    from foia.letters import draft_letters
    from foia.render.email import message_id_for

    def file_all(drafted) -> None:
        store = open_store(db, notify=notify)
        tracker = Tracker(store, directory=directory)
        written = [letter for letter in drafted.letters if drafted.written(letter)]
        with_eml = {id(lt) for lt, fmt, _, _ in drafted.files if fmt == "eml"}
        message_ids = {id(lt): message_id_for(lt) for lt in written if id(lt) in with_eml}
        drafted.tracked = _file_letters(tracker, written, draft.get("options") or {}, filed_on=draft.get("filed_on"),
                                        sent_via=sent_via, assignee=assignee, tags=tags, message_ids=message_ids)
        drafted.files = [(lt, fmt, path, data if fmt != "eml" else drafted.content(
                              lt, fmt, message_id=message_ids[id(lt)], request_id=drafted.tracked[id(lt)][0]))
                         for lt, fmt, path, data in drafted.files]

    return draft_letters(kind, directory=directory, before_writing=file_all, **draft)
