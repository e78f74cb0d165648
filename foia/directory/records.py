"""The directory's record types: immutable, compared by value, each field a plain attribute.

They are plain classes with ``__slots__`` rather than frozen dataclasses: generating the
dataclasses' methods cost about 35 ms at every start of `foia agencies` (issue 20), more than
reading the whole directory from the per-user cache. Behaviour is the dataclasses': keyword or
positional construction with defaults, no assignment after it, equality and hashing by field
values, the same ``repr``, and ``replace``/``as_dict`` in place of ``dataclasses.replace``/``asdict``.
"""

from __future__ import annotations

from typing import Any


class Record:
    """Base of every directory record (and of the letters' ``Field`` and ``LetterKind``): fields in
    ``__slots__`` order, defaults in ``DEFAULTS``."""

    __slots__ = ()
    FIELDS: tuple[str, ...] = ()
    DEFAULTS: dict[str, Any] = {}

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        cls.FIELDS = tuple(cls.__slots__)

    def __init__(self, *args, **kwargs):
        name, fields = type(self).__name__, self.FIELDS
        if len(args) > len(fields):
            raise TypeError(f"{name}() takes {len(fields)} positional arguments but {len(args)} were given")
        values = dict(zip(fields, args))
        for key, value in kwargs.items():
            if key not in fields:
                raise TypeError(f"{name}() got an unexpected keyword argument {key!r}")
            if key in values:
                raise TypeError(f"{name}() got multiple values for argument {key!r}")
            values[key] = value
        put = object.__setattr__
        for field in fields:
            if field in values:
                put(self, field, values[field])
            elif field in self.DEFAULTS:
                put(self, field, self.DEFAULTS[field])
            else:
                raise TypeError(f"{name}() missing required argument: {field!r}")

    def _values(self) -> tuple:
        return tuple(getattr(self, f) for f in self.FIELDS)

    def __setattr__(self, key, value):
        raise AttributeError(f"cannot assign to field {key!r}: {type(self).__name__} is immutable")

    def __delattr__(self, key):
        raise AttributeError(f"cannot delete field {key!r}: {type(self).__name__} is immutable")

    def __eq__(self, other):
        if other.__class__ is not self.__class__:
            return NotImplemented
        return self._values() == other._values()

    def __hash__(self):
        return hash(self._values())

    def __repr__(self):
        inner = ", ".join(f"{f}={getattr(self, f)!r}" for f in self.FIELDS)
        return f"{type(self).__name__}({inner})"

    def __reduce__(self):  # the per-user cache pickles records; no assignment needed to rebuild
        return (self.__class__, self._values())

    def replace(self, **changes) -> "Record":
        """A copy with ``changes`` applied (``dataclasses.replace``)."""
        return self.__class__(**{**dict(zip(self.FIELDS, self._values())), **changes})

    def as_dict(self) -> dict[str, Any]:
        """Field -> value, records inside (also in tuples and lists) as dicts (``dataclasses.asdict``)."""
        return {f: _plain(getattr(self, f)) for f in self.FIELDS}


def _plain(value: Any) -> Any:
    if isinstance(value, Record):
        return value.as_dict()
    if isinstance(value, (tuple, list)):
        return type(value)(_plain(v) for v in value)
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    return value


class Source(Record):
    __slots__ = ("id", "title", "file", "url", "via")
    DEFAULTS = {"file": None, "url": None, "via": None}

    def label(self) -> str:
        # The citation a reader can follow (foia/sources.json), not a path into the project's
        # working files, which are not shipped.
        from foia.sources import citation

        return citation(self)


class Fact(Record):
    """A sentence with its provenance (a description line, a note)."""

    __slots__ = ("text", "sources", "verified", "note")
    DEFAULTS = {"note": None}


class Contact(Record):
    # purpose: request | liaison | appeal | amendment | mediation | status;
    # type: portal | web | email | mail | phone | fax
    __slots__ = ("purpose", "type", "value", "sources", "verified", "note")
    DEFAULTS = {"note": None}


class Regulation(Record):
    __slots__ = ("cite", "sources", "verified")


class Filing(Record):
    """How an office takes requests; DHS has been portal-only since 2026-01-22."""

    __slots__ = ("policy", "sources", "verified", "portal", "portal_only_since")
    DEFAULTS = {"portal": None, "portal_only_since": None}


class TrackingPattern(Record):
    """How an office writes its tracking numbers (a regular expression matched whole, as a
    word), with one example it must match: `foia inbox` finds them in the agencies' mail.
    ``reason`` is the tracker's reason for the number: assigned (a request) | appeal."""

    __slots__ = ("pattern", "example", "reason", "sources", "verified")


class Appeal(Record):
    # office: the agency id that decides the appeals (DOJ's OIP for the FBI)
    __slots__ = ("route", "sources", "verified", "cite", "office")
    DEFAULTS = {"cite": None, "office": None}


class Clock(Record):
    __slots__ = ("determination_working_days", "appeal_window_days", "appeal_window_unit", "sources", "verified",
                 "misdirected_max_working_days", "extension_working_days", "expedite_decision_days",
                 "expedite_decision_unit", "appeal_decision_working_days", "clarification_close_working_days",
                 "appeal_rule")
    DEFAULTS = {"misdirected_max_working_days": 10, "extension_working_days": 10, "expedite_decision_days": 10,
                "expedite_decision_unit": "calendar", "appeal_decision_working_days": 20,
                "clarification_close_working_days": None, "appeal_rule": None}


class USAspendingAgency(Record):
    __slots__ = ("toptier_name", "sources", "verified", "toptier_code", "subtier_name", "subtier_code")
    DEFAULTS = {"toptier_code": None, "subtier_name": None, "subtier_code": None}


class Identifier(Record):
    """A SORN or PIA."""

    __slots__ = ("id", "sources", "verified", "title", "date", "citations", "note")
    DEFAULTS = {"title": None, "date": None, "citations": (), "note": None}


class Claim(Record):
    """One source's account of a contract: amounts and dates exactly as precise as the source.
    basis: award | ceiling | paid | obligated | total | annual | estimate;
    qualifier: about | more than | up to | less than."""

    __slots__ = ("text", "sources", "verified", "amount", "basis", "qualifier", "date", "start", "end",
                 "award_number")
    DEFAULTS = {"amount": None, "basis": None, "qualifier": None, "date": None, "start": None, "end": None,
                "award_number": None}

    def amount_text(self) -> str:
        if self.amount is None:
            return ""
        cents = self.amount != self.amount.to_integral_value()
        figure = f"${self.amount:,.2f}" if cents else f"${int(self.amount):,}"
        return f"{self.qualifier} {figure}" if self.qualifier else figure


# origin: the file a record comes from; overridden: the fields an override file set on it.
_PROVENANCE = {"origin": "", "overridden": ()}


class Agency(Record):
    __slots__ = ("id", "name", "abbreviation", "kind", "aliases", "parent", "files_through", "office", "contacts",
                 "regulation", "filing", "clock", "appeal", "identity_form", "notes", "usaspending", "origin",
                 "overridden", "tracking_patterns")
    DEFAULTS = {"aliases": (), "parent": None, "files_through": None, "office": None, "contacts": (),
                "regulation": None, "filing": None, "clock": None, "appeal": None, "identity_form": None,
                "notes": (), "usaspending": None, **_PROVENANCE, "tracking_patterns": ()}


class System(Record):
    __slots__ = ("id", "name", "abbreviation", "agencies", "aliases", "directorate", "vendors", "description",
                 "pias", "sorns", "record_categories", "origin", "overridden")
    DEFAULTS = {"aliases": (), "directorate": None, "vendors": (), "description": (), "pias": (), "sorns": (),
                "record_categories": (), **_PROVENANCE}

    @property
    def verified(self) -> bool:
        """Whether a verified source describes the system at all: one known only from a seed
        article (NCIC, named as an ImmigrationOS data source) is listed with its unverified mark."""
        return any(f.verified for f in self.description)


class Vendor(Record):
    __slots__ = ("id", "name", "abbreviation", "aliases", "parent", "usaspending_names", "products", "notes",
                 "origin", "overridden")
    DEFAULTS = {"abbreviation": None, "aliases": (), "parent": None, "usaspending_names": (), "products": (),
                "notes": (), **_PROVENANCE}


class Contract(Record):
    __slots__ = ("id", "title", "vendors", "agency", "claims", "directorate", "system", "award_number",
                 "parent_award", "conflicts", "origin", "overridden")
    DEFAULTS = {"directorate": None, "system": None, "award_number": None, "parent_award": None, "conflicts": (),
                **_PROVENANCE}


class Closure(Record):
    __slots__ = ("date", "name", "sources", "verified")
