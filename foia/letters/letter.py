"""A letter: its render context, the rendered letter, and ``draft_letters``, the use case of
`foia draft` (one letter per office, every file built and checked before the first is written)."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Sequence

from foia.errors import FoiaError, NotFound, UsageError
from foia.letters.context import Section, Warnings, clock_context, compact, office_context, pick_contact
from foia.letters.builders import request_fees
from foia.letters.fields import REQUESTER_FIELDS
from foia.letters.files import exists_refusal, letter_bytes, target_path
from foia.letters.kinds import LetterKind, letter_kind
from foia.letters.options import missing_field, normalize_options
from foia.letters.templates import render
from foia.letters.wording import address_lines, same_name, with_article
from foia.naming import Field as Named
from foia.naming import Text
from foia.render import Block, Formats, MarkupError, parse, subject_of

if TYPE_CHECKING:
    from foia.directory import Directory
    from foia.profile import Profile

# From this many letters on, writing them reports its progress (the CLI shows a bar).
PROGRESS_FROM = 4


class Letter(Formats):
    """One rendered letter. ``text`` and ``markdown`` are made from ``blocks`` when first read
    (Formats). Immutable and compared by value, as the frozen dataclass it was; a plain class
    because generating a dataclass's methods cost every `foia draft` about a millisecond."""

    FIELDS = ("kind", "office_id", "office_name", "subject", "to_email", "portal", "portal_only", "warnings",
              "fields", "blocks", "about_id", "date")
    __hash__ = None  # ``fields`` is a dict: a letter was never hashable

    def __init__(self, kind: str, office_id: str, office_name: str, subject: str, to_email: str | None,
                 portal: str | None, portal_only: bool, warnings: tuple[str, ...], fields: dict,
                 blocks: tuple[Block, ...] = (), about_id: str = "", date: date | None = None):
        # subject: the RE line; warnings: each a foia.naming.Text (it names fields, not options);
        # fields: the full render context; about_id: the agency the letter is about (HSI for a
        # letter to HSI; ICE for mediation).
        self.__dict__.update(kind=kind, office_id=office_id, office_name=office_name, subject=subject,
                             to_email=to_email, portal=portal, portal_only=portal_only, warnings=warnings,
                             fields=fields, blocks=blocks, about_id=about_id, date=date)

    def __setattr__(self, name, value):
        raise AttributeError(f"cannot assign to field {name!r}: a Letter is immutable")

    def __delattr__(self, name):
        raise AttributeError(f"cannot delete field {name!r}: a Letter is immutable")

    def __eq__(self, other):
        if other.__class__ is not self.__class__:
            return NotImplemented
        return all(getattr(self, f) == getattr(other, f) for f in self.FIELDS)

    def __repr__(self):
        return "Letter(" + ", ".join(f"{f}={getattr(self, f)!r}" for f in self.FIELDS) + ")"


def _requester(kind: LetterKind, profile: "Profile | None", o: dict) -> Section:
    from foia.profile import FEE_CATEGORIES, merge, normalize_fee_category

    overrides = {f.name[len("requester_"):]: o.get(f.name) for f in REQUESTER_FIELDS if f.name.startswith("requester_")}
    what = "requester_fee_category"
    try:
        overrides["fee_category"] = normalize_fee_category(overrides["fee_category"], what=what)
    except UsageError as exc:
        raise UsageError(Text(Named(what), exc.message[len(what):]), field=what) from None
    p = merge(profile, overrides)
    if not p.name:
        raise missing_field(kind, "requester_name", "your name")
    if not (p.email or p.address):
        raise UsageError(Text(f"{kind.name} letter needs a way to reach you: pass ", Named("requester_email"), " or ",
                              Named("requester_address"), ", or set email or address in your profile (foia profile "
                              "edit)"), field="requester_email")
    values = p.to_dict()
    if p.fee_category:
        values["fee_category_label"] = FEE_CATEGORIES[p.fee_category]
    requester = compact("requester", values)
    requester["address_lines"] = address_lines(p.address)  # always a list, maybe empty
    return requester


def _self_signer(o: dict, profile: "Profile | None", w: Warnings) -> "Profile | None":
    """A first-party letter is signed by the person whose records it asks for: the 28 U.S.C.
    1746 declaration above the signature is theirs. With ``full_name``, that person signs; a
    profile belonging to someone else lends only its email and phone (for the reply), not its
    name, title, organization or address. Returns the profile to sign with."""
    full = o.get("full_name")
    if not full:
        return profile  # the profile's own name is the person: they sign
    given = o.get("requester_name")
    if given and not same_name(given, full):
        raise UsageError(Text(Named("requester_name"), " differs from ", Named("full_name"), ": a first-party (self) "
                              "letter is signed by the person whose records it asks for; drop ",
                              Named("requester_name"), " (the letter is then signed with ", Named("full_name"),
                              "), or write `foia draft third-party` for another person"), field="requester_name")
    o["requester_name"] = given or full
    if profile is None or not profile.name or same_name(profile.name, full):
        return profile
    if not o.get("address"):
        raise UsageError(Text("self letter needs the current address of the person in ", Named("full_name"),
                              ": pass ", Named("address"), " (your profile's address is your own)"), field="address")
    o.setdefault("requester_address", o["address"])
    w.add(Text("note: signed with ", Named("full_name"), ", not your profile's name: a first-party letter is signed by "
               "the person whose records it asks for; your profile's title, organization and address are left out, "
               "its email and phone are kept for the reply (", Named("requester_email"), ", ",
               Named("requester_phone"), " change them)"))
    return profile.replace(name=None, title=None, organization=None, address=None)


def build_context(kind_name: str, *, directory: "Directory", office: str, profile: "Profile | None" = None,
                  options: dict | None = None, today: date | None = None) -> tuple[dict, list[str]]:
    """The render context for one letter and the warnings it produced."""
    kind = letter_kind(kind_name)
    d = directory
    today = today or date.today()
    o = normalize_options(kind, options or {})
    for f in kind.fields:
        if f.required and not f.profile and f.name not in o:
            raise missing_field(kind, f.name)
    w = Warnings()
    about = d.agency(office)
    if not kind.applies_to(about):
        raise UsageError(Text(f"{about.abbreviation} is not a FOIA office to write {kind.name} letters to; ",
                              Text(Named("to"), " names the agency in dispute, and the letter goes to "
                                   f"{d.agency(kind.to).abbreviation}") if kind.to else
                              "choose an agency (foia agencies list)"), field="to")
    filing = d.filing_office(about)
    # Amendments go where the directory says (ICE Privacy Office, Stop 5004); the review of a
    # refusal (552a(d)(3)) has no address in foia's sources (6 CFR 5.25 is unverified).
    addressee_office = d.agency(kind.to) if kind.to else filing
    # A follow-up about a pending appeal goes where the appeal went.
    purpose = "appeal" if o.get("pending_appeal") else kind.purpose
    office_ctx = office_context(d, addressee_office, purpose, w)
    deciding = d.appeal_office(filing) if purpose == "appeal" else addressee_office
    if kind.signed_by_subject:
        profile = _self_signer(o, profile, w)
    ctx: dict[str, Any] = {
        "kind": kind.name,
        "regarding": "appeal" if purpose == "appeal" else kind.regarding,
        "letter_date": today,
        "office": office_ctx,
        "about": compact("about", {
            "id": about.id, "name": about.name, "abbreviation": about.abbreviation,
            "directorate": about.kind == "directorate", "files_with": filing.office or filing.name,
            "agency_name": filing.name, "agency": with_article(filing.name), "filing_id": filing.id,
        }),
        "requester": _requester(kind, profile, o),
    }
    clock = clock_context(d, filing)
    if clock is not None:
        ctx["clock"] = clock
    if deciding.id != addressee_office.id:
        # Appeals of DOJ components go to DOJ's Office of Information Policy (28 CFR 16.8(a)).
        appeals = office_context(d, deciding, "appeal", w)
        portal = pick_contact(d, deciding, "appeal", "portal", w, put="given as where to file")
        appeals["portal"] = portal.value if portal else None
        rule, _ = d.inherited(filing, "appeal")
        appeals["cite"] = rule.cite if rule else None
        ctx["appeal_office"] = appeals
        addressee_office = deciding
    if kind.request:
        request_fees(kind, o, ctx, w)
    kind.build(d, o, ctx, w, kind, today)
    ctx["addressee"] = kind.addressee(kind, ctx)
    email = o.get("to_email")
    if email:
        w.add(Text(f"note: sending to {email} (", Named("to_email"), "), not an address from the directory"))
    else:
        c = pick_contact(d, addressee_office, purpose, "email", w, put="used as the email recipient")
        email = c.value if c else None
        ctx["to_email_verified"] = bool(c and c.verified)
    ctx["to_email"] = email
    ctx["to_email_given"] = bool(o.get("to_email"))
    return ctx, list(w)


def build_letter(kind: str, *, directory: "Directory", office: str, profile: "Profile | None" = None,
                 options: dict | None = None, today: date | None = None) -> Letter:
    """Render one letter of ``kind`` to ``office`` (an id, abbreviation or name)."""
    k = letter_kind(kind)
    today = today or date.today()
    ctx, warnings = build_context(kind, directory=directory, office=office, profile=profile, options=options,
                                  today=today)
    markup = render(k, ctx)
    try:
        blocks = parse(markup, template=k.template)
    except MarkupError as exc:
        raise FoiaError(f"template {exc}") from None
    subject = subject_of(blocks)
    if not subject:
        raise FoiaError(f"template {k.template} has no @re section; a letter needs its RE line")
    office_ctx = ctx["office"]
    ctx["markup"] = markup
    return Letter(
        kind=k.name,
        office_id=office_ctx["id"],
        office_name=office_ctx["name"],
        subject=subject,
        to_email=ctx["to_email"],
        portal=ctx.get("appeal_office", office_ctx).get("portal"),
        portal_only=bool(k.request and office_ctx.get("portal_only")),
        warnings=tuple(warnings),
        fields=ctx,
        blocks=blocks,
        about_id=ctx["about"]["id"],
        date=today,
    )


class Drafted:
    """The letters of one draft and their files: ``files`` holds (letter, format, path, content)
    for each file to write; ``skipped`` why a letter has no .eml (keyed by ``id(letter)``);
    ``notes`` what is said of every letter; ``tracked`` (request id, filed before) per letter
    when the letters were filed in the tracker. (A plain class, not a dataclass: see Letter.)"""

    def __init__(self, letters: list[Letter], files: list[tuple[Letter, str, Path, bytes]], *, out: Path = Path("."),
                 stem: str | None = None, reproducible: bool = False, attach_docx: bool = False):
        self.letters = letters
        self.files = files
        self.skipped: dict[int, str] = {}
        self.notes: list[str] = []
        self.tracked: dict[int, tuple[int, bool]] = {}
        self.out = out
        self.stem = stem
        self.reproducible = reproducible
        self.attach_docx = attach_docx

    def written(self, letter: Letter) -> dict[str, Path]:
        """Each format of ``letter`` written, and its path."""
        return {fmt: path for lt, fmt, path, _ in self.files if lt is letter}

    def content(self, letter: Letter, fmt: str, **eml) -> bytes:
        """``letter`` in ``fmt``, as this draft writes it (``eml``: its Message-ID and request id)."""
        # Only an .eml names the DOCX beside it (resolving a path costs more than a text file's bytes).
        docx_name = target_path(letter, self.out, "docx", self.stem).name if fmt == "eml" else None
        return letter_bytes(letter, fmt, reproducible=self.reproducible, attach_docx=self.attach_docx,
                            attachment_name=docx_name, **eml)


def _default_office(kind: LetterKind, options: dict, d) -> str:
    office = kind.default_office(d, options) if kind.default_office else None
    if office is None:
        raise UsageError(Text(f"{kind.name} letter needs ", Named("to"), ": the office to write to (e.g. ",
                              Named("to"), " ICE); see `foia agencies list`"), field="to")
    return office


def _lookup_award(options: dict, d, offices: list[str], base_url: str | None) -> None:
    """Put USAspending's account of the award into the letter's ``award_detail``."""
    from foia.contracts import letter_fields_for_award, make_client

    award = options["award"]
    try:
        award = d.contract(award).award_number or award
    except NotFound:
        pass
    with make_client(base_url) as client:
        options["award_detail"] = letter_fields_for_award(award, client, directory=d,
                                                          agency=offices[0] if offices else None)


def prepare_letters(kind_name: str, *, directory: "Directory", offices: Sequence[str] = (), options: dict | None = None,
                    profile: "Profile | None" = None, today: date | None = None, formats: Sequence[str] = ("txt",),
                    out: Path | str = ".", stem: str | None = None, overwrite: bool = False,
                    reproducible: bool = False, attach_docx: bool = False, lookup: bool = False,
                    base_url: str | None = None) -> Drafted:
    """Build one ``kind_name`` letter per office (an office named twice gets one) and the content
    of each of its files, checking everything: nothing is written. Each office gets what it can
    take: no .eml for one with no email or with online-only filing. ``offices``: default the
    kind's (a contract's agency, a system's holder); ``lookup``: fill the award from USAspending."""
    kind = letter_kind(kind_name)
    d = directory
    options = dict(options or {})
    offices = list(offices) or [_default_office(kind, options, d)]
    if lookup:
        _lookup_award(options, d, offices, base_url)
    formats = list(dict.fromkeys(formats or ("txt",)))
    if stem and len(offices) > 1:
        raise UsageError(Text(Named("stem"), " names one file: use it with a single ", Named("to")), field="stem")
    if attach_docx and "eml" not in formats:
        raise UsageError(Text(Named("attach_docx"), " attaches the DOCX to the .eml: add ", Named("formats"),
                              " eml"), field="attach_docx")
    seen, built = set(), []
    for office in offices:
        agency = d.agency(office)
        if agency.id in seen:
            continue
        seen.add(agency.id)
        built.append(build_letter(kind.name, directory=d, office=agency.id, profile=profile, options=options,
                                  today=today))
    drafted = Drafted(built, [], out=Path(out), stem=stem, reproducible=reproducible, attach_docx=attach_docx)
    jobs = []
    for letter in built:
        for fmt in formats:
            refusal = None
            if fmt == "eml":
                from foia.render.email import eml_refusal

                refusal = eml_refusal(letter)
            if refusal:
                drafted.skipped[id(letter)] = refusal
                continue
            path = target_path(letter, drafted.out, fmt, stem)
            if path.exists() and not overwrite:
                raise exists_refusal(path)
            jobs.append((letter, fmt, path))
    if not jobs:
        reasons = [part for i, why in enumerate(drafted.skipped.values()) for part in (("; ",) if i else ()) + (why,)]
        raise FoiaError(Text("nothing written: ", *reasons))
    drafted.files = [(letter, fmt, path, drafted.content(letter, fmt)) for letter, fmt, path in jobs]
    return drafted


def write_drafted(drafted: Drafted, *, progress: Callable | None = None) -> None:
    """Write the files of ``drafted``, user-only (0600). ``progress(files)``: a context manager
    giving the files to write as it reports them, used from PROGRESS_FROM letters on."""
    from foia.files import write_all
    from foia.paths import ensure_private_dir

    ensure_private_dir(drafted.out)
    if progress is not None and len(drafted.letters) >= PROGRESS_FROM:
        with progress(drafted.files) as files:
            write_all(((path, data) for _, _, path, data in files), mode=0o600)
    else:
        write_all(((path, data) for _, _, path, data in drafted.files), mode=0o600)


def load_signer(profile_file: str | Path | None = None, *, use_profile: bool = True) -> "Profile | None":
    """The profile that signs (``profile_file``, else yours), or None without one."""
    if not use_profile:
        return None
    from foia.profile import load_profile

    return load_profile(profile_file)


def check_filed_on(filed_on: date | None) -> date | None:
    """The day the letters are sent: not in the future (the tracker records what has happened),
    and in a year whose holidays are known (a clock counts from it)."""
    if filed_on is None:
        return None
    from foia.clocks.calendar import calendar_problem

    if filed_on > date.today():
        raise UsageError(Text(Named("filed_on"), f": {filed_on.isoformat()} is in the future; give the day you send it "
                              "(the tracker records what has happened)"), field="filed_on")
    problem = calendar_problem(filed_on)
    if problem:
        raise UsageError(Text(Named("filed_on"), f": {problem}"), field="filed_on")
    return filed_on


def draft_letters(kind_name: str, *, directory: "Directory", offices: Sequence[str] = (),
                  options: dict | None = None, profile_file: str | Path | None = None, use_profile: bool = True,
                  letter_date: date | None = None, filed_on: date | None = None, progress: Callable | None = None,
                  before_writing: Callable[[Drafted], None] | None = None, **files) -> Drafted:
    """`foia draft KIND`: one letter per office, in each format, written into ``out`` (0600);
    every letter and file is built and checked before the first is written, so a bad office, a
    missing field or an existing file stops it with nothing written.

    The letters are dated ``letter_date``, else ``filed_on`` (the day they are sent: the letter
    the tracker keeps is the one filed), else today. ``before_writing(drafted)`` runs once all
    is checked, before the first file is written (filing in the tracker: foia.tracker.filing).
    ``files``: the arguments of :func:`prepare_letters` about files and the award lookup."""
    check_filed_on(filed_on)
    notes = []
    if letter_date and filed_on and filed_on != letter_date:
        notes.append(Text(f"note: the letter is dated {letter_date.isoformat()} (", Named("letter_date"),
                          f") but filed on {filed_on.isoformat()} (", Named("filed_on"),
                          "); the tracker keeps this letter as the one filed"))
    profile = load_signer(profile_file, use_profile=use_profile)
    drafted = prepare_letters(kind_name, directory=directory, offices=offices, options=options, profile=profile,
                              today=letter_date or filed_on or date.today(), **files)
    drafted.notes = notes
    if before_writing is not None:
        before_writing(drafted)
    write_drafted(drafted, progress=progress)
    return drafted
