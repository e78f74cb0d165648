"""The sourced directory: agencies.yaml -> typed, checked records.

Every fact carries ``sources`` (ids from the directory's ``sources`` list) and ``verified``.

- ``records.py``: the record types (Agency, Contact, Clock, System, Vendor, Contract...);
- ``schema.py``: the line-numbered YAML loader and the checks of every field (loaded only to
  parse a file: a directory from the per-user cache never imports it, nor PyYAML);
- ``directory.py``: ``Directory`` (look-ups, inheritance, filing and appeal offices, clock
  rules), the merge of an override file, ``load_directory`` and the per-user cache;
- ``describe.py``: records as rows, dicts and text for people (what ``foia agencies show`` prints).
"""

from foia.directory.directory import Directory, load_directory, packaged_path, parse_directory
from foia.directory.records import (Agency, Appeal, Claim, Clock, Closure, Contact, Contract, Fact, Filing,
                                    Identifier, Regulation, Source, System, TrackingPattern, USAspendingAgency,
                                    Vendor)
from foia.errors import DirectoryError

__all__ = [
    "Directory", "DirectoryError", "load_directory", "packaged_path", "parse_directory",
    "Agency", "Appeal", "Claim", "Clock", "Closure", "Contact", "Contract", "Fact", "Filing", "Identifier",
    "Regulation", "Source", "System", "TrackingPattern", "USAspendingAgency", "Vendor",
]
