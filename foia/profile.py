"""The requester profile: who signs the letters, and the standing statements they reuse.

Stored as YAML in the user's config directory (``foia.paths.config_dir()/profile.yaml``; the
environment variable ``FOIA_PROFILE`` names another file), created readable by the user only
(0600): it holds a postal address, an email and a phone number. Any letter option
(``--requester-name`` ...) overrides a profile field for one letter.
"""

from __future__ import annotations

import os
from pathlib import Path

from foia.errors import FoiaError, UsageError
from foia.naming import Field, Text
from foia.parse import EMAIL_RE

# The fee categories of 5 U.S.C. 552(a)(4)(A)(ii) (fact sheet): code -> label used in letters.
FEE_CATEGORIES: dict[str, str] = {
    "news-media": "representative of the news media",
    "educational": "educational institution",
    "scientific": "noncommercial scientific institution",
    "other": "all other requesters",
    "commercial": "commercial use requester",
}
# Spellings people type for each category.
_FEE_ALIASES = {
    "news media": "news-media", "news_media": "news-media", "media": "news-media", "news": "news-media",
    "education": "educational", "noncommercial scientific": "scientific",
    "noncommercial-scientific": "scientific", "non-commercial scientific": "scientific",
    "all other": "other", "all-other": "other", "all others": "other", "commercial use": "commercial",
}


class Profile:
    """The requester. Every field is optional in the file; letters say which they need.

    Compared by value, with ``replace`` for a changed copy; a plain class rather than the
    dataclass it was, whose generated methods cost every start of `foia draft`."""

    __slots__ = ("name", "organization", "title", "address", "email", "phone", "fee_category",
                 "publication_record", "dissemination")
    __hash__ = None  # changeable, so not hashable

    def __init__(self, name: str | None = None, organization: str | None = None,
                 title: str | None = None,  # position, e.g. "Staff Attorney"
                 address: str | None = None,  # postal address, one line per line
                 email: str | None = None, phone: str | None = None,
                 fee_category: str | None = None,  # a key of FEE_CATEGORIES
                 publication_record: str | None = None,  # what you have published, where (fee waiver, news media)
                 dissemination: str | None = None):  # how you will share what you receive (fee waiver)
        self.name = name
        self.organization = organization
        self.title = title
        self.address = address
        self.email = email
        self.phone = phone
        self.fee_category = fee_category
        self.publication_record = publication_record
        self.dissemination = dissemination

    def __eq__(self, other):
        if other.__class__ is not self.__class__:
            return NotImplemented
        return all(getattr(self, k) == getattr(other, k) for k in _FIELDS)

    def __repr__(self):
        return "Profile(" + ", ".join(f"{k}={getattr(self, k)!r}" for k in _FIELDS) + ")"

    def replace(self, **changes) -> "Profile":
        """A copy with ``changes`` applied."""
        return Profile(**{**{k: getattr(self, k) for k in _FIELDS}, **changes})

    def to_dict(self) -> dict:
        """The fields that are set (not None), in order; every field is text or None."""
        return {k: v for k in _FIELDS if (v := getattr(self, k)) is not None}


_FIELDS = Profile.__slots__


PROFILE_FIELDS: dict[str, str] = {
    "name": "Your full name, as it will be signed.",
    "organization": "Organisation (newsroom, clinic, group), if any.",
    "title": "Your position at the organisation, if any.",
    "address": "Postal address; separate lines with newlines.",
    "email": "Email address for the agency's reply.",
    "phone": "Phone number.",
    "fee_category": "Fee category: " + ", ".join(FEE_CATEGORIES) + ".",
    "publication_record": "Your publication record (for news-media status and fee waivers).",
    "dissemination": "How you will share the records with the public (for fee waivers).",
}


def normalize_fee_category(value: str | None, *, what: str = "fee_category") -> str | None:
    """A fee category code from a code or a common spelling; anything else is an error."""
    if value is None or not str(value).strip():
        return None
    text = " ".join(str(value).strip().lower().split())
    code = text if text in FEE_CATEGORIES else _FEE_ALIASES.get(text)
    if code is None:
        raise UsageError(f"{what}: {value!r} is not a fee category; use one of {', '.join(FEE_CATEGORIES)}")
    return code


def profile_path() -> Path:
    """The profile file: ``FOIA_PROFILE`` if set, else ``<config dir>/profile.yaml``."""
    env = os.environ.get("FOIA_PROFILE")
    if env:
        return Path(env).expanduser()
    from foia.paths import config_dir

    return config_dir() / "profile.yaml"


def profile_from_dict(data: object, *, where: str = "profile") -> Profile:
    """Validate a mapping read from YAML (unknown keys and bad categories are errors)."""
    if data is None:
        return Profile()
    if not isinstance(data, dict):
        raise FoiaError(f"{where}: expected a mapping of fields ({', '.join(PROFILE_FIELDS)}); "
                        "fix the file with `foia profile edit`")
    values = {}
    for key, value in data.items():
        if key not in _FIELDS:
            raise FoiaError(f"{where}: unknown field {key!r}; expected one of: {', '.join(PROFILE_FIELDS)}")
        if value is None:
            continue
        if isinstance(value, (dict, list, bool)):
            raise FoiaError(f"{where}: {key} must be text; fix it with `foia profile edit`")
        text = str(value).strip()
        if key == "address":
            # One line per line; a typed "\n" (from a shell or an old `profile init`) is a line break.
            text = "\n".join(ln.strip() for ln in text.replace("\\n", "\n").splitlines() if ln.strip())
        values[key] = text or None
    try:
        values["fee_category"] = normalize_fee_category(values.get("fee_category"), what=f"{where}: fee_category")
    except UsageError as exc:
        raise FoiaError(exc.message) from None
    # The agency answers at this address: a typo loses the reply.
    if values.get("email") and not EMAIL_RE.match(values["email"]):
        raise FoiaError(f"{where}: email {values['email']!r} is not an email address; use name@example.org")
    return Profile(**values)


def load_profile(path: Path | str | None = None) -> Profile | None:
    """The saved profile, or None when there is none yet."""
    p = Path(path) if path else profile_path()
    try:
        text = p.read_text(encoding="utf-8")
    except FileNotFoundError:
        _forget_cached()
        if path is not None:
            raise FoiaError(Text(f"profile {p} not found; create it with `foia profile init` or check ",
                                 Field("profile")), field="profile") from None
        return None
    except (IsADirectoryError, UnicodeDecodeError, OSError) as exc:
        raise FoiaError(f"cannot read profile {p}: {getattr(exc, 'strerror', None) or exc}; "
                        "give a UTF-8 YAML file") from None
    where = str(p)
    known, data = _cached_yaml(text)
    if not known:
        data = _parse_yaml(text, where=where, fix="fix it with `foia profile edit`")
    profile = profile_from_dict(data, where=where)
    if not known:  # only a profile without errors: its messages are shown every time
        _cache_yaml(text, data)
    return profile


# The profile's YAML, parsed, is kept per user (FOIA_CACHE_DIR, 0600 like the profile): importing
# PyYAML and parsing cost `foia draft` more than writing a letter does. The cache holds the
# file's whole text and what PyYAML read from it, and is used only for that exact text (an edit
# is seen at once, even within one mtime tick); the fields are checked again on every load, so
# the cache decides nothing, and a profile with errors is never kept. One file for any profile:
# a profile saved through foia removes it, and so does a run that finds no profile, so no copy
# of a deleted profile stays behind.
PROFILE_CACHE = "profile-yaml.pickle"


def _cache_path() -> Path:
    from foia.paths import cache_dir

    return cache_dir() / PROFILE_CACHE


def _cached_yaml(text: str) -> tuple[bool, object]:
    """(True, what PyYAML read from ``text``) when the cache holds this exact text, else (False, None)."""
    import pickle

    try:
        with open(_cache_path(), "rb") as fh:
            cached_text, data = pickle.load(fh)
        if cached_text == text:
            return True, data
    except Exception:  # missing, unreadable, from another Python: parsed again
        pass
    return False, None


def _cache_yaml(text: str, data: object) -> None:
    import pickle

    try:
        from foia.files import atomic_write

        atomic_write(_cache_path(), pickle.dumps((text, data), protocol=pickle.HIGHEST_PROTOCOL))
    except Exception:  # a read-only or full cache folder: the next run parses again
        pass


def _forget_cached() -> None:
    try:
        os.unlink(_cache_path())
    except OSError:
        pass


def profile_from_yaml(text: str, *, where: str, fix: str) -> Profile:
    """Parse and validate a profile's YAML text; a syntax error names ``where`` and its line."""
    return profile_from_dict(_parse_yaml(text, where=where, fix=fix), where=where)


def _parse_yaml(text: str, *, where: str, fix: str) -> object:
    import yaml

    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = f":{mark.line + 1}" if mark else ""
        raise FoiaError(f"{where}{line}: not valid YAML; {fix}") from None
    except (ValueError, RecursionError) as exc:
        # An integer of more than 4,300 digits (Python refuses to read it), or lists in lists
        # thousands deep (the pure-Python YAML parser recurses).
        what = "nested too deeply" if isinstance(exc, RecursionError) else "holds a number of thousands of digits"
        raise FoiaError(f"{where}: {what}; {fix}") from None
    return data


def dump_profile(profile: Profile) -> str:
    """The profile as YAML text, fields in a fixed order, with a header comment."""
    import yaml

    data = profile.to_dict()
    body = yaml.safe_dump(data, sort_keys=False, allow_unicode=True, default_flow_style=False) if data else ""
    head = ("# foia requester profile (see `foia profile --help`). Fields: "
            + ", ".join(PROFILE_FIELDS) + ".\n")
    return head + body


def save_profile(profile: Profile, path: Path | str | None = None) -> Path:
    """Write the profile atomically, readable by the user only (0600; its folder 0700)."""
    from foia.files import atomic_write
    from foia.paths import ensure_private_dir

    p = Path(path) if path else profile_path()
    # Validate what we write exactly as we would validate what we read.
    profile = profile_from_dict(profile.to_dict(), where=str(p))
    ensure_private_dir(p.parent)
    saved = atomic_write(p, dump_profile(profile), mode=0o600)
    _forget_cached()
    return saved


def merge(profile: Profile | None, overrides: dict) -> Profile:
    """The profile with non-empty override values laid over it (``{"name": ...}``)."""
    base = (profile or Profile()).to_dict()
    for key, value in overrides.items():
        if value is not None and str(value).strip():
            base[key] = value
    return profile_from_dict(base, where="requester")
