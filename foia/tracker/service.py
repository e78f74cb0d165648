"""The tracker's library API: the CLI (``foia track ...``) calls one method per command.

Every change runs in one write transaction: the new events are appended, then the status
cache, tracking numbers and deadlines of the request are recomputed from its whole history
and stored before the commit. Nothing is half-written: a refused move or a crash leaves the
request as it was.

Identity fields (requester, client name, date of birth, A-Number, the letter text) are never
returned by ``list``/``show`` unless ``identity=True``, are removed by ``export --redact`` and
blanked by ``purge``.
"""

from __future__ import annotations

import getpass
import os
import re
import uuid
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any, Callable, Iterable, Sequence

from foia.deadlines import in_calendar
from foia.errors import FoiaError, NotFound, UsageError
from foia.tracker import derive as dv
from foia.tracker import lifecycle as lc
from foia.tracker.models import (IDENTITY_COLUMNS, IDENTITY_EVENT_KEYS, deadlines, events, request_tags,
                                 requests, tracker_state, tracking_numbers)
from foia.tracker.store import Store, utcnow

SENT_VIA = lc.SENT_VIA
KINDS_HINT = "e.g. records, contract, self, third-party (the letter kinds)"
TRACKING_REASONS = {
    "assigned": "assigned by the office",
    "split": "request split into parts",
    "referral": "referred to another office",
    "appeal": "appeal number",
}
# Statuses in which a request waits with no clock to make it show in `due` (remand has none in
# foia, a fee or clarification wait stops the agency's, mediation and drafts have none): after
# `stale_days` without an event they are listed, with what is usually the next step. (Litigation
# is left out: the court sets its pace, and months without an event are ordinary.)
STALE_STATUSES = {
    "draft": "not sent yet",
    "remanded": "remanded: the agency reprocesses it, with no deadline foia can count",
    "awaiting-fees": "the agency awaits a fee answer or payment (its clock is stopped)",
    "awaiting-clarification": "the agency awaits a clarification (its clock is stopped)",
    "in-mediation": "in OGIS mediation",
}
# The appeal letter's ground that fits each adverse determination (foia.letters.APPEAL_GROUNDS).
APPEAL_GROUND_FOR = {"denied": "withholding", "partial": "partial-withholding", "no-records": "no-records",
                     "fulfilled": "inadequate-search"}

def appeal_ground(key: str, label: str) -> str | None:
    """The appeal letter's ground for an appeal window, from what opened it (not from the
    request's current status, which may be in-litigation or in-mediation by then); None when no
    ground of the appeal letter fits (a rejection)."""
    if key == "appeal_fee_waiver":
        return "fee-waiver-denied"
    if key == "appeal_expedite":
        return "expedite-denied"
    return APPEAL_GROUND_FOR.get(dv.ADVERSE_BY_LABEL.get(label, ""))


FEE_KINDS = ("estimated", "assessed", "paid", "waived", "waiver-denied", "advance")

# Fee thresholds (fact sheet): filing commits to pay up to $25, and the office gives notice above
# that (6 CFR 5.11); advance payment may be required only when the fee is likely to exceed $250
# or the requester failed to pay before (5 U.S.C. 552(a)(4)(A)(v)).
FEE_NOTICE_ABOVE = Decimal("25")
ADVANCE_PAYMENT_ABOVE = Decimal("250")


def fee_problems(fee_list, earlier: Sequence[Any], *, dhs: bool, fee_limit=None) -> list[str]:
    """What an office asked for beyond what the law allows, for the fees just recorded."""
    out = []
    noticed = any(e.type == "fee" and e.data.get("kind") == "estimated" for e in earlier)
    for kind, amount in fee_list:
        value = Decimal(str(amount))
        if kind == "advance" and value <= ADVANCE_PAYMENT_ABOVE:
            out.append(f"the office asks ${value} in advance: advance payment may be required only when the fee is "
                       f"likely to exceed $250 or you failed to pay before (5 U.S.C. 552(a)(4)(A)(v))")
        if kind == "assessed" and dhs and value > FEE_NOTICE_ABOVE and not noticed:
            out.append(f"the office assessed ${value} without an earlier estimate: filing commits you to pay up to $25, "
                       "and above that the office must tell you first (6 CFR 5.11)")
        if kind in ("assessed", "advance") and fee_limit is not None and value > Decimal(str(fee_limit)):
            out.append(f"${value} is above the ${fee_limit} you agreed to pay in the request")
        if kind == "estimated":
            noticed = True
    return out
EXPEDITE_DECISIONS = ("granted", "denied")
_KIND = re.compile(r"[a-z0-9][a-z0-9-]{0,31}")
_TAG = re.compile(r"[^\s,;]{1,100}")


def new_uid() -> str:
    return str(uuid.uuid4())


class UidMaker:
    """Unique ids for a bulk import, fast: one random 88-bit prefix per import plus a counter
    (35 characters, unique across databases as a uuid4 would be)."""

    def __init__(self):
        import itertools
        import secrets

        self.prefix = secrets.token_hex(11)
        # prefix-000000000001, -000000000002, ...: formatted by a C-level iterator (an import
        # makes four per row).
        self.next = map(f"{self.prefix}-{{:012x}}".format, itertools.count(1)).__next__

    def __call__(self) -> str:
        return self.next()


def default_actor() -> str | None:
    """Who records a change: ``FOIA_USER``, else the login name."""
    env = os.environ.get("FOIA_USER", "").strip()
    if env:
        return env
    try:
        return getpass.getuser()
    except Exception:  # noqa: BLE001 - no login name (container without passwd entry)
        return None


_AMOUNT = re.compile(r"\d+\.?\d{0,2}|\.\d{1,2}")


def parse_amount(text: str | Decimal | int | float, *, what: str) -> str:
    """A dollar amount as a canonical string with cents ("25.00")."""
    raw = str(text).strip().lstrip("$").replace(",", "")
    # Decimal also reads "1e3", "NaN" and "+5": dollars are digits with at most two decimals.
    if not isinstance(text, (Decimal, int, float)) and not _AMOUNT.fullmatch(raw):
        raise UsageError(f"{what}: {text!r} is not an amount; use dollars like 25 or 25.50")
    try:
        value = Decimal(raw)
    except InvalidOperation:
        raise UsageError(f"{what}: {text!r} is not an amount; use dollars like 25 or 25.50") from None
    if value.is_finite() and value >= 10**9:
        raise UsageError(f"{what}: {text!r} is a billion dollars or more; check the amount")
    if not value.is_finite() or value < 0 or value != value.quantize(Decimal("0.01")):
        raise UsageError(f"{what}: {text!r} is not an amount; use dollars like 25 or 25.50")
    return f"{value:.2f}"


def parse_tracking(text: str, *, what: str = "--tracking-number") -> tuple[str, str]:
    """``NUMBER`` or ``NUMBER:reason`` (reason: assigned, split, referral, appeal)."""
    value = (text or "").strip()
    number, sep, reason = value.rpartition(":")
    if sep and reason.strip().lower() not in TRACKING_REASONS and reason.strip().isalpha():
        # "X:bogus" is a mistyped reason far more often than a number with a colon in it.
        raise UsageError(f"{what}: {reason.strip()!r} in {text!r} is not a reason; use NUMBER[:reason] with "
                         f"reason one of {', '.join(TRACKING_REASONS)}")
    if not sep or reason.strip().lower() not in TRACKING_REASONS:
        number, reason = value, "assigned"
    number, reason = number.strip(), reason.strip().lower()
    if not number or len(number) > 100 or len(number.split()) != 1:
        raise UsageError(f"{what}: {text!r} is not a tracking number; use NUMBER[:reason] with reason one of "
                         f"{', '.join(TRACKING_REASONS)}, e.g. 2025-ICFO-12345:assigned")
    return number, reason


def _date(value, *, what: str) -> date | None:
    from foia.deadlines import parse_date

    if value is None:
        return None
    if isinstance(value, str) and not value.strip():
        # `--on ""` (an unset shell variable) must not silently mean today.
        raise UsageError(f"{what}: empty; give a date as YYYY-MM-DD")
    if isinstance(value, date):
        return value
    return parse_date(str(value), what=what)


# An A-Number: 8 or 9 digits after an optional "A" (spaces and dashes between them are allowed
# and kept as written).
_A_NUMBER = re.compile(r"[Aa]?[0-9]{8,9}")
# A client's date of birth before this many years ago is a typing mistake (0001-01-01).
OLDEST_CLIENT_YEARS = 130
# The letter as sent, kept with a request: a few pages of text.
LETTER_MAX_BYTES = 1_000_000


def a_number_problem(text: str) -> str | None:
    """Why ``text`` is not an A-Number (never echoing it: an identity field), or None."""
    if _A_NUMBER.fullmatch(re.sub(r"[\s-]", "", text)):
        return None
    return "not an A-Number; write 8 or 9 digits, optionally after an A (e.g. A012345678)"


def dob_problem(dob: date, today: date) -> str | None:
    """Why ``dob`` cannot be a client's date of birth (never echoing it), or None."""
    if dob > today:
        return "the date of birth is in the future; check it (YYYY-MM-DD)"
    if dob.year < today.year - OLDEST_CLIENT_YEARS:
        return f"the date of birth is more than {OLDEST_CLIENT_YEARS} years ago; check it (YYYY-MM-DD)"
    return None


def _text(value, *, what: str, limit: int = 2000) -> str | None:
    if value is None:
        return None
    text = " ".join(str(value).split()) if limit <= 2000 else str(value).strip()
    if not text:
        return None
    if "\x00" in text:
        # PostgreSQL cannot store it; SQLite would, and the queue could then never move there.
        raise UsageError(f"{what}: contains a NUL character; remove it")
    if len(text) > limit:
        raise UsageError(f"{what}: longer than {limit} characters; shorten it")
    return text


REQUESTER_CONTACT_KEYS = ("email", "address", "phone")


def requester_contact_value(contact: dict | None) -> dict | None:
    """The requester's contact details to store (email, address, phone), checked; None when empty."""
    from foia.directory import EMAIL_RE

    if not contact:
        return None
    out = {}
    for key in REQUESTER_CONTACT_KEYS:
        value = _text(contact.get(key), what=f"--requester-{key}", limit=1000)
        if value:
            out[key] = value
    if out.get("email") and not EMAIL_RE.match(out["email"]):
        raise UsageError("--requester-email: not an email address; use name@example.org")
    if out.get("address"):
        # Lines as typed; a "\n" typed in a shell is a line break too.
        out["address"] = "\n".join(ln.strip() for ln in out["address"].replace("\\n", "\n").splitlines()
                                   if ln.strip())
    return out or None


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


# What `list` can sort by (its ``order``): the name -> the requests column ("deadline": the next
# deadline, agency's or requester's, computed for --today).
LIST_ORDERS = {"deadline": None, "id": "id", "filed": "filed_on", "status": "status",
               "status_on": "status_on", "office": "office", "assignee": "assignee", "title": "title"}


class Tracker:
    """The request tracker on one store.

    ``today`` and ``actor`` can be fixed (tests, scripts); ``directory`` is loaded lazily
    (with the user's override file when ``directory_override`` is given).
    """

    def __init__(self, store: Store, *, directory=None, directory_override=None, actor: str | None = None,
                 today: date | None = None):
        self.store = store
        self._directory = directory
        self._override = directory_override
        self._actor = actor
        self._today = today
        self._rules: dict[str, Any] = {}
        self._calendar = None

    # -- context ---------------------------------------------------------------------------

    @property
    def directory(self):
        if self._directory is None:
            from foia.directory import load_directory

            self._directory = load_directory(self._override)
        return self._directory

    def today(self) -> date:
        return self._today or date.today()

    def actor(self, by: str | None = None) -> str | None:
        return (_text(by, what="--by", limit=200) or _text(self._actor, what="actor", limit=200)
                or _text(default_actor(), what="FOIA_USER (or your login name)", limit=200))

    def calendar(self):
        """The federal working-day calendar with the directory's and the user's closures."""
        if self._calendar is None:
            from foia.deadlines import default_calendar, load_closures
            from foia.paths import config_dir

            closures = dict(self.directory.closures)
            path = config_dir() / "closures.yaml"
            if os.path.lexists(path):       # a folder or a device there is refused, not skipped
                closures.update(load_closures(path))
            self._calendar = default_calendar(closures)
        return self._calendar

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

    def office(self, key: str, *, what: str = "--office"):
        """The filing office for ``key`` (HSI and ERO file through ICE)."""
        if not key or not str(key).strip():
            raise UsageError(f"{what}: give an office id from `foia agencies list`")
        try:
            agency = self.directory.agency(str(key))
        except NotFound:
            raise UsageError(f"{what}: unknown office {key!r}; expected an id from `foia agencies list`") from None
        return agency, self.directory.filing_office(agency)

    def offices_of(self, key: str, *, what: str = "--office") -> list[str]:
        """The office ids a filter on ``key`` means: a filing office with the directorates that
        file through it (ice: ice, hsi, ero), or just the office named (hsi)."""
        agency, filing = self.office(key, what=what)
        if agency.id != filing.id:
            return [agency.id]
        d = self.directory
        return sorted(a.id for a in d.agencies.values() if d.filing_office(a).id == agency.id)

    def filing_ids(self) -> dict[str, str]:
        """office id -> the id of the office it files with, for every office in the directory."""
        d = self.directory
        return {a.id: d.filing_office(a).id for a in d.agencies.values()}

    def _records(self, keys: Iterable[str], what: str, finder) -> list[str]:
        out = []
        for key in keys:
            key = str(key).strip()
            if not key:
                continue
            if what == "contract":
                found = contract_link(self.directory, key)
                if found is None:
                    raise UsageError(f"--contract: {key!r} is neither a directory contract (`foia vendors show`) "
                                     "nor an award number like 70CTD022FR0000170")
            else:
                try:
                    found = finder(key).id
                except NotFound:
                    plural = {"system": "systems", "vendor": "vendors"}[what]
                    raise UsageError(f"--{what}: unknown {what} {key!r}; expected an id from `foia {plural} list`") from None
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
        from foia.profile import normalize_fee_category

        today = self.today()
        title = _text(title, what="--title", limit=500)
        if not title:
            raise UsageError("--title: give the request a title (what it asks for)")
        agency, filing = self.office(office)
        kind = (kind or "records").strip().lower()
        if not _KIND.fullmatch(kind):
            raise UsageError(f"--kind: {kind!r} is not a kind; use lowercase letters and dashes, {KINDS_HINT}")
        filed_on = _date(on, what="--on") or today
        self._not_future(filed_on, "--on")
        if sent_via is not None:
            sent_via = sent_via.strip().lower()
            if sent_via not in SENT_VIA:
                raise UsageError(f"--sent-via: {sent_via!r} is not a way of sending; use one of {', '.join(SENT_VIA)}")
        try:
            dob = _date(client_dob, what="--client-dob")
        except UsageError:      # do not echo a date of birth back (identity field)
            raise UsageError("--client-dob: not a date; use YYYY-MM-DD") from None
        problem = dob and dob_problem(dob, today)
        if problem:
            raise UsageError(f"--client-dob: {problem}")
        client_a_number = _text(client_a_number, what="--client-a-number", limit=32)
        problem = client_a_number and a_number_problem(client_a_number)
        if problem:
            raise UsageError(f"--client-a-number: {problem}")
        numbers = [parse_tracking(t) for t in tracking]
        if len({n for n, _ in numbers}) != len(numbers):
            raise UsageError("--tracking-number: the same number is given twice")
        if letter_text and "\x00" in letter_text:
            raise UsageError("--letter: the text contains a NUL character; give the letter as plain text")
        actor = self.actor(by)
        parent_id = self.get(referred_from) if referred_from not in (None, "") else None
        if parent_id is not None and draft:
            raise UsageError("--referred-from: a referral was made by the office; record it as submitted (no --draft)")
        row = {
            # The office named (HSI, ERO), not only the one it is filed with (ICE): `list --office
            # hsi` finds it, letters name the directorate, and the clock is the filing office's.
            "uid": new_uid(), "title": title, "office": agency.id, "kind": kind,
            "status": "draft", "sent_via": sent_via,
            "assignee": _text(assignee, what="--assignee", limit=200),
            "requester": _text(requester, what="--requester", limit=500),
            "requester_contact": requester_contact_value(requester_contact),
            "client_name": _text(client_name, what="--client-name", limit=500),
            "client_dob": dob.isoformat() if dob else None,
            "client_a_number": client_a_number,
            "fee_category": normalize_fee_category(fee_category, what="--fee-category"),
            "fee_limit": parse_amount(fee_limit, what="--fee-limit") if fee_limit not in (None, "") else None,
            "fee_waiver": bool(fee_waiver), "expedite": bool(expedite),
            "systems": self._records(systems, "system", self.directory.system),
            "vendors": self._records(vendors, "vendor", self.directory.vendor),
            "contracts": self._records(contracts, "contract", self.directory.contract),
            "letter_text": letter_text if letter_text and letter_text.strip() else None,
            # Taken today, from today's directory: a request typed in late is not claimed to
            # have the details its office had on the filing date.
            "office_snapshot": snapshot or office_snapshot(self.directory, agency, on=today),
            "created_at": utcnow(), "updated_at": utcnow(),
        }
        tag_list = normalize_tags(tags)
        note = _text(note, what="--note", limit=5000)
        warnings = _filing_warnings(row["office_snapshot"], sent_via, filed_on)

        def run(conn):
            from sqlalchemy import insert

            parent = self._lock(conn, parent_id) if parent_id is not None else None
            if parent is not None and parent.filed_on is not None and filed_on < parent.filed_on:
                raise UsageError(f"--on {filed_on.isoformat()}: a referral comes after request {parent.id} was filed "
                                 f"({parent.filed_on.isoformat()})")
            rid = conn.execute(insert(requests).values(**row).returning(requests.c.id)).scalar_one()
            new = [self._event(rid, "created", today if not draft else filed_on, actor,
                               status="draft" if draft else None, note=note if draft else None,
                               data={**({"referred_from": parent.uid} if parent is not None else {}),
                                     **({"message_id": message_id} if message_id else {})} or None)]
            if parent is not None:
                # The parent's history says where part of it went (append-only, like every fact).
                conn.execute(insert(events), [self._event(parent.id, "referral", filed_on, actor,
                                                          data={"request_uid": row["uid"], "office": agency.id})])
            if not draft:
                new.append(self._event(rid, "status", filed_on, actor, status="submitted", note=note,
                                       data={"from": None, "to": "submitted"}))
            for number, reason in numbers:
                new.append(self._event(rid, "tracking-number", filed_on, actor,
                                       data={"number": number, "reason": reason}))
            conn.execute(insert(events), new)
            if tag_list:
                conn.execute(insert(request_tags), [{"request_id": rid, "tag": t} for t in tag_list])
            state = self._refresh(conn, rid)
            # The `created` event is the line "Request N recorded" itself: not repeated below it.
            return Change(rid, title, agency.id, state.status, [_summary(e) for e in new if e["type"] != "created"],
                          state.deadlines, warnings + state.warnings + state.notices
                          + _same_number_elsewhere(conn, rid, numbers, self.filing_ids()), state.notes)

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

        ``appeal_of`` (with status appealed): what the appeal is of, from dv.APPEAL_TARGETS;
        default: everything open to appeal on its day. ``also(conn, request_id)`` runs in the same
        transaction once every check passed (`foia inbox accept` marks its proposal done)."""
        today = self.today()
        on = _date(on, what="--on") or today
        self._not_future(on, "--on")
        new_status = lc.normalize_status(status) if status else None
        appeal_of = list(dict.fromkeys(str(a).strip().lower() for a in appeal_of if str(a).strip()))
        for a in appeal_of:
            if a not in dv.APPEAL_TARGETS:
                raise UsageError(f"--appeal-of: {a!r} is not something to appeal; use one of "
                                 f"{', '.join(dv.APPEAL_TARGETS)}")
        if appeal_of and new_status != "appealed":
            raise UsageError("--appeal-of: give it with --status appealed (it says what the appeal is of)")
        numbers = [parse_tracking(t) for t in tracking]
        fee_list = []
        for kind, amount in fees:
            if kind not in FEE_KINDS:
                raise UsageError(f"fee kind {kind!r}: use one of {', '.join(FEE_KINDS)}")
            fee_list.append((kind, parse_amount(amount, what=f"--fee-{'denied' if kind == 'waiver-denied' else kind}")))
        estimated = _date(estimated_completion, what="--estimated-completion")
        if estimated is not None:
            in_calendar(estimated, "--estimated-completion")
        extension = _date(extension_notice, what="--extension-notice")
        if extension is not None:
            self._not_future(extension, "--extension-notice")
        asked = _date(expedite_asked, what="--expedite-asked")
        if asked is not None:
            self._not_future(asked, "--expedite-asked")
        served_on = _date(served, what="--served")
        if served_on is not None:
            self._not_future(served_on, "--served")
        got = _date(received, what="--received")
        if got is not None:
            self._not_future(got, "--received")
        first = _date(first_received, what="--first-received")
        if first is not None:
            self._not_future(first, "--first-received")
        for n, what in ((documents, "--documents"), (pages, "--pages")):
            if n is not None and (isinstance(n, bool) or int(n) < 0):
                raise UsageError(f"{what}: give a whole number >= 0")
        file_refs = [str(f).strip() for f in files if str(f).strip()]
        if expedite_decision is not None:
            expedite_decision = expedite_decision.strip().lower()
            if expedite_decision not in EXPEDITE_DECISIONS:
                raise UsageError("--expedite-decision: use granted or denied")
        note = _text(note, what="--note", limit=5000)
        assignee_value = None if assignee is None else (_text(assignee, what="--assignee", limit=200) or "")
        add_t, remove_t = normalize_tags(add_tags), normalize_tags(remove_tags, what="--untag")
        nothing = not any([new_status, numbers, fee_list, estimated, extension, got, first, asked, served_on,
                           documents is not None,
                           pages is not None, file_refs, expedite_decision, note, assignee is not None, add_t, remove_t])
        if nothing:
            raise UsageError("nothing to record; give --status, --note, --tracking-number, a fee, a date or documents "
                             "(see `foia track update --help`)")
        actor = self.actor(by)

        def run(conn):
            from sqlalchemy import delete, insert, select, update

            row = self._lock(conn, request_id)
            rid = row.id
            evs = dv.effective(self._events(conn, rid))
            state = dv.derive(evs, expedite=row.expedite, rules=self.rules(row.office), calendar=self.calendar(),
                              already_effective=True, kind=row.kind)
            new: list[dict] = []
            status_event = None
            self._check_dates(rid, state, on=on, new_status=new_status, received=got, first_received=first,
                              facts=bool(numbers or fee_list or estimated or expedite_decision or documents is not None
                                         or pages is not None or file_refs))
            if new_status:
                data = {"from": self._status_at(evs, on), "to": new_status}
                if new_status == "appealed":
                    data["of"] = self._appeal_targets(rid, evs, on, state, appeal_of)
                if got is not None and new_status == "appealed":
                    data["received"] = got.isoformat()
                self._check_insert(rid, evs, new_status, on, state, data)
                status_event = self._event(rid, "status", on, actor, status=new_status, data=data)
                new.append(status_event)
            if got is not None and new_status != "appealed":
                if first is not None and first > got:
                    raise UsageError(f"--first-received {first.isoformat()} is after --received {got.isoformat()}; "
                                     "first receipt (by another office) is the earlier date")
                new.append(self._event(rid, "received", got, actor))
            if first is not None:
                right = got if (got is not None and new_status != "appealed") else state.received
                if right is not None and first > right:
                    raise UsageError(f"--first-received {first.isoformat()} is after the office received the request "
                                     f"({right.isoformat()}); first receipt (by another office) is the earlier date")
                new.append(self._event(rid, "first-received", first, actor))
            known = {n for (n,) in conn.execute(select(tracking_numbers.c.number).where(
                tracking_numbers.c.request_id == rid))}
            for number, reason in numbers:
                if number in known:
                    raise FoiaError(f"tracking number {number} is already recorded on request {rid}")
                known.add(number)
                new.append(self._event(rid, "tracking-number", on, actor, data={"number": number, "reason": reason}))
            fee_warnings = fee_problems(fee_list, evs, dhs=bool(self.rules(row.office) and
                                                            "6 CFR" in self.rules(row.office).appeal_rule),
                                        fee_limit=row.fee_limit) if fee_list else []
            for kind, amount in fee_list:
                new.append(self._event(rid, "fee", on, actor, data={"kind": kind, "amount": amount}))
            if asked is not None:
                if row.expedite and not any(e.type == "expedite-asked" for e in evs):
                    raise UsageError(f"--expedite-asked: request {rid} asked for expedited processing when it was "
                                     "filed; its decision clock runs from receipt")
                new.append(self._event(rid, "expedite-asked", asked, actor))
            if served_on is not None:
                # Service of a complaint starts the answer's 30 days (552(a)(4)(C)): only in litigation.
                sued = [m.occurred_on for m in dv.status_events(evs) if m.status == "in-litigation"]
                if new_status == "in-litigation":
                    sued.append(on)
                if not any(d <= served_on for d in sued):
                    raise UsageError(f"--served: request {rid} is not in litigation on {served_on.isoformat()}; "
                                     "record the lawsuit with --status in-litigation --on DATE (the day the "
                                     "complaint was filed), then the service")
                new.append(self._event(rid, "served", served_on, actor))
            if estimated is not None:
                new.append(self._event(rid, "estimated-completion", on, actor, data={"date": estimated.isoformat()}))
            if extension is not None:
                # By the notice's date, not by the status when it is typed: a notice dated
                # before the appeal extends the request's clock.
                marks = dv.status_events(evs)
                if status_event is not None:
                    marks = sorted(marks + [dv.Event(id=10**12, uid="", type="status", occurred_on=on,
                                                     status=new_status, data=status_event["data"])], key=dv.Event.order)
                stage = dv.extension_stage(marks, extension)
                if stage is None:
                    raise UsageError(f"--extension-notice {extension.isoformat()}: on that day request {rid} awaited "
                                     "both its determination and the decision on an appeal of a fee-waiver or "
                                     "expedite denial; foia cannot tell which deadline the notice extends: record "
                                     "it as a --note and check the notice")
                new.append(self._event(rid, "extension-notice", extension, actor, data={"stage": stage}))
            if expedite_decision is not None:
                new.append(self._event(rid, "expedite-decision", on, actor, data={"decision": expedite_decision}))
            if documents is not None or pages is not None or file_refs:
                new.append(self._event(rid, "documents", on, actor, data={
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
                new.append(self._event(rid, "edited", on, actor, data=changes))
            if note:
                target = status_event or (new[0] if new else None)
                if target is None:
                    new.append(self._event(rid, "note", on, actor, note=note))
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
            after = self._refresh(conn, rid)
            _refuse_new_problems(rid, state, after)
            if also is not None:
                also(conn, rid)
            return Change(rid, row.title, row.office, after.status, [_summary(e) for e in new],
                          after.deadlines, after.warnings + _news(state.notices, after.notices)
                          + _same_number_elsewhere(conn, rid, numbers, self.filing_ids()) + fee_warnings,
                          _news(state.notes, after.notes))

        return self.store.write(run)

    # -- corrections ---------------------------------------------------------------------------

    def correct(self, request_id, event_id: int, *, on=None, void: bool = False, note: str | None = None,
                by: str | None = None) -> Change:
        """Correct an event with a new ``correction`` event: move it to another date, or void it."""
        new_on = _date(on, what="--on")
        if new_on is None and not void:
            raise UsageError("give --on DATE (the date it really happened) or --void (it did not happen)")
        if new_on is not None and void:
            raise UsageError("give --on or --void, not both")
        if new_on is not None:
            self._not_future(new_on, "--on")
        note = _text(note, what="--note", limit=5000)
        actor = self.actor(by)

        def run(conn):
            from sqlalchemy import insert

            row = self._lock(conn, request_id)
            rid = row.id
            raw = self._events(conn, rid)
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
                raise FoiaError(f"event {event_id} of request {rid} is already dated {new_on.isoformat()}; nothing to "
                                "change (give the date it really happened, or --void)")
            data = {"event_uid": target.uid, "event": target.id}
            if void:
                data["void"] = True
            else:
                data["occurred_on"] = new_on.isoformat()
            fix = self._event(rid, "correction", self.today(), actor, note=note, data=data)
            after = dv.effective(raw + [dv.Event(id=10**12, uid=fix["uid"], type="correction",
                                                 occurred_on=fix["occurred_on"], data=data)])
            if target.status:
                self._check_sequence(rid, after, around=target.uid if not void else None, voided=void,
                                     before=before, target=target)
            known = dv.date_problems(before)
            wrong = [p for p in dv.date_problems(after) if p not in known]
            if wrong:
                raise FoiaError(f"cannot correct event {target.id} of request {rid}: {wrong[0]}; check --on "
                                "(nothing was recorded)")
            conn.execute(insert(events), [fix])
            previous = dv.derive(before, expedite=row.expedite, rules=self.rules(row.office),
                                 calendar=self.calendar(), already_effective=True, kind=row.kind)
            state = self._refresh(conn, rid)
            _refuse_new_problems(rid, previous, state)
            return Change(rid, row.title, row.office, state.status, [_summary(fix)], state.deadlines,
                          state.warnings + _news(previous.notices, state.notices), _news(previous.notes, state.notes))

        return self.store.write(run)

    # -- purge -------------------------------------------------------------------------------

    def purge(self, request_id, *, notes: bool = False, by: str | None = None) -> Change:
        """Blank a client's identity data on a request and in its events, keep the dated history,
        and record a ``purged`` event. The one place events are changed (documented)."""
        actor = self.actor(by)

        def run(conn):
            from sqlalchemy import insert, select, update

            row = self._lock(conn, request_id)
            rid = row.id
            cleared = [c for c in IDENTITY_COLUMNS if getattr(row, c) not in (None, "")]
            touched = 0
            for ev in conn.execute(select(events.c.id, events.c.data, events.c.note).where(
                    events.c.request_id == rid)):
                data = dict(ev.data or {})
                hit = [k for k in data if k in IDENTITY_EVENT_KEYS and data[k] not in (None, "", [])]
                values = {}
                if hit:
                    for k in hit:
                        data[k] = None
                    values["data"] = data
                if notes and ev.note:
                    values["note"] = None
                if values:
                    touched += 1
                    conn.execute(update(events).where(events.c.id == ev.id).values(**values))
            from foia.vault.documents import purge_request

            # The documents' pages naming the client leave the search index while the names are known.
            vault_lines = purge_request(conn, row)
            # The mail filed with the request names the client too: erased, not blanked.
            from foia.inbox.service import erase_mail

            erased = erase_mail(conn, rid)
            if not cleared and not touched and not erased:
                when = f" (already purged {row.purged_at})" if row.purged_at else ""
                raise FoiaError(f"request {rid} holds no identity data{when}; nothing to purge")
            stamp = utcnow()
            conn.execute(update(requests).where(requests.c.id == rid).values(
                **{c: None for c in IDENTITY_COLUMNS}, purged_at=stamp, updated_at=stamp))
            ev = self._event(rid, "purged", self.today(), actor,
                             data={"fields": cleared, "events": touched, "notes": bool(notes),
                                   **({"messages": erased} if erased else {})})
            conn.execute(insert(events), [ev])
            state = self._refresh(conn, rid)
            return Change(rid, row.title, row.office, state.status, [_summary(ev)], state.deadlines,
                          notes=vault_lines)

        change = self.store.write(run)
        problem = self._scrub_after_purge()
        if problem:
            change.warnings.append(problem)
        removed = self._remove_stale_temporaries()
        if removed:
            change.notes.append(f"Removed {len(removed)} copy(ies) left by an interrupted export or backup: "
                                + ", ".join(str(p) for p in removed))
        return change

    def _scrub_after_purge(self) -> str | None:
        """Make the blanked values leave the database's files; returns what could not be done.

        SQLite: ``secure_delete`` has overwritten the old cells; the WAL still holds the old
        pages until a checkpoint. PostgreSQL: an UPDATE leaves the old row version in the heap
        file, a plain VACUUM only marks it free, and even VACUUM FULL keeps every version that a
        snapshot anywhere on the server may still see. So the requests and every table
        depending on them are copied aside, truncated (new, empty files; the old ones are
        emptied at commit) and filled again with their live rows, in one transaction: the
        tables are locked while it runs (seconds for a large queue). What remains elsewhere
        is in docs/tracker.md (WAL segments, base backups, freed disk blocks, earlier exports)."""
        try:
            if self.store.is_sqlite:
                with self.store.engine.connect() as conn:
                    conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
            elif self.store.is_postgresql:
                self.store.write(_rewrite_request_tables)
        except Exception as exc:  # noqa: BLE001 - the purge itself is committed: say what is left
            from foia.tracker.store import _reason

            if self.store.is_postgresql:
                return (f"the identity data is blanked, but the old values stay in the table files until they are "
                        f"rewritten ({_reason(exc)}); run `foia track purge` again later")
            return f"the identity data is blanked, but the WAL file could not be checkpointed ({_reason(exc)})"
        return None

    def _remove_stale_temporaries(self) -> list:
        """Hidden copies (``.NAME.*.tmp``) that an interrupted export or backup left in the
        folders foia writes to by default: they can hold the unredacted queue."""
        from foia.files import remove_stale_temporaries
        from foia.paths import data_dir

        folders = {data_dir(), data_dir() / "backups"}
        if self.store.path:
            folders.add(self.store.path.parent)
        removed = []
        for folder in sorted(folders):
            removed += remove_stale_temporaries(folder)
        return removed

    # -- queries -----------------------------------------------------------------------------

    def get(self, key) -> int:
        """A request id from an id or a tracking number."""
        from sqlalchemy import select

        text = str(key).strip().lstrip("#")
        with self.store.read() as conn:
            if _request_number(text) is not None:
                found = conn.execute(select(requests.c.id).where(requests.c.id == int(text))).scalar()
                if found is not None:
                    return found
            hits = sorted({r for (r,) in conn.execute(select(tracking_numbers.c.request_id).where(
                tracking_numbers.c.number == text))})
            if not hits:
                # Agencies print numbers in capitals; people type them in any case.
                hits = sorted({r for (r,) in conn.execute(select(tracking_numbers.c.request_id).where(
                    tracking_numbers.c.number.in_(_spellings(tracking_numbers.c.number, text))))})
        if len(hits) == 1:
            return hits[0]
        if len(hits) > 1:
            raise FoiaError(f"tracking number {text} is on requests {', '.join(map(str, hits))}; give the request id")
        raise NotFound(f"no request {text}; see `foia track list`")

    def show(self, key, *, identity: bool = False) -> dict:
        """Everything about one request: fields, tracking numbers, timeline, every deadline
        (recomputed live, with explanations)."""
        return self._view(key, identity=identity)[0]

    def _view(self, key, *, identity: bool = False) -> tuple[dict, dv.State, list[dv.Event]]:
        """``show``'s dict, with the derived state and the effective history it came from (the
        letters state what the clocks applied, and check what is open to appeal)."""
        from sqlalchemy import select

        rid = self.get(key)
        with self.store.read() as conn:
            row = conn.execute(select(requests).where(requests.c.id == rid)).one()
            raw = self._events(conn, rid)
            numbers = conn.execute(select(tracking_numbers).where(tracking_numbers.c.request_id == rid)
                                   .order_by(tracking_numbers.c.id)).all()
            tags = sorted(t for (t,) in conn.execute(select(request_tags.c.tag).where(
                request_tags.c.request_id == rid)))
        evs = dv.effective(raw)
        state = dv.derive(evs, expedite=row.expedite, rules=self.rules(row.office), calendar=self.calendar(),
                          already_effective=True, kind=row.kind)
        out = request_dict(row, identity=identity)
        out["tags"] = tags
        out["tracking_numbers"] = [{"number": n.number, "reason": n.reason,
                                    "recorded_on": n.recorded_on.isoformat() if n.recorded_on else None}
                                   for n in numbers]
        live = {e.uid: e for e in evs}
        timeline = []
        # The `created` event is dated the day it was typed, often after the events it records
        # (a request added with --on months back): it opens the timeline instead of closing it.
        for e in sorted(raw, key=lambda e: (e.type != "created",
                                            live[e.uid].occurred_on if e.uid in live else e.occurred_on, e.id)):
            shown = live.get(e.uid)
            timeline.append(event_dict(shown or e, identity=identity, voided=shown is None and e.type != "correction"))
        out["timeline"] = timeline
        out["deadlines"] = [self._deadline_dict(t) for t in state.deadlines]
        from foia.deadlines import RESUME_HINT

        for d in out["deadlines"]:
            # The engine speaks to `foia deadline --tolled FROM:TO`; here the answer is recorded.
            d["explanation"] = [x.replace(RESUME_HINT, f"record the answer: foia track update {rid} --status "
                                                       "in-progress --on DATE.") for x in d["explanation"]]
        out["warnings"] = state.warnings + state.notices
        out["notes"] = state.notes
        agency = self.directory.agencies.get(row.office)
        # The award number (PIID) is what the office and USAspending know an award by.
        out["contract_awards"] = {}
        for cid in out.get("contracts") or []:
            c = self.directory.contracts.get(cid)
            if c is not None and c.award_number:
                out["contract_awards"][cid] = c.award_number
        out["office_name"] = agency.name if agency else row.office
        out["office_abbreviation"] = agency.abbreviation if agency else row.office
        out["clock"] = "none" if self.rules(row.office) is None else "statutory"
        out["referrals"], out["referred_from"] = self._referrals(evs)
        return out, state, evs

    def _referrals(self, evs) -> tuple[list[dict], int | None]:
        """The requests this one was referred to (each with its office, status, tracking numbers
        and next agency deadline), and the request it was referred from."""
        from sqlalchemy import select

        children = [e.data.get("request_uid") for e in evs if e.type == "referral" and e.data.get("request_uid")]
        parent = next((e.data.get("referred_from") for e in evs if e.type == "created" and e.data.get("referred_from")),
                      None)
        if not children and not parent:
            return [], None
        out, parent_id = [], None
        with self.store.read() as conn:
            if parent:
                parent_id = conn.execute(select(requests.c.id).where(requests.c.uid == parent)).scalar()
            for uid in children:
                r = conn.execute(select(requests).where(requests.c.uid == uid)).one_or_none()
                if r is None:
                    continue
                numbers = [n for (n,) in conn.execute(select(tracking_numbers.c.number).where(
                    tracking_numbers.c.request_id == r.id).order_by(tracking_numbers.c.id))]
                out.append({"id": r.id, "office": r.office, "status": r.status, "tracking_numbers": numbers,
                            "agency_due": r.agency_due.isoformat() if getattr(r, "agency_due", None) else None})
        return out, parent_id

    def _deadline_dict(self, t: dv.Tracked) -> dict:
        today = self.today()
        d = t.deadline.to_dict()
        d["party"] = t.party
        d["open"] = t.open
        d["closed_on"] = t.closed_on.isoformat() if t.closed_on else None
        d["closed_by"] = t.closed_by
        d["state"] = deadline_state(t, today)
        if t.due and t.open and t.due < today:
            d["working_days_late"] = self.calendar().working_days_between(t.due, today)
        return d

    def list(self, *, status: Sequence[str] = (), office: str | None = None, assignee: str | None = None,
             tag: str | None = None, overdue: bool = False, due_within: int | None = None,
             limit: int | None = None, identity: bool = False, order: str = "deadline",
             descending: bool = False) -> list[dict]:
        """Requests sorted by their next deadline (soonest first, none last), filtered.

        ``order`` sorts instead by one of LIST_ORDERS (``descending``: latest or highest first),
        then by id."""
        from sqlalchemy import case, exists, or_, select, union

        today = self.today()
        codes = [lc.normalize_status(s) for s in status]
        r = requests.c
        next_due, next_key, req_due = next_deadline_sql(today)
        next_due = next_due.label("next_due")
        # While an appeal awaits its decision the office answers to the appeal's number: it is shown.
        # (SQLite cannot read the outer row in a subquery's ORDER BY: two subqueries, one chosen.)
        tn = tracking_numbers.c
        numbers_of = select(tn.number).where(tn.request_id == r.id)
        first_number = case(
            (r.status == "appealed", numbers_of.order_by(case((tn.reason == "appeal", 0), else_=1), tn.id)
             .limit(1).scalar_subquery()),
            else_=numbers_of.order_by(tn.id).limit(1).scalar_subquery())
        cols = [r.id, r.title, r.office, r.status, r.status_on, r.filed_on, r.assignee, r.kind,
                next_due, next_key.label("next_key"), first_number.label("tracking_number")]
        if identity:
            cols += [getattr(r, c) for c in IDENTITY_COLUMNS if c != "letter_text"]
        where = []
        if codes:
            where.append(r.status.in_(codes))
        if office:
            where.append(r.office.in_(self.offices_of(office)))
        # Names and tags match whatever their case ("--assignee maria" finds "Maria"): the spellings
        # stored are found first, so the main query still uses the index on the column.
        if assignee:
            where.append(r.assignee.in_(_spellings(r.assignee, assignee)))
        if tag:
            t = request_tags.c
            where.append(exists().where(t.request_id == r.id, t.tag.in_(_spellings(t.tag, tag))))
        if overdue:
            where.append(r.agency_due < today)
        if due_within is not None:
            if due_within < 0:
                raise UsageError("--due-within: give a number of days >= 0")
            horizon = today + timedelta(days=due_within)
            where.append(or_(r.agency_due <= horizon, req_due <= horizon))
        if order not in LIST_ORDERS:
            raise UsageError(f"--sort: {order!r} is not a column to sort by; use one of {', '.join(LIST_ORDERS)}")
        q = select(*cols).where(*where)
        if order != "deadline":
            column = getattr(r, LIST_ORDERS[order])
            sort = column.desc() if descending else column.asc()
            q = q.order_by(sort.nulls_last(), r.id.desc() if descending else r.id)
            if limit:
                q = q.limit(limit)
        elif limit and not descending and not (codes or office or assignee or tag):
            # Sorting a million rows by an expression of --today reads them all. The first
            # `limit` by next deadline are among the first `limit` by agency deadline (an
            # index), the first `limit` by requester window (only requests with a window still
            # open on --today: an index), and the first `limit` with neither: the sort runs on
            # those few. (A filter on status, office, assignee or tag reads fewer rows, which
            # one pass sorts faster than three.)
            parts = [select(r.id).where(*where, r.agency_due.is_not(None)).order_by(r.agency_due, r.id),
                     select(r.id).where(*where, r.requester_due_last >= today).order_by(req_due, r.id)]
            if not (overdue or due_within is not None):     # these need a deadline
                parts.append(select(r.id).where(*where, r.agency_due.is_(None), or_(
                    r.requester_due_last.is_(None), r.requester_due_last < today)).order_by(r.id))
            found = union(*(select(part.limit(limit).subquery().c.id) for part in parts))
            q = q.where(r.id.in_(select(found.subquery().c.id)))
        if order == "deadline":
            q = q.order_by((next_due.desc() if descending else next_due.asc()).nulls_last(),
                           r.id.desc() if descending else r.id)      # the label: evaluated once
            if limit:
                q = q.limit(limit)
        with self.store.read() as conn:
            rows = conn.execute(q).all()
            ids = [row.id for row in rows]
            tags: dict[int, list[str]] = {}
            for start in range(0, len(ids), 500):
                chunk = ids[start:start + 500]
                for rid, t in conn.execute(select(request_tags.c.request_id, request_tags.c.tag)
                                           .where(request_tags.c.request_id.in_(chunk))):
                    tags.setdefault(rid, []).append(t)
            # Sorted here, not by the database: PostgreSQL's collation would order them unlike SQLite.
            for found in tags.values():
                found.sort()
        out = []
        for row in rows:
            m = dict(row._mapping)
            nd = m.pop("next_due")
            key = m.pop("next_key")
            m["next_deadline"] = nd.isoformat() if nd else None
            m["next_deadline_key"] = key
            m["overdue"] = bool(nd and nd < today)
            for k in ("status_on", "filed_on"):
                m[k] = m[k].isoformat() if m[k] else None
            m["tags"] = tags.get(row.id, [])
            out.append(m)
        return out

    def due(self, *, within: int = 14, limit: int = 50, assignee: str | None = None,
            lapsed_days: int = 7, stale_days: int = 30) -> dict:
        """The morning view: what needs doing today.

        Sections: overdue determinations (with the follow-up command), appeal windows closing
        within ``within`` days, late expedite decisions, overdue appeal decisions, clarification
        answers due within ``within`` days, requester windows that lapsed in the last
        ``lapsed_days`` days (0: none shown), and requests waiting in a status where nothing
        moves by itself (``STALE_STATUSES``) with no event for ``stale_days`` days (0: none
        shown). Each lists at most ``limit`` requests, oldest first, with the total count and
        each request's assignee. ``assignee`` keeps one person's requests (any case).
        ``open`` counts the requests still open and ``next`` is the soonest deadline ahead, so
        a quiet morning still says where the queue stands.
        """
        from sqlalchemy import and_, func, select, true

        for value, what in ((within, "--within"), (lapsed_days, "--lapsed-days"), (stale_days, "--stale-days")):
            if value < 0:
                raise UsageError(f"{what}: give a number of days >= 0")
        today = self.today()
        horizon = today + timedelta(days=within)
        d, r = deadlines.c, requests.c
        mine = [r.assignee.in_(_spellings(r.assignee, assignee))] if assignee else []
        sections = [
            ("overdue_determinations", "Overdue determinations", ("determination",), None, today, "followup"),
            ("appeal_windows", f"Appeal windows closing within {within} days", dv.APPEAL_WINDOWS, today, horizon,
             "appeal"),
            ("late_expedite_decisions", "Late expedite decisions", ("expedite_decision",), None, today, "followup"),
            ("overdue_appeal_decisions", "Overdue appeal decisions", ("appeal_decision",), None, today, "followup"),
            ("clarifications_due", f"Clarification answers due within {within} days", ("clarification_close",),
             today, horizon, None),
            # Privacy Act amendment: no FOIA follow-up letter fits them, so no command.
            ("overdue_amendment_clocks", "Overdue Privacy Act amendment clocks", dv.AMENDMENT_CLOCKS, None, today,
             None),
        ]
        if lapsed_days:
            # A requester window stays open in the table once its day has passed (nothing closed
            # it): the days just after are when a late appeal can still be argued or a new
            # request filed, so it is shown instead of vanishing.
            sections.append(("lapsed_windows", f"Lapsed in the last {lapsed_days} days",
                             dv.APPEAL_WINDOWS + ("clarification_close",), today - timedelta(days=lapsed_days),
                             today - timedelta(days=1), None))
        out = {"today": today.isoformat(), "within": within, "assignee": assignee, "lapsed_days": lapsed_days,
               "stale_days": stale_days, "sections": []}
        cal = self.calendar()
        with self.store.read() as conn:
            for key, title, keys, lo, hi, action in sections:
                # Agency deadlines: due strictly before today is late. Requester windows: from today
                # to the horizon inclusive.
                cond = [d.open == true(), d.key.in_(keys), d.due.is_not(None)]
                if lo is None:
                    cond.append(d.due < hi)
                else:
                    cond += [d.due >= lo, d.due <= hi]
                if mine:
                    cond.append(d.request_id.in_(select(r.id).where(*mine)))
                total = conn.execute(select(func.count()).select_from(deadlines).where(and_(*cond))).scalar()
                rows = conn.execute(
                    select(d.request_id, d.key, d.label, d.start, d.due, d.rule, r.title, r.office, r.status,
                           r.assignee)
                    .join(requests, r.id == d.request_id)
                    .where(and_(*cond)).order_by(d.due, d.request_id).limit(limit)).all()
                items = []
                for row in rows:
                    item = {"id": row.request_id, "title": row.title, "office": row.office, "status": row.status,
                            "assignee": row.assignee, "key": row.key, "label": row.label,
                            "start": row.start.isoformat(), "due": row.due.isoformat(), "rule": row.rule}
                    # No receipt recorded: the date counts from sending, earlier than the statute's start.
                    item["counted_from_sending"] = dv.FROM_SENDING in row.rule
                    if row.due < today:
                        if key == "lapsed_windows":
                            item["days_ago"] = (today - row.due).days
                        else:
                            item["working_days_late"] = cal.working_days_between(row.due, today)
                    else:
                        item["working_days_left"] = cal.working_days_between(today, row.due)
                        item["days_left"] = (row.due - today).days
                    if action == "followup":
                        item["command"] = f"foia track followup {row.request_id}"
                    elif action == "appeal":
                        ground = appeal_ground(row.key, row.label)
                        if ground:
                            item["command"] = f"foia track appeal {row.request_id} --ground {ground}"
                    items.append(item)
                out["sections"].append({"key": key, "title": title, "total": total, "items": items})
            if stale_days:
                out["sections"].append(self._stale_section(conn, today, stale_days, limit, mine))
            out["open"] = out["next"] = None
            if not any(sec["total"] for sec in out["sections"]):
                # Only a quiet morning says where the queue stands: counting every open request
                # reads the whole status index, which a busy morning (a large queue) need not pay.
                open_cond = [r.status.not_in(sorted(lc.END_STATES | {"draft"}))] + mine
                out["open"] = conn.execute(select(func.count()).select_from(requests).where(*open_cond)).scalar()
                ahead = [d.open == true(), d.due >= today]
                if mine:
                    ahead.append(d.request_id.in_(select(r.id).where(*mine)))
                nxt = conn.execute(select(d.request_id, d.label, d.due, r.office)
                                   .join(requests, r.id == d.request_id)
                                   .where(*ahead).order_by(d.due, d.request_id).limit(1)).first()
                out["next"] = ({"id": nxt.request_id, "label": nxt.label, "due": nxt.due.isoformat(),
                                "office": nxt.office} if nxt else None)
        return out

    def _stale_section(self, conn, today: date, stale_days: int, limit: int, mine: list) -> dict:
        """Requests in a ``STALE_STATUSES`` status whose latest event is ``stale_days`` or more days
        old and with no open deadline of either party (one would list them in its own section, now
        or when it comes near)."""
        from sqlalchemy import func, or_, select

        r, e = requests.c, events.c
        cutoff = today - timedelta(days=stale_days)
        # Recording, correcting or purging is bookkeeping, not movement of the request. The
        # latest event of each candidate is one look-up in ix_events_request; a request whose
        # status changed after the cutoff moved (that change is an event) and is not a candidate.
        last_on = (select(func.max(e.occurred_on)).where(
            e.request_id == r.id, e.type.not_in(["correction", "purged"]),
            or_(e.type != "created", e.status == "draft")).scalar_subquery()).label("last_on")
        # The ids by status first: on "agency_due IS NULL" alone SQLite would read that index's
        # entries for every closed request of an archive; the few waiting ones are what to read.
        waiting = select(r.id).where(r.status.in_(sorted(STALE_STATUSES))).scalar_subquery()
        candidates = select(r.id, r.title, r.office, r.status, r.assignee, r.status_on, last_on).where(
            r.id.in_(waiting), or_(r.status_on.is_(None), r.status_on <= cutoff),
            r.agency_due.is_(None), or_(r.requester_due_last.is_(None), r.requester_due_last < today),
            *mine).subquery()
        c = candidates.c
        base = select(c.id, c.title, c.office, c.status, c.assignee, c.status_on, c.last_on).where(
            c.last_on <= cutoff)
        total = conn.execute(select(func.count()).select_from(base.subquery())).scalar()
        items = []
        for row in conn.execute(base.order_by(c.last_on, c.id).limit(limit)):
            item = {"id": row.id, "title": row.title, "office": row.office, "status": row.status,
                    "assignee": row.assignee, "last_event_on": row.last_on.isoformat(),
                    "days_quiet": (today - row.last_on).days, "why": STALE_STATUSES[row.status]}
            if row.status == "awaiting-clarification":
                item["command"] = f"foia track update {row.id} --status in-progress --on DATE"
            elif row.status in ("remanded", "awaiting-fees"):
                item["command"] = f"foia track followup {row.id}"
            items.append(item)
        return {"key": "stale", "title": f"No movement for {stale_days} days or more", "total": total,
                "items": items}

    # -- recompute -----------------------------------------------------------------------------

    def recompute(self, request_id=None, *, batch: int = 2000,
                  progress: Callable[[int, int], None] | None = None) -> int:
        """Recompute stored statuses, tracking numbers and deadlines from the events (after the
        closures, the directory's clocks or foia's rules changed). Every request: a batch of
        requests per transaction, read and written in bulk; ``progress(done, total)`` after each."""
        from sqlalchemy import select

        if request_id is not None:
            rid = self.get(request_id)
            self.store.write(lambda conn: (self._lock(conn, rid), self._refresh(conn, rid)))
            return 1
        with self.store.read() as conn:
            ids = [r for (r,) in conn.execute(select(requests.c.id).order_by(requests.c.id))]
        # Each batch commits on its own: a run killed half-way leaves the queue half recounted.
        # The mark says so to `list` and `due` until a full run gets to the end.
        self.store.write(lambda conn: _set_state(conn, "recompute", utcnow()))
        for start in range(0, len(ids), batch):
            chunk = ids[start:start + batch]
            self.store.write(lambda conn: self._refresh_range(conn, chunk[0], chunk[-1]))
            if progress is not None:
                progress(start + len(chunk), len(ids))
        self.store.write(lambda conn: _set_state(conn, "recompute", None))
        return len(ids)

    def unfinished_recompute(self) -> str | None:
        """When a full recompute that never finished started (UTC timestamp), or None."""
        from sqlalchemy import select

        with self.store.read() as conn:
            return conn.execute(select(tracker_state.c.value).where(tracker_state.c.key == "recompute")).scalar()

    # -- internals -----------------------------------------------------------------------------

    def _not_future(self, d: date, what: str) -> None:
        if d > self.today():
            raise UsageError(f"{what}: {d.isoformat()} is in the future; give the date it happened")
        in_calendar(d, what)

    def _event(self, rid: int, type_: str, on: date, actor, *, status=None, note=None, data=None) -> dict:
        return {"uid": new_uid(), "request_id": rid, "type": type_, "status": status, "occurred_on": on,
                "recorded_at": utcnow(), "actor": actor, "note": note, "data": data or {}}

    def _lock(self, conn, request_id):
        """The request row, locked for this transaction (PostgreSQL: FOR UPDATE; SQLite holds the
        database's write lock since BEGIN IMMEDIATE)."""
        from sqlalchemy import select

        rid = _request_number(str(request_id).strip().lstrip("#"))
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

    def _events(self, conn, rid: int) -> list[dv.Event]:
        from sqlalchemy import select

        return [dv.event_from_row(r) for r in conn.execute(
            select(events).where(events.c.request_id == rid).order_by(events.c.id))]

    @staticmethod
    def _status_at(evs: Sequence[dv.Event], on: date) -> str | None:
        marks = [e for e in dv.status_events(evs) if e.occurred_on <= on]
        return marks[-1].status if marks else None

    @staticmethod
    def _check_dates(rid: int, state: dv.State, *, on: date, new_status: str | None, received: date | None,
                     first_received: date | None, facts: bool) -> None:
        """Refuse dates in an impossible order: a date counted from them would hide the typing
        mistake (an appeal received before it was sent would start its decision clock early)."""
        if new_status == "appealed":
            if received is not None and received < on:
                raise UsageError(f"--received: the appeal cannot have been received on {received.isoformat()}, "
                                 f"before it was sent (--on {on.isoformat()}); give the date the office received "
                                 "it, on or after --on")
            received = None       # the appeal's receipt, not the request's
        filed = state.filed_on or (on if new_status == "submitted" else None)
        if filed is None:
            return
        for value, what in ((received, "--received"), (first_received, "--first-received")):
            if value is not None and value < filed:
                raise UsageError(f"{what}: {value.isoformat()} is before request {rid} was filed "
                                 f"({filed.isoformat()}); an office cannot receive a request before it is sent: "
                                 "check the date")
        if facts and on < filed:
            raise UsageError(f"--on: {on.isoformat()} is before request {rid} was filed ({filed.isoformat()}); "
                             "fees, tracking numbers, decisions and documents come after filing: check --on")

    def _appeal_targets(self, rid: int, evs, on: date, state: dv.State, asked: Sequence[str]) -> list[str]:
        """What an appeal on ``on`` is of: ``asked`` (each must be open to appeal), else all that is."""
        targets, _ = self._appealable(evs, on, state)
        if not asked:
            return targets      # empty: check_transition says why there is nothing to appeal
        what = {"determination": "no determination", "no-response": "no overdue determination",
                "fee-waiver-denial": "no fee-waiver denial", "expedite-denial": "no expedite denial"}
        for a in asked:
            if a not in targets:
                open_ = ", ".join(targets) or "nothing"
                raise UsageError(f"--appeal-of {a}: request {rid} has {what[a]} open to appeal on {on.isoformat()} "
                                 f"(open to appeal: {open_}); check --appeal-of and --on")
        return sorted(asked, key=dv.APPEAL_TARGETS.index)

    @staticmethod
    def _appealable(evs: Sequence[dv.Event], on: date, state: dv.State) -> tuple[list[str], dict]:
        """What an appeal on ``on`` could be of (dv.APPEAL_TARGETS, in that order), and the
        context `check_transition` needs to explain a refusal. After a remand only what came
        since counts: the old determination was appealed already. (A remand that decided a side
        appeal is no remand of the determination.)"""
        marks = [e for e in dv.status_events(evs) if e.occurred_on <= on]
        remand = dv.main_remand(marks)
        since = remand.order() if remand else None

        def fresh(e) -> bool:
            return e.occurred_on <= on and (since is None or e.order() > since)

        targets = []
        if any(e.status in lc.DETERMINATIONS and fresh(e) for e in marks):
            targets.append("determination")
        det = next((t for t in state.deadlines if t.key == "determination"), None)
        if not targets and remand is None and det is not None and det.due is not None and on > det.due:
            targets.append("no-response")
        for target, hit in (("fee-waiver-denial", lambda e: e.type == "fee" and e.data.get("kind") == "waiver-denied"),
                            ("expedite-denial", lambda e: e.type == "expedite-decision"
                             and e.data.get("decision") == "denied")):
            # A denial keeps its own window through a remand of the determination.
            denial = next((e for e in reversed(evs) if hit(e) and e.occurred_on <= on), None)
            if denial is not None and not any(m.status == "appealed" and m.order() > denial.order()
                                              and dv.appeals(m, target) for m in marks):
                targets.append(target)
        targets.sort(key=dv.APPEAL_TARGETS.index)
        context = {"has_determination": bool(set(targets) - {"no-response"}),
                   "determination_due": det.due if det else None,
                   "remanded_on": remand.occurred_on if remand and "determination" not in targets else None}
        return targets, context

    def _check_insert(self, rid: int, evs: list[dv.Event], new: str, on: date, state: dv.State,
                      data: dict | None = None) -> None:
        """A status recorded on ``on`` must follow the status before it and lead to the one after."""
        marks = dv.status_events(evs)
        if new == "submitted":
            # A draft is dated the day it was typed, not a step the submission must follow.
            marks = [e for e in marks if e.status != "draft"]
        prev = [e for e in marks if e.occurred_on <= on]
        later = [e for e in marks if e.occurred_on > on]
        p = prev[-1] if prev else None
        context = self._appealable(evs, on, state)[1] if new == "appealed" else {}
        # An appeal of a fee-waiver or expedite denial alone runs beside the request, whatever
        # its status (a remand, an appeal decided): only its own window limits it.
        side = new == "appealed" and bool((data or {}).get("of")) and set(data["of"]) <= dv.SIDE_TARGETS
        lc.check_transition(rid, p.status if p else None, new, on=on, since=p.occurred_on if p else None,
                            new_side_appeal=side, **context, **dv.transition_context(prev))
        if later:
            n = later[0]
            me = dv.Event(id=10**12, uid="", type="status", occurred_on=on, status=new, data=data or {})
            try:
                lc.check_transition(rid, new, n.status, on=n.occurred_on, has_determination=True,
                                    **dv.transition_context(prev + [me]))
            except FoiaError as exc:
                raise FoiaError(f"cannot record {new} on {on.isoformat()} for request {rid}: it is followed by "
                                f"{n.status} on {n.occurred_on.isoformat()} ({exc.message}); check --on") from None

    def _check_sequence(self, rid, after, *, around, voided, before, target) -> None:
        marks = dv.status_events(after)
        if voided:
            # the statuses either side of the voided one must now follow each other
            old = dv.status_events(before)
            i = next(i for i, e in enumerate(old) if e.uid == target.uid)
            pairs = [(old[i - 1] if i > 0 else None, old[i + 1] if i + 1 < len(old) else None)]
            history = old[:i]
        else:
            i = next(i for i, e in enumerate(marks) if e.uid == around)
            pairs = [(marks[i - 1] if i > 0 else None, marks[i]),
                     (marks[i], marks[i + 1] if i + 1 < len(marks) else None)]
        for a, b in pairs:
            if b is None:
                continue
            upto = (history if voided else marks[:marks.index(a) + 1]) if a is not None else []
            try:
                lc.check_transition(rid, a.status if a else None, b.status, on=b.occurred_on, has_determination=True,
                                    **dv.transition_context(upto))
            except FoiaError as exc:
                raise FoiaError(f"cannot correct event {target.id} of request {rid}: the history would read "
                                f"{a.status if a else '(start)'} then {b.status} on {b.occurred_on.isoformat()} "
                                f"({exc.message})") from None

    def _refresh_range(self, conn, first: int, last: int) -> None:
        """``_refresh`` for the requests with ids from ``first`` to ``last``: the same stored rows,
        read and written a table at a time (a million requests in minutes, not an hour)."""
        from sqlalchemy import bindparam, delete, insert, select, update

        r = requests.c
        rows = conn.execute(select(r.id, r.office, r.expedite, r.kind).where(r.id.between(first, last))
                            .with_for_update()).all()
        history: dict[int, list[dv.Event]] = {}
        for e in conn.execute(select(events).where(events.c.request_id.between(first, last))
                              .order_by(events.c.request_id, events.c.id)):
            history.setdefault(e.request_id, []).append(dv.event_from_row(e))
        calendar, dl, tn, cache = self.calendar(), [], [], []
        for row in rows:
            evs = dv.effective(history.get(row.id, ()))
            # The stored rows hold dates, not explanations (show recomputes those).
            state = dv.derive(evs, expedite=row.expedite, rules=self.rules(row.office), calendar=calendar,
                              already_effective=True, explain=False, kind=row.kind)
            dl += deadline_rows(row.id, state)
            tn += tracking_rows(row.id, evs)
            cache.append({"b_" + k: v for k, v in cache_values(state).items()} | {"b_id": row.id})
        conn.execute(delete(deadlines).where(deadlines.c.request_id.between(first, last)))
        conn.execute(delete(tracking_numbers).where(tracking_numbers.c.request_id.between(first, last)))
        if dl:
            conn.execute(insert(deadlines), dl)
        if tn:
            conn.execute(insert(tracking_numbers), tn)
        if cache:
            names = [k[2:] for k in cache[0] if k != "b_id"]
            conn.execute(update(requests).where(r.id == bindparam("b_id"))
                         .values({**{n: bindparam("b_" + n) for n in names}, "updated_at": utcnow()}), cache)

    def _refresh(self, conn, rid: int) -> dv.State:
        """Recompute status, tracking numbers and deadlines of one request from its events."""
        from sqlalchemy import delete, insert, select, update

        row = conn.execute(select(requests.c.office, requests.c.expedite, requests.c.kind)
                           .where(requests.c.id == rid)).one()
        evs = dv.effective(self._events(conn, rid))
        state = dv.derive(evs, expedite=row.expedite, rules=self.rules(row.office), calendar=self.calendar(),
                          already_effective=True, kind=row.kind)
        conn.execute(delete(deadlines).where(deadlines.c.request_id == rid))
        dl = deadline_rows(rid, state)
        if dl:
            conn.execute(insert(deadlines), dl)
        conn.execute(delete(tracking_numbers).where(tracking_numbers.c.request_id == rid))
        tn = tracking_rows(rid, evs)
        if tn:
            conn.execute(insert(tracking_numbers), tn)
        conn.execute(update(requests).where(requests.c.id == rid).values(**cache_values(state), updated_at=utcnow()))
        return state


def _same_number_elsewhere(conn, rid: int, numbers: Sequence[tuple[str, str]], filing: dict[str, str]) -> list[str]:
    """Warnings for numbers an office assigned that another request filed with that office also
    has: an office gives one number per request, so it is likely the same request recorded twice
    (a referral's number on the referring request is expected, and not reported). ``filing``:
    office id -> the office it files with (HSI's numbers are ICE's)."""
    from sqlalchemy import and_, select

    assigned = [n for n, reason in numbers if reason == "assigned"]
    if not assigned:
        return []
    tn, r = tracking_numbers.c, requests.c
    mine = conn.execute(select(r.office).where(r.id == rid)).scalar()
    rows = conn.execute(select(tn.number, tn.request_id, r.office).join(requests, r.id == tn.request_id).where(and_(
        tn.number.in_(assigned), tn.reason == "assigned", tn.request_id != rid)))
    return [f"tracking number {number} is also on request {other} at the same office: the same request recorded "
            f"twice? (`foia track show {other}`)" for number, other, office in rows
            if filing.get(office, office) == filing.get(mine, mine)]


def _news(before: Sequence[str], after: Sequence[str]) -> list[str]:
    """What a change made appear: a warning the history already carried was printed when it
    first appeared (and `show` prints them all)."""
    return [x for x in after if x not in before]


def _refuse_new_problems(rid: int, before: dv.State, after: dv.State) -> None:
    """A change that makes the deadline engine refuse the request's dates (an extension notice
    before receipt...) is refused, and the transaction rolls back."""
    new = [w for w in after.warnings if w not in before.warnings]
    if new:
        raise FoiaError(f"request {rid}: {new[0].removeprefix('deadlines not computed: ')}; nothing was recorded")


# ---------------------------------------------------------------------------------------------
# Rows and dictionaries shared with io.py


def deadline_state(t: dv.Tracked, today: date) -> str:
    """open | stopped (tolled) | overdue (agency, past due) | lapsed (requester window passed) |
    met (the agency acted by the due date) | late (it acted after) | closed (withdrawn, appealed,
    answered...)."""
    if not t.open:
        acted = t.closed_by in lc.DETERMINATIONS | {"decision"} or (
            # An appeal's outcome decides the appeal; when it closes the determination clock (a
            # row imported as "appeal-denied") the determination's own date is unknown.
            t.closed_by in lc.APPEAL_DECISIONS and t.key != "determination")
        if t.party == dv.AGENCY and acted and t.closed_on and t.due:
            return "late" if t.closed_on > t.due else "met"
        return "closed"
    if t.due is None:
        return "stopped"
    if t.due < today:
        return "overdue" if t.party == dv.AGENCY else "lapsed"
    return "open"


def deadline_rows(rid: int, state: dv.State) -> list[dict]:
    return [{"request_id": rid, "key": t.key, "label": t.deadline.label, "party": t.party,
             "start": t.deadline.start, "due": t.due, "rule": t.deadline.rule, "open": t.open,
             "closed_on": t.closed_on} for t in state.deadlines]


def tracking_rows(rid: int, evs: Sequence[dv.Event]) -> list[dict]:
    seen: dict[str, dict] = {}
    for e in evs:
        if e.type == "tracking-number" and e.data.get("number"):
            seen[e.data["number"]] = {"request_id": rid, "number": e.data["number"],
                                      "reason": e.data.get("reason") or "assigned", "recorded_on": e.occurred_on}
    return list(seen.values())


def cache_values(state: dv.State) -> dict:
    # state.due(AGENCY) and state.due(REQUESTER) in one pass (the bulk import calls this per
    # request), and the latest open requester deadline: `list` needs it to see a window still
    # open behind a lapsed one.
    earliest = {dv.AGENCY: None, dv.REQUESTER: None}
    last = None
    for t in state.deadlines:
        due = t.deadline.due
        if t.open and due and t.party in earliest:
            pair = (due, t.deadline.key)
            best = earliest[t.party]
            if best is None or pair < best:
                earliest[t.party] = pair
            if t.party == dv.REQUESTER and (last is None or due > last):
                last = due
    agency_due, agency_key = earliest[dv.AGENCY] or (None, None)
    requester_due, requester_key = earliest[dv.REQUESTER] or (None, None)
    return {"status": state.status, "status_on": state.status_on, "filed_on": state.filed_on,
            "agency_due": agency_due, "agency_due_key": agency_key,
            "requester_due": requester_due, "requester_due_key": requester_key, "requester_due_last": last}


def next_deadline_sql(today: date):
    """SQL for a request's next deadline on ``today`` (and its key, and the requester's next
    window alone): the agency's earliest open deadline (an overdue one stays: the agency still
    owes it) or the requester's earliest window not lapsed on ``today``, whichever is sooner.

    The cached columns answer for nearly every request, in the order a million-row scan
    evaluates them cheapest: the earliest requester window still open; else, when the latest
    (``requester_due_last``) has lapsed too, the agency's. Only for a request whose earliest
    window has lapsed while a later one has not are its deadlines read (an index look-up)."""
    from sqlalchemy import and_, case, or_, select, true

    r, d = requests.c, deadlines.c
    later = and_(d.request_id == r.id, d.open == true(), d.party == dv.REQUESTER, d.due >= today)
    first = select(d.due).where(later).order_by(d.due, d.key).limit(1).scalar_subquery()
    first_key = select(d.key).where(later).order_by(d.due, d.key).limit(1).scalar_subquery()
    cached = and_(r.requester_due >= today, or_(r.agency_due.is_(None), r.requester_due < r.agency_due))
    behind = and_(r.requester_due_last >= today, r.requester_due < today)
    behind_sooner = or_(r.agency_due.is_(None), first < r.agency_due)
    due = case((cached, r.requester_due), (behind, case((behind_sooner, first), else_=r.agency_due)),
               else_=r.agency_due)
    key = case((cached, r.requester_due_key), (behind, case((behind_sooner, first_key), else_=r.agency_due_key)),
               else_=r.agency_due_key)
    requester = case((r.requester_due >= today, r.requester_due), (behind, first), else_=None)
    return due, key, requester


def request_dict(row, *, identity: bool = False) -> dict:
    m = dict(row._mapping)
    for k in ("status_on", "filed_on", "agency_due", "requester_due"):
        if m.get(k) is not None:
            m[k] = m[k].isoformat()
    for k in ("systems", "vendors", "contracts"):
        m[k] = list(m.get(k) or [])
    if not identity:
        for k in IDENTITY_COLUMNS:
            m.pop(k, None)
    return m


def event_dict(e: dv.Event, *, identity: bool = False, voided: bool = False) -> dict:
    data = dict(e.data or {})
    if not identity:
        for k in list(data):
            if k in IDENTITY_EVENT_KEYS and data[k] not in (None, "", []):
                data[k] = HIDDEN
    out = {"id": e.id, "uid": e.uid, "type": e.type, "status": e.status, "occurred_on": e.occurred_on.isoformat(),
           "recorded_at": e.recorded_at, "actor": e.actor, "note": e.note, "data": data,
           "summary": _summary_of(e.type, e.status, data)}
    if voided:
        out["voided"] = True
    if e.corrected:
        out["corrected"] = list(e.corrected)
    return out


HIDDEN = "[identity hidden]"

_APPEAL_OF_TEXT = {"determination": "determination", "no-response": "agency's silence",
                   "fee-waiver-denial": "fee-waiver denial", "expedite-denial": "expedite denial"}


def appeal_of_text(of) -> str:
    """``["determination", "expedite-denial"]`` -> "determination and expedite denial"."""
    parts = [_APPEAL_OF_TEXT.get(x, str(x)) for x in of]
    return parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]


def _summary(ev: dict) -> str:
    data = {k: (HIDDEN if k in IDENTITY_EVENT_KEYS and v not in (None, "", []) else v)
            for k, v in (ev.get("data") or {}).items()}
    return _summary_of(ev["type"], ev.get("status"), data, on=ev["occurred_on"])


def _summary_of(type_: str, status: str | None, data: dict, on: date | None = None) -> str:
    when = f" on {on.isoformat()}" if on else ""
    if type_ == "status":
        text = f"{lc.label(status)}{when}"
        if data.get("of"):
            text += f" (of the {appeal_of_text(data['of'])})"
        if data.get("received"):
            text += f" (appeal received {data['received']})"
        return text
    if type_ == "created":
        return "recorded as a draft" if status == "draft" else "recorded in the tracker"
    if type_ == "tracking-number":
        return f"tracking number {data.get('number')} ({data.get('reason')})"
    if type_ == "fee":
        kind = {"waiver-denied": "fee waiver denied", "waived": "fees waived"}.get(data.get("kind"),
                                                                                   f"fees {data.get('kind')}")
        return f"{kind}: ${data.get('amount')}{when}"
    if type_ == "estimated-completion":
        return f"estimated completion {data.get('date')}"
    if type_ == "extension-notice":
        return f"extension notice{when}" + (" (appeal)" if data.get("stage") == "appeal" else "")
    if type_ == "received":
        return f"received by the office{when}"
    if type_ == "first-received":
        return f"first received by another office{when}"
    if type_ == "expedite-decision":
        return f"expedited processing {data.get('decision')}{when}"
    if type_ == "referral":
        return f"referred to {data.get('office')}{when}"
    if type_ == "expedite-asked":
        return f"expedited processing asked{when}"
    if type_ == "served":
        return f"complaint served on the agency{when}"
    if type_ == "documents":
        parts = []
        if data.get("count") is not None:
            parts.append(f"{data['count']} documents")
        if data.get("pages") is not None:
            parts.append(f"{data['pages']} pages")
        files = data.get("files")
        if isinstance(files, list) and files:
            parts.append("files: " + ", ".join(map(str, files)))
        elif files == HIDDEN:
            parts.append("files recorded (--identity shows them)")
        return "documents received" + (f": {', '.join(parts)}" if parts else "")
    if type_ == "letter":
        what = data.get("kind", "letter")
        shown = data.get("path") and data["path"] != HIDDEN
        return f"{what} letter drafted" + (f": {data['path']}" if shown else "")
    if type_ == "correction":
        if data.get("void"):
            return f"event {data.get('event')} voided"
        return f"event {data.get('event')} moved to {data.get('occurred_on')}"
    if type_ == "purged":
        return "identity data purged: " + (", ".join(data.get("fields") or []) or "event data only")
    if type_ == "edited":
        parts = []
        if "assignee" in data:
            parts.append(f"assignee {data['assignee'].get('to') or '(none)'}")
        if data.get("tags_added"):
            parts.append("tags + " + ", ".join(data["tags_added"]))
        if data.get("tags_removed"):
            parts.append("tags - " + ", ".join(data["tags_removed"]))
        return "; ".join(parts) or "edited"
    if type_ == "note":
        return "note"
    if type_ == "mail-received":
        return f"mail received from {data.get('from') or 'the office'} (foia inbox show {data.get('message')})"
    if type_ == "delivery-failed":
        return (f"delivery failed: {data.get('reason') or 'the mail bounced'}"
                f" (foia inbox show {data.get('message')})")
    return type_


def _set_state(conn, key: str, value: str | None) -> None:
    """Set (or, with None, clear) one ``tracker_state`` row."""
    from sqlalchemy import delete, insert

    conn.execute(delete(tracker_state).where(tracker_state.c.key == key))
    if value is not None:
        conn.execute(insert(tracker_state).values(key=key, value=value))


def _rewrite_request_tables(conn) -> None:
    """PostgreSQL: rewrite ``requests`` and the tables that depend on it with their live rows
    only (see Tracker._scrub_after_purge). TRUNCATE gives each table (and its TOAST table and
    indexes) new files whatever other sessions' snapshots are; the foreign keys hold, since
    every table is filled again, parents first, in the same transaction."""
    from foia.tracker.models import metadata, requests as requests_table

    tables = []
    for table in metadata.sorted_tables:        # parents before the tables that refer to them
        if table is requests_table or any(fk.column.table in tables for fk in table.foreign_keys):
            tables.append(table)
    names = [t.name for t in tables]
    from sqlalchemy import inspect

    if inspect(conn).has_table("document_tsv"):
        # The vault's search index (migration 9) refers to document_pages from outside the models.
        names.append("document_tsv")
    conn.exec_driver_sql("SET LOCAL lock_timeout = '60s'")
    for name in names:
        conn.exec_driver_sql(f'CREATE TEMPORARY TABLE "foia_keep_{name}" ON COMMIT DROP AS '
                             f'SELECT * FROM "{name}"')
    conn.exec_driver_sql("TRUNCATE " + ", ".join(f'"{n}"' for n in names))
    for name in names:
        conn.exec_driver_sql(f'INSERT INTO "{name}" SELECT * FROM "foia_keep_{name}"')


# Request ids are INTEGER columns (PostgreSQL: at most 2**31 - 1).
MAX_ID = 2**31 - 1


def _request_number(text: str) -> int | None:
    """``text`` as a request id when it can be one (ASCII digits, within the column's range)."""
    if text.isascii() and text.isdigit() and len(text) <= 10 and int(text) <= MAX_ID:
        return int(text)
    return None


def _spellings(column, value: str):
    """The stored values of ``column`` equal to ``value`` ignoring case, as a subquery."""
    from sqlalchemy import func, select

    return select(column).where(func.lower(column) == value.strip().lower()).distinct().scalar_subquery()


def normalize_tags(tags: Iterable[str], *, what: str = "--tag") -> list[str]:
    out: list[str] = []
    for raw in tags:
        for t in re.split(r"[,;]", str(raw)):
            t = t.strip()
            if not t:
                continue
            if not _TAG.fullmatch(t):
                raise UsageError(f"{what}: {t!r} is not a tag; use one word (no spaces), up to 100 characters")
            if t not in out:
                out.append(t)
    return out


def office_snapshot(directory, agency, *, on: date) -> dict:
    """The office's contact details as the directory gives them on ``on``, the day they are
    recorded (stored with the request, so later directory changes do not rewrite them)."""
    how = directory.how_to_file(agency)
    office = how["office"]
    filing = how["filing"]
    return {
        "office": office.id, "name": office.name, "abbreviation": office.abbreviation,
        "office_name": office.office,
        "requested_office": agency.id if agency.id != office.id else None,
        "portal": how["portal"], "portal_only": how["portal_only"],
        "portal_only_since": filing.portal_only_since if filing else None,
        "filing_policy": filing.policy if filing else None,
        "filing_sources": list(filing.sources) if filing else [],
        "channels": [{"purpose": c.purpose, "type": c.type, "value": c.value, "verified": c.verified,
                      "note": c.note, "sources": list(c.sources)} for c in how["channels"]],
        "taken_on": on.isoformat(),
    }


def _filing_warnings(snapshot: dict | None, sent_via: str | None, filed_on: date) -> list[str]:
    if not snapshot or sent_via not in ("email", "mail", "fax"):
        return []
    since = snapshot.get("portal_only_since")
    if snapshot.get("portal_only") and since and filed_on.isoformat() >= since:
        return [f"{snapshot.get('abbreviation')} takes requests through its portal since {since} "
                f"({snapshot.get('portal')}; directory sources: {', '.join(snapshot.get('filing_sources') or [])}); "
                f"a request sent by {sent_via} may not count as received: check that the office acknowledges it"]
    return []


AWARD_NUMBER = re.compile(r"[A-Z0-9][A-Z0-9-]{4,49}")


def contract_link(directory, key: str) -> str | None:
    """What a request links to for ``key``: the directory's contract id when the directory knows the
    contract (by id or award number), else the award number itself (an award found on USAspending,
    `foia draft contract --lookup`), or None when ``key`` is neither."""
    try:
        return directory.contract(key).id
    except NotFound:
        key = key.strip()
        return key if AWARD_NUMBER.fullmatch(key) else None
