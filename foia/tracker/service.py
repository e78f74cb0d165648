"""The tracker's library API: the CLI (``foia track ...``) calls one method per command.

Every change runs in one write transaction: the new events are appended, then the status
cache, tracking numbers and deadlines of the request are recomputed from its whole history
and stored before the commit. Nothing is half-written: a refused move or a crash leaves the
request as it was.

Identity fields (requester, client name, date of birth, A-Number, the letter text) are never
returned by ``list``/``show`` unless ``identity=True``, are removed by ``export --redact`` and
blanked by ``purge``.

The rules live in their own modules; this one writes. ``fields`` (what each field may hold),
``moves`` (which changes the history allows), ``appeals``, ``fees``, ``offices``, ``events``;
the reads are in ``queries`` (``Reads``), the recomputing in ``refresh`` and the purge in
``purge``, all parts of :class:`Tracker`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any, Callable, Iterable, Sequence

from foia.errors import BadValue, FoiaError, MoveRefused, NotFound, UsageError
from foia.naming import Field, Text
from foia.parse import parse_day, parse_text
from foia.tracker import derive as dv
from foia.tracker import fields as fv
from foia.tracker import lifecycle as lc
from foia.tracker import moves
from foia.tracker.appeals import appeal_of as appeal_of_values
from foia.tracker.appeals import appeal_targets
from foia.tracker.context import TrackerContext
from foia.tracker.events import default_actor, load_events, new_event, new_uid
from foia.tracker.fees import fee_problems
from foia.tracker.models import events, request_tags, requests, tracking_numbers
from foia.tracker.offices import contract_link, filing_warnings, office_snapshot
from foia.tracker.purge import Purge
from foia.tracker.queries import Reads, request_number, same_number_elsewhere
from foia.tracker.refresh import Refresh
from foia.tracker.store import Store, utcnow
from foia.tracker.views import summary

@dataclass
class Change:
    """What one add/update/correct/purge did, for the CLI to report."""

    request_id: int
    title: str
    office: str
    status: str
    recorded: list[str] = field(default_factory=list)      # one line per event
    deadlines: list[dv.Tracked] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)         # plain lines (no clock after a remand...)


class Tracker(TrackerContext, Reads, Refresh, Purge):
    """The request tracker on one store.

    ``today`` and ``actor`` can be fixed (tests, scripts); ``directory`` is loaded lazily
    (with the user's override file when ``directory_override`` is given): see
    :class:`foia.tracker.context.TrackerContext`, which gives ``today``, ``directory`` and
    ``calendar``.
    """

    def __init__(self, store: Store, *, directory=None, directory_override=None, actor: str | None = None,
                 today: date | None = None):
        super().__init__(directory=directory, directory_override=directory_override, today=today)
        self.store = store
        self._actor = actor
        self._rules: dict[str, Any] = {}

    # -- context ---------------------------------------------------------------------------

    def actor(self, by: str | None = None) -> str | None:
        """Who records a change: ``by``, else the tracker's actor, else FOIA_USER or the login name."""
        return (fv.text(by, "by") or _named(self._actor, "actor") or
                _named(default_actor(), "FOIA_USER (or your login name)"))

    def rules(self, office: str):
        """The office's clock rules (None: no statutory clock, e.g. OGIS)."""
        if office not in self._rules:
            try:
                agency = self.directory.agency(office)
            except NotFound:
                self._rules[office] = None
            else:
                self._rules[office] = self.directory.clock_rules(agency)
        return self._rules[office]

    def office(self, key: str, *, field: str = "office"):
        """The office named ``key`` and the office it files with (HSI and ERO file through ICE)."""
        if not key or not str(key).strip():
            raise fv.bad(field, "give an office id from `foia agencies list`")
        try:
            agency = self.directory.agency(str(key))
        except NotFound:
            raise fv.bad(field, f"unknown office {key!r}; expected an id from `foia agencies list`") from None
        return agency, self.directory.filing_office(agency)

    def offices_of(self, key: str, *, field: str = "office") -> list[str]:
        """The office ids a filter on ``key`` means: a filing office with the directorates that
        file through it (ice: ice, hsi, ero), or just the office named (hsi)."""
        agency, filing = self.office(key, field=field)
        if agency.id != filing.id:
            return [agency.id]
        d = self.directory
        return sorted(a.id for a in d.agencies.values() if d.filing_office(a).id == agency.id)

    def filing_ids(self) -> dict[str, str]:
        """office id -> the id of the office it files with, for every office in the directory."""
        d = self.directory
        return {a.id: d.filing_office(a).id for a in d.agencies.values()}

    def _records(self, keys: Iterable[str], what: str, finder) -> list[str]:
        """The directory ids of the systems, vendors or contracts (``what``) a request links to;
        the field is ``what`` + s."""
        out = []
        for key in keys:
            key = str(key).strip()
            if not key:
                continue
            if what == "contract":
                found = contract_link(self.directory, key)
                if found is None:
                    raise fv.bad("contracts", f"{key!r} is neither a directory contract (`foia vendors show`) "
                                              "nor an award number like 70CTD022FR0000170")
            else:
                try:
                    found = finder(key).id
                except NotFound:
                    plural = {"system": "systems", "vendor": "vendors"}[what]
                    raise fv.bad(plural, f"unknown {what} {key!r}; expected an id from `foia {plural} list`") from None
            if found not in out:
                out.append(found)
        return out

    # -- add ---------------------------------------------------------------------------------

    def add(self, *, title: str, office: str, kind: str = "records", draft: bool = False, on=None,
            requester: str | None = None, client_name: str | None = None, client_dob=None,
            client_a_number: str | None = None, assignee: str | None = None, tags: Sequence[str] = (),
            letter_text: str | None = None, sent_via: str | None = None, fee_category: str | None = None,
            fee_limit=None, fee_waiver: bool = False, expedite: bool = False, systems: Sequence[str] = (),
            vendors: Sequence[str] = (), contracts: Sequence[str] = (), tracking: Sequence[str] = (),
            note: str | None = None, by: str | None = None, snapshot: dict | None = None,
            requester_contact: dict | None = None, referred_from=None, message_id: str | None = None) -> Change:
        """Record a new request: submitted on ``on`` (default today), or a draft.
        ``requester_contact``: the requester's ``email``, ``address`` and ``phone`` as filed
        (identity data), which the tracker's letters give the agency. ``referred_from``:
        the request an office referred to this one (ICE to the FBI for NCIC entries): the child
        has its own office, tracking number, receipt date and clock, and is shown under its
        parent, whose history records the referral. ``message_id``: the Message-ID of the .eml
        it was filed with, which replies quote (`foia inbox`)."""
        today = self.today()
        title = fv.title(title)
        agency, filing = self.office(office)
        kind = fv.kind(kind)
        filed_on = parse_day(on, "on") or today
        self.not_future(filed_on, "on")
        sent_via = fv.sent_via(sent_via)
        dob = fv.client_dob(client_dob, today)
        client_a_number = fv.client_a_number(client_a_number)
        numbers = fv.tracking_numbers(tracking)
        letter_text = fv.letter_text(letter_text)
        actor = self.actor(by)
        parent_id = self.get(referred_from) if referred_from not in (None, "") else None
        if parent_id is not None and draft:
            raise BadValue(Text(Field("referred_from"), ": a referral was made by the office; record it as "
                                "submitted (no ", Field("draft"), ")"), field="referred_from")
        row = {
            # The office named (HSI, ERO), not only the one it is filed with (ICE): `list --office
            # hsi` finds it, letters name the directorate, and the clock is the filing office's.
            "uid": new_uid(), "title": title, "office": agency.id, "kind": kind,
            "status": "draft", "sent_via": sent_via,
            "assignee": fv.text(assignee, "assignee"),
            "requester": fv.text(requester, "requester"),
            "requester_contact": fv.requester_contact(requester_contact),
            "client_name": fv.text(client_name, "client_name"),
            "client_dob": dob.isoformat() if dob else None,
            "client_a_number": client_a_number,
            "fee_category": fv.fee_category(fee_category),
            "fee_limit": fv.fee_limit(fee_limit),
            "fee_waiver": bool(fee_waiver), "expedite": bool(expedite),
            "systems": self._records(systems, "system", self.directory.system),
            "vendors": self._records(vendors, "vendor", self.directory.vendor),
            "contracts": self._records(contracts, "contract", self.directory.contract),
            "letter_text": letter_text,
            # Taken today, from today's directory: a request typed in late is not claimed to
            # have the details its office had on the filing date.
            "office_snapshot": snapshot or office_snapshot(self.directory, agency, on=today),
            "created_at": utcnow(), "updated_at": utcnow(),
        }
        tag_list = fv.tags(tags)
        note = fv.text(note, "note")
        warnings = filing_warnings(row["office_snapshot"], sent_via, filed_on)

        def run(conn):
            from sqlalchemy import insert

            parent = self.lock(conn, parent_id) if parent_id is not None else None
            if parent is not None and parent.filed_on is not None and filed_on < parent.filed_on:
                raise BadValue(Text(Field("on"), f" {filed_on.isoformat()}: a referral comes after request {parent.id} "
                                    f"was filed ({parent.filed_on.isoformat()})"), field="on")
            rid = conn.execute(insert(requests).values(**row).returning(requests.c.id)).scalar_one()
            new = [self.new_event(rid, "created", today if not draft else filed_on, actor,
                               status="draft" if draft else None, note=note if draft else None,
                               data={**({"referred_from": parent.uid} if parent is not None else {}),
                                     **({"message_id": message_id} if message_id else {})} or None)]
            if parent is not None:
                # The parent's history says where part of it went (append-only, like every fact).
                conn.execute(insert(events), [self.new_event(parent.id, "referral", filed_on, actor,
                                                          data={"request_uid": row["uid"], "office": agency.id})])
            if not draft:
                new.append(self.new_event(rid, "status", filed_on, actor, status="submitted", note=note,
                                       data={"from": None, "to": "submitted"}))
            for number, reason in numbers:
                new.append(self.new_event(rid, "tracking-number", filed_on, actor,
                                       data={"number": number, "reason": reason}))
            conn.execute(insert(events), new)
            if tag_list:
                conn.execute(insert(request_tags), [{"request_id": rid, "tag": t} for t in tag_list])
            state = self.refresh(conn, rid)
            # The `created` event is the line "Request N recorded" itself: not repeated below it.
            return Change(rid, title, agency.id, state.status, [summary(e) for e in new if e["type"] != "created"],
                          state.deadlines, warnings + state.warnings + state.notices
                          + same_number_elsewhere(conn, rid, numbers, self.filing_ids()), state.notes)

        return self.store.write(run)

    # -- update ------------------------------------------------------------------------------

    def update(self, request_id, *, status: str | None = None, on=None, note: str | None = None,
               tracking: Sequence[str] = (), fees: Sequence[tuple[str, Any]] = (),
               estimated_completion=None, extension_notice=None, documents: int | None = None,
               pages: int | None = None, files: Sequence[str] = (), received=None, first_received=None,
               expedite_decision: str | None = None, assignee: str | None = None,
               add_tags: Sequence[str] = (), remove_tags: Sequence[str] = (), by: str | None = None,
               appeal_of: Sequence[str] = (), expedite_asked=None, served=None,
               also: Callable[[Any, int], None] | None = None) -> Change:
        """Append what happened to a request (one event per fact) and recompute its deadlines.

        ``appeal_of`` (with status appealed): what the appeal is of, from appeals.APPEAL_TARGETS;
        default: everything open to appeal on its day. ``also(conn, request_id)`` runs in the same
        transaction once every check passed (`foia inbox accept` marks its proposal done)."""
        today = self.today()
        on = parse_day(on, "on") or today
        self.not_future(on, "on")
        new_status = lc.normalize_status(status) if status else None
        appeal_of = appeal_of_values(appeal_of)
        if appeal_of and new_status != "appealed":
            raise BadValue(Text(Field("appeal_of"), ": give it with ", Field("status"), " appealed (it says what the "
                                "appeal is of)"), field="appeal_of")
        numbers = [fv.tracking_number(t) for t in tracking]
        fee_list = [fv.fee(kind, amount) for kind, amount in fees]
        estimated = parse_day(estimated_completion, "estimated_completion")
        if estimated is not None:
            fv.calendar_day(estimated, "estimated_completion")
        extension = self._past_day(extension_notice, "extension_notice")
        asked = self._past_day(expedite_asked, "expedite_asked")
        served_on = self._past_day(served, "served")
        got = self._past_day(received, "received")
        first = self._past_day(first_received, "first_received")
        fv.count(documents, "documents")
        fv.count(pages, "pages")
        file_refs = [str(f).strip() for f in files if str(f).strip()]
        expedite_decision = fv.expedite_decision(expedite_decision)
        note = fv.text(note, "note")
        assignee_value = None if assignee is None else (fv.text(assignee, "assignee") or "")
        add_t, remove_t = fv.tags(add_tags, "add_tags"), fv.tags(remove_tags, "remove_tags")
        nothing = not any([new_status, numbers, fee_list, estimated, extension, got, first, asked, served_on,
                           documents is not None, pages is not None, file_refs, expedite_decision, note,
                           assignee is not None, add_t, remove_t])
        if nothing:
            raise UsageError(Text("nothing to record; give ", Field("status"), ", ", Field("note"), ", ",
                                  Field("tracking_number"), ", a fee, a date or documents (see `foia track update ",
                                  Field("help"), "`)"))
        actor = self.actor(by)

        def run(conn):
            from sqlalchemy import delete, insert, select, update

            row = self.lock(conn, request_id)
            rid = row.id
            evs = dv.effective(load_events(conn, rid))
            state = dv.derive(evs, expedite=row.expedite, rules=self.rules(row.office), calendar=self.calendar(),
                              already_effective=True, kind=row.kind)
            new: list[dict] = []
            status_event = None
            moves.check_dates(rid, state, on=on, new_status=new_status, received=got, first_received=first,
                               facts=bool(numbers or fee_list or estimated or expedite_decision or documents is not None
                                          or pages is not None or file_refs))
            if new_status:
                data = {"from": moves.status_at(evs, on), "to": new_status}
                if new_status == "appealed":
                    data["of"] = appeal_targets(rid, evs, on, state, appeal_of)
                if got is not None and new_status == "appealed":
                    data["received"] = got.isoformat()
                moves.check_insert(rid, evs, new_status, on, state, data)
                status_event = self.new_event(rid, "status", on, actor, status=new_status, data=data)
                new.append(status_event)
            if got is not None and new_status != "appealed":
                if first is not None and first > got:
                    raise BadValue(Text(Field("first_received"), f" {first.isoformat()} is after ", Field("received"),
                                        f" {got.isoformat()}; first receipt (by another office) is the earlier date"),
                                   field="first_received")
                new.append(self.new_event(rid, "received", got, actor))
            if first is not None:
                right = got if (got is not None and new_status != "appealed") else state.received
                if right is not None and first > right:
                    raise BadValue(Text(Field("first_received"), f" {first.isoformat()} is after the office received "
                                        f"the request ({right.isoformat()}); first receipt (by another office) is the "
                                        "earlier date"), field="first_received")
                new.append(self.new_event(rid, "first-received", first, actor))
            known = {n for (n,) in conn.execute(select(tracking_numbers.c.number).where(
                tracking_numbers.c.request_id == rid))}
            for number, reason in numbers:
                if number in known:
                    raise FoiaError(f"tracking number {number} is already recorded on request {rid}",
                                    field="tracking_number")
                known.add(number)
                new.append(self.new_event(rid, "tracking-number", on, actor, data={"number": number, "reason": reason}))
            fee_warnings = fee_problems(fee_list, evs, dhs=bool(self.rules(row.office) and
                                                            "6 CFR" in self.rules(row.office).appeal_rule),
                                        fee_limit=row.fee_limit) if fee_list else []
            for kind, amount in fee_list:
                new.append(self.new_event(rid, "fee", on, actor, data={"kind": kind, "amount": amount}))
            if asked is not None:
                if row.expedite and not any(e.type == "expedite-asked" for e in evs):
                    raise fv.bad("expedite_asked", f"request {rid} asked for expedited processing when it was filed; "
                                                   "its decision clock runs from receipt")
                new.append(self.new_event(rid, "expedite-asked", asked, actor))
            if served_on is not None:
                # Service of a complaint starts the answer's 30 days (552(a)(4)(C)): only in litigation.
                sued = [m.occurred_on for m in dv.status_events(evs) if m.status == "in-litigation"]
                if new_status == "in-litigation":
                    sued.append(on)
                if not any(d <= served_on for d in sued):
                    raise BadValue(Text(Field("served"), f": request {rid} is not in litigation on "
                                        f"{served_on.isoformat()}; record the lawsuit with ", Field("status"),
                                        " in-litigation ", Field("on"), " DATE (the day the complaint was filed), "
                                        "then the service"), field="served")
                new.append(self.new_event(rid, "served", served_on, actor))
            if estimated is not None:
                new.append(self.new_event(rid, "estimated-completion", on, actor, data={"date": estimated.isoformat()}))
            if extension is not None:
                # By the notice's date, not by the status when it is typed: a notice dated
                # before the appeal extends the request's clock.
                marks = dv.status_events(evs)
                if status_event is not None:
                    marks = sorted(marks + [dv.Event(id=10**12, uid="", type="status", occurred_on=on,
                                                     status=new_status, data=status_event["data"])], key=dv.Event.order)
                stage = dv.extension_stage(marks, extension)
                if stage is None:
                    raise BadValue(Text(Field("extension_notice"), f" {extension.isoformat()}: on that day request "
                                        f"{rid} awaited both its determination and the decision on an appeal of a "
                                        "fee-waiver or expedite denial; foia cannot tell which deadline the notice "
                                        "extends: record it as a ", Field("note"), " and check the notice"),
                                   field="extension_notice")
                new.append(self.new_event(rid, "extension-notice", extension, actor, data={"stage": stage}))
            if expedite_decision is not None:
                new.append(self.new_event(rid, "expedite-decision", on, actor, data={"decision": expedite_decision}))
            if documents is not None or pages is not None or file_refs:
                new.append(self.new_event(rid, "documents", on, actor, data={
                    "count": int(documents) if documents is not None else None,
                    "pages": int(pages) if pages is not None else None,
                    "files": file_refs or None}))
            changes = {}
            current_tags = {t for (t,) in conn.execute(select(request_tags.c.tag).where(
                request_tags.c.request_id == rid))}
            if assignee is not None and (assignee_value or None) != row.assignee:
                changes["assignee"] = {"from": row.assignee, "to": assignee_value or None}
            added = [t for t in add_t if t not in current_tags]
            removed = [t for t in remove_t if t in current_tags]
            if added:
                changes["tags_added"] = added
            if removed:
                changes["tags_removed"] = removed
            if changes:
                new.append(self.new_event(rid, "edited", on, actor, data=changes))
            if note:
                target = status_event or (new[0] if new else None)
                if target is None:
                    new.append(self.new_event(rid, "note", on, actor, note=note))
                else:
                    target["note"] = note
            if not new:
                raise FoiaError(f"request {rid}: nothing changed (the assignee and tags are already as given)")
            conn.execute(insert(events), new)
            if "assignee" in changes:
                conn.execute(update(requests).where(requests.c.id == rid).values(assignee=assignee_value or None))
            if added:
                conn.execute(insert(request_tags), [{"request_id": rid, "tag": t} for t in added])
            if removed:
                conn.execute(delete(request_tags).where(request_tags.c.request_id == rid,
                                                        request_tags.c.tag.in_(removed)))
            if (expedite_decision is not None or asked is not None) and not row.expedite:
                conn.execute(update(requests).where(requests.c.id == rid).values(expedite=True))
            after = self.refresh(conn, rid)
            moves.refuse_new_problems(rid, state, after)
            if also is not None:
                also(conn, rid)
            return Change(rid, row.title, row.office, after.status, [summary(e) for e in new],
                          after.deadlines, after.warnings + moves.news(state.notices, after.notices)
                          + same_number_elsewhere(conn, rid, numbers, self.filing_ids()) + fee_warnings,
                          moves.news(state.notes, after.notes))

        return self.store.write(run)

    # -- corrections ---------------------------------------------------------------------------

    def correct(self, request_id, event_id: int, *, on=None, void: bool = False, note: str | None = None,
                by: str | None = None) -> Change:
        """Correct an event with a new ``correction`` event: move it to another date, or void it."""
        new_on = parse_day(on, "on")
        if new_on is None and not void:
            raise UsageError(Text("give ", Field("on"), " DATE (the date it really happened) or ", Field("void"),
                                  " (it did not happen)"), field="on")
        if new_on is not None and void:
            raise UsageError(Text("give ", Field("on"), " or ", Field("void"), ", not both"), field="on")
        if new_on is not None:
            self.not_future(new_on, "on")
        note = fv.text(note, "note")
        actor = self.actor(by)

        def run(conn):
            from sqlalchemy import insert

            row = self.lock(conn, request_id)
            rid = row.id
            raw = load_events(conn, rid)
            target = next((e for e in raw if e.id == int(event_id)), None)
            if target is None:
                raise NotFound(f"request {rid} has no event {event_id}; see `foia track show {rid}` for event numbers")
            if target.type in ("created", "correction", "purged"):
                raise FoiaError(f"event {event_id} ({target.type}) cannot be corrected; it records the tracker's own work")
            before = dv.effective(raw)
            current = next((e for e in before if e.uid == target.uid), None)
            if current is None:
                raise FoiaError(f"event {event_id} was already voided; nothing to correct")
            if new_on is not None and new_on == current.occurred_on:
                raise MoveRefused(Text(f"event {event_id} of request {rid} is already dated {new_on.isoformat()}; "
                                       "nothing to change (give the date it really happened, or ", Field("void"), ")"),
                                  field="on")
            data = {"event_uid": target.uid, "event": target.id}
            if void:
                data["void"] = True
            else:
                data["occurred_on"] = new_on.isoformat()
            fix = self.new_event(rid, "correction", self.today(), actor, note=note, data=data)
            after = dv.effective(raw + [dv.Event(id=10**12, uid=fix["uid"], type="correction",
                                                 occurred_on=fix["occurred_on"], data=data)])
            if target.status:
                moves.check_sequence(rid, after, around=target.uid if not void else None, voided=void,
                                     before=before, target=target)
            known = dv.date_problems(before)
            wrong = [p for p in dv.date_problems(after) if p not in known]
            if wrong:
                raise MoveRefused(Text(f"cannot correct event {target.id} of request {rid}: {wrong[0]}; check ",
                                       Field("on"), " (nothing was recorded)"), field="on")
            conn.execute(insert(events), [fix])
            previous = dv.derive(before, expedite=row.expedite, rules=self.rules(row.office),
                                 calendar=self.calendar(), already_effective=True, kind=row.kind)
            state = self.refresh(conn, rid)
            moves.refuse_new_problems(rid, previous, state)
            return Change(rid, row.title, row.office, state.status, [summary(fix)], state.deadlines,
                          state.warnings + moves.news(previous.notices, state.notices),
                          moves.news(previous.notes, state.notes))

        return self.store.write(run)

    # -- internals -----------------------------------------------------------------------------

    def not_future(self, d: date, field: str) -> None:
        """Refuse a day after today (the tracker records what happened) or outside the calendar."""
        if d > self.today():
            raise fv.bad(field, f"{d.isoformat()} is in the future; give the date it happened")
        fv.calendar_day(d, field)

    def _past_day(self, value, field: str) -> date | None:
        day = parse_day(value, field)
        if day is not None:
            self.not_future(day, field)
        return day

    @staticmethod
    def new_event(rid: int, type_: str, on: date, actor, *, status=None, note=None, data=None) -> dict:
        """An events row for request ``rid`` (see :func:`foia.tracker.events.new_event`)."""
        return new_event(rid, type_, on, actor, status=status, note=note, data=data)

    def lock(self, conn, request_id):
        """The request row, locked for this transaction (PostgreSQL: FOR UPDATE; SQLite holds the
        database's write lock since BEGIN IMMEDIATE)."""
        from sqlalchemy import select

        rid = request_number(str(request_id).strip().lstrip("#"))
        row = None
        if rid is not None:
            row = conn.execute(select(requests).where(requests.c.id == rid).with_for_update()).first()
        if row is None:
            # Not a request id: a tracking number, digits only for some offices (as `show` finds it).
            rid = self.get(request_id)
            row = conn.execute(select(requests).where(requests.c.id == rid).with_for_update()).first()
        if row is None:
            raise NotFound(f"no request {request_id}; see `foia track list`")
        return row


def _named(value, label: str) -> str | None:
    """A one-line text from the environment or the caller (no field of a form): its errors say ``label``."""
    from foia.errors import BadValue

    try:
        return parse_text(value, "actor", limit=fv.LIMITS["by"])
    except BadValue as exc:
        raise BadValue(f"{label}: {str(exc).split(': ', 1)[-1]}", field="actor") from None

