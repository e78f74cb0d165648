"""The sourced directory: look-ups, inheritance between offices, the merge of a user's override
file over the packaged agencies.yaml, and loading (through the per-user cache).

A user's override file (``FOIA_DIRECTORY``, the CLI's option for it) is checked like the
packaged file (``schema.py``) and merged over it; the records it touched remember that, so
``show`` can say so.
"""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Iterable

from foia.directory import records
from foia.directory.records import Agency, Closure, Contact, Contract, Source, System, Vendor
from foia.errors import DirectoryError, NotFound

if TYPE_CHECKING:
    from foia.directory.schema import Parsed

# ---------------------------------------------------------------------------------------------
# The directory


class Directory:
    """The merged, validated directory. Look-ups are case-insensitive by id, abbreviation or alias."""

    def __init__(self, parsed: Parsed, files: tuple[str, ...]):
        self.files = files
        r = parsed.records
        self.sources: dict[str, Source] = r.get("sources", {})
        self.agencies: dict[str, Agency] = r.get("agencies", {})
        self.systems: dict[str, System] = r.get("systems", {})
        self.vendors: dict[str, Vendor] = r.get("vendors", {})
        self.contracts: dict[str, Contract] = r.get("contracts", {})
        self._closures: dict[str, Closure] = r.get("closures", {})
        self._lines = parsed.lines

    # -- look-ups --------------------------------------------------------------------------
    def _find(self, table: dict, key: str, what: str, names: Callable[[Any], Iterable[str]]):
        wanted = key.strip().casefold()
        if wanted in table:
            return table[wanted]
        for rec in table.values():
            if any(n.casefold() == wanted for n in names(rec) if n):
                return rec
        raise NotFound(f"no {what} {key!r}; see `foia {what_plural(what)} list` for the ids")

    def agency(self, key: str) -> Agency:
        return self._find(self.agencies, key, "agency", lambda a: (a.abbreviation, a.name, *a.aliases))

    def system(self, key: str) -> System:
        return self._find(self.systems, key, "system", lambda s: (s.abbreviation, s.name, *s.aliases))

    def vendor(self, key: str) -> Vendor:
        return self._find(self.vendors, key, "vendor", lambda v: (v.abbreviation, v.name, *v.aliases))

    def contract(self, key: str) -> Contract:
        return self._find(self.contracts, key, "contract",
                          lambda c: (c.award_number, *(cl.award_number for cl in c.claims)))

    def source(self, sid: str) -> Source:
        return self.sources[sid]

    @property
    def closures(self) -> dict:
        import datetime as _dt

        return {_dt.date.fromisoformat(c.date): c.name for c in self._closures.values()}

    # -- inheritance -----------------------------------------------------------------------
    def lineage(self, agency: Agency) -> list[Agency]:
        """The agency and its parents, nearest first."""
        chain = [agency]
        while chain[-1].parent and chain[-1].parent in self.agencies and len(chain) < 10:
            chain.append(self.agencies[chain[-1].parent])
        return chain

    def inherited(self, agency: Agency, attr: str):
        """The agency's own value for ``attr``, else its nearest parent's (with that parent)."""
        for a in self.lineage(agency):
            value = getattr(a, attr)
            if value:
                return value, a
        return None, None

    def filing_office(self, agency: Agency) -> Agency:
        """Where requests about ``agency`` are filed (HSI and ERO file through ICE)."""
        seen = {agency.id}
        while agency.files_through and agency.files_through in self.agencies:
            agency = self.agencies[agency.files_through]
            if agency.id in seen:
                break
            seen.add(agency.id)
        return agency

    def clock_rules(self, agency: Agency):
        """The deadline engine's rules for this office (inherited from its parent when unset)."""
        from foia.clocks.rules import ClockRules

        clock, _ = self.inherited(agency, "clock")
        if clock is None:
            return None
        return ClockRules(
            determination_working_days=clock.determination_working_days,
            misdirected_max_working_days=clock.misdirected_max_working_days,
            extension_working_days=clock.extension_working_days,
            expedite_decision_days=clock.expedite_decision_days,
            expedite_decision_unit=clock.expedite_decision_unit,
            appeal_window_days=clock.appeal_window_days,
            appeal_window_unit=clock.appeal_window_unit,
            appeal_decision_working_days=clock.appeal_decision_working_days,
            clarification_close_working_days=clock.clarification_close_working_days,
            appeal_rule=clock.appeal_rule or "5 U.S.C. 552(a)(6)(A)(i)(III)(aa)",
        )

    def contacts(self, agency: Agency, purpose: str | None = None, type: str | None = None) -> list[Contact]:
        office = self.filing_office(agency)
        return [c for c in office.contacts
                if (purpose is None or c.purpose == purpose) and (type is None or c.type == type)]

    def conflicts(self, agency: Agency) -> list[list[Contact]]:
        """Groups of contacts that disagree: more than one value for the same purpose and type."""
        groups: dict[tuple[str, str], list[Contact]] = {}
        for c in agency.contacts:
            groups.setdefault((c.purpose, c.type), []).append(c)
        return [g for g in groups.values() if len(g) > 1]

    def how_to_file(self, agency: Agency) -> dict:
        """Where a request to ``agency`` goes: the filing office, portal rule and channels."""
        office = self.filing_office(agency)
        filing, filing_from = self.inherited(office, "filing")
        # The office's own verified portals first (CBP's SecureRelease), then the department's
        # (DHS accepts requests "through the web portal at https://www.dhs.gov/foia or other
        # acceptable ... DHS Component websites", FR doc. 2025-23783).
        portals = [c.value for c in self.contacts(office, "request", "portal") if c.verified]
        if filing and filing.portal and filing.portal not in portals:
            portals.append(filing.portal)
        urls = [p for p in portals if p.startswith("http")]
        return {
            "office": office,
            "filing": filing,
            "filing_from": filing_from,
            "portal_only": bool(filing and filing.portal_only_since),
            "portal": urls[0] if urls else (portals[0] if portals else None),
            "portals": portals,
            "channels": self.contacts(office, "request"),
        }

    def appeal_office(self, agency: Agency) -> Agency:
        """Where appeals about ``agency`` go: the office its appeal rule names (DOJ's Office of
        Information Policy for the FBI, 28 CFR 16.8(a)), else its filing office."""
        office = self.filing_office(agency)
        appeal, _ = self.inherited(office, "appeal")
        if appeal is not None and appeal.office and appeal.office in self.agencies:
            return self.agencies[appeal.office]
        return office

    def contracts_for_vendor(self, vendor_id: str) -> list[Contract]:
        ids = {vendor_id} | {v.id for v in self.vendors.values() if v.parent == vendor_id}
        return [c for c in self.contracts.values() if ids & set(c.vendors)]

    def systems_for_agency(self, agency_id: str) -> list[System]:
        return [s for s in self.systems.values() if agency_id in s.agencies or s.directorate == agency_id]

    def line_of(self, section: str, rid: str) -> int | None:
        return self._lines.get((section, rid))


def what_plural(what: str) -> str:
    return {"agency": "agencies", "system": "systems", "vendor": "vendors", "contract": "vendors"}[what]



def _merge(base: Parsed, over: Parsed) -> Parsed:
    """Lay the override's entries over the packaged ones: fields it sets replace the packaged
    fields; new ids are added. Each touched record remembers its origin and fields."""
    from foia.directory.schema import Parsed

    merged = Parsed(base.filename, {s: dict(v) for s, v in base.records.items()}, dict(base.lines),
                     dict(base.raw_keys))
    for section, recs in over.records.items():
        target = merged.records.setdefault(section, {})
        for rid, rec in recs.items():
            keys = tuple(k for k in over.raw_keys[(section, rid)] if k not in ("id",))
            if isinstance(rec, dict):
                changes = {k: v for k, v in rec.items() if k != "id"}
                target[rid] = target[rid].replace(**changes, origin=over.filename, overridden=keys)
            elif section in ("sources", "closures"):
                target[rid] = rec
            else:
                target[rid] = rec.replace(origin=over.filename, overridden=keys)
            merged.lines[(section, rid)] = over.lines[(section, rid)]
    return merged


def _stamp_origin(parsed: Parsed) -> None:
    for section, recs in parsed.records.items():
        if section in ("sources", "closures"):
            continue
        for rid, rec in recs.items():
            if not isinstance(rec, dict):
                recs[rid] = rec.replace(origin=parsed.filename)


def packaged_path() -> Path:
    """agencies.yaml inside the installed package, else at the repository root."""
    here = Path(__file__).resolve().parents[1]
    for candidate in (here / "_data" / "agencies.yaml", here.parent / "agencies.yaml"):
        if candidate.is_file():
            return candidate
    raise DirectoryError(["agencies.yaml not found next to the foia package; reinstall foia"])


def _read(path: Path, what: str) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise DirectoryError([f"{path}: {what} not found; check the path (--directory / FOIA_DIRECTORY)"]) from None
    except IsADirectoryError:
        raise DirectoryError([f"{path}: {what} is a directory; give a YAML file"]) from None
    except UnicodeDecodeError:
        raise DirectoryError([f"{path}: {what} is not UTF-8 text; save it as UTF-8 YAML"]) from None
    except OSError as exc:
        raise DirectoryError([f"{path}: cannot read {what}: {exc.strerror}"]) from None


def parse_directory(text: str, filename: str = "agencies.yaml", *, override_text: str | None = None,
                    override_name: str = "override.yaml") -> Directory:
    """Validate and build a directory from YAML text (and an optional override's text)."""
    from foia.directory.schema import check_references, parse_file

    base, problems = parse_file(text, filename, packaged=True)
    _stamp_origin(base)
    files = (filename,)
    if override_text is not None:
        over, more = parse_file(override_text, override_name, packaged=False, existing=base.records)
        problems += more
        _stamp_origin(over)
        base = _merge(base, over)
        files += (override_name,)
    if not problems:
        problems = check_references(base)
    if problems:
        raise DirectoryError(problems)
    return Directory(base, files)


@lru_cache(maxsize=8)
def _load_cached(path: str, mtime: float, override: str | None, omtime: float | None) -> Directory:
    base = Path(path)
    text = _read(base, "directory")
    override_text = _read(Path(override), "override file") if override else None
    return _load_from_user_cache(base, text, override, override_text)


# The parsed directory is kept per user (FOIA_CACHE_DIR) as a pickle: reading it costs about
# 1 ms where PyYAML, the parse and the validation cost 150 ms at every start. The key holds
# what the result depends on: foia's version, the files of the pickled classes (records.py and
# this module), and each file's path and its whole text (an edit is seen even within one mtime
# tick, and a rewrite with the same bytes keeps the cache; comparing the text costs less than
# importing hashlib to digest it). Any problem with the cache file only costs a parse: a
# directory with errors is never cached, so its messages are shown every time.
CACHE_NAME = "directory-{digest}.pickle"


def _cache_key(base: Path, text: str, override: str | None, override_text: str | None) -> tuple:
    from foia import __version__

    kinds = Path(records.__file__)
    here, own = kinds.stat(), Path(__file__).stat()
    return (__version__, str(kinds.resolve()), here.st_size, here.st_mtime_ns,
            str(base.resolve()), text, str(Path(override).resolve()) if override else None,
            override_text, own.st_size, own.st_mtime_ns)


def directory_cache_path(key: tuple) -> Path:
    """Where the parsed directory for ``key`` is kept (one file per base and override file)."""
    from zlib import crc32

    from foia.paths import cache_dir

    slot = crc32(repr((key[1], key[4], key[6])).encode("utf-8"))
    return cache_dir() / CACHE_NAME.format(digest=f"{slot:08x}")


def _load_from_user_cache(base: Path, text: str, override: str | None, override_text: str | None) -> Directory:
    import pickle

    key = _cache_key(base, text, override, override_text)
    path = directory_cache_path(key)
    try:
        with open(path, "rb") as fh:
            stored_key, directory = pickle.load(fh)
        if stored_key == key and isinstance(directory, Directory):
            return directory
    except Exception:  # missing, unreadable, from another Python or foia: parse again
        pass
    directory = parse_directory(text, str(base), override_text=override_text, override_name=override or "")
    try:
        from foia.files import atomic_write

        atomic_write(path, pickle.dumps((key, directory), protocol=pickle.HIGHEST_PROTOCOL))
    except Exception:  # a read-only or full cache folder: the next start parses again
        pass
    return directory


def load_directory(override: str | os.PathLike | None = None) -> Directory:
    """The packaged directory, with the user's override file (``FOIA_DIRECTORY``) merged over it."""
    if override is None:
        override = os.environ.get("FOIA_DIRECTORY") or None
    base = packaged_path()
    ov = str(override) if override else None
    omtime = None
    if ov:
        try:
            omtime = Path(ov).stat().st_mtime
        except OSError:
            omtime = None
    return _load_cached(str(base), base.stat().st_mtime, ov, omtime)
