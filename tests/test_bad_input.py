"""Bad input, everywhere: each case gets one clear line naming the input and the fix, a
non-zero exit, no traceback, and leaves every file as it was.

Each case runs in a fresh folder holding the user's config, data and cache directories and any
files the case sets up; the folder's contents (names, sizes, bytes) are compared before and after.
"""

from __future__ import annotations

import hashlib
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import pytest
from click.testing import CliRunner

from foia.cli import cli

OVERRIDE_KIND = "agencies:\n  - id: cbp\n    kind: bureau\n"
OVERRIDE_EMAIL = ("agencies:\n  - id: cbp\n    contacts:\n      - {purpose: request, type: email, value: nope, "
                  "sources: [fact-sheet], verified: true}\n")
OVERRIDE_URL = "agencies:\n  - id: cbp\n    filing: {policy: p, portal: www.cbp.gov, sources: [fact-sheet], verified: true}\n"
OVERRIDE_CLOSURE = "closures:\n  - {date: 2026-13-01, name: x, sources: [fact-sheet], verified: true}\n"
OVERRIDE_REF = ("contracts:\n  - {id: c, title: t, vendors: [acme], agency: ice, claims: [{text: x, "
                "sources: [fact-sheet], verified: false}]}\n")
OVERRIDE_SYNTAX = "agencies:\n  - id: cbp\n    name: [unclosed\n"
OVERRIDE_DUPLICATE = "agencies:\n  - {id: x1, name: A, abbreviation: A, kind: office}\n  - {id: x1, name: B, abbreviation: B, kind: office}\n"
OVERRIDE_SOURCE = ("agencies:\n  - id: cbp\n    contacts:\n      - {purpose: request, type: phone, value: \"(202) 555-0100\", "
                   "sources: [my-call], verified: true}\n")


@dataclass
class Case:
    id: str
    argv: list[str]
    exit: int
    message: str  # a regular expression the one output line must match in full
    files: dict[str, str | bytes] = field(default_factory=dict)
    setup: Callable[[Path], None] | None = None
    # An import lists each bad row on its own line, then one summary line: those are named here.
    then: tuple[str, ...] = ()


CASES: list[Case] = [
    # -- the directory and its override file -------------------------------------------------
    Case("directory-missing-file", ["--directory", "over.yaml", "agencies", "list"], 1,
         r"over\.yaml: override file not found; check the path \(--directory / FOIA_DIRECTORY\)"),
    Case("directory-is-a-folder", ["--directory", "folder", "agencies", "list"], 2,
         r"Error: Invalid value for '--directory': File 'folder' is a directory\. \(see 'foia --help'\)",
         setup=lambda p: (p / "folder").mkdir()),
    Case("directory-not-utf8", ["--directory", "over.yaml", "agencies", "list"], 1,
         r"over\.yaml: override file is not UTF-8 text; save it as UTF-8 YAML", {"over.yaml": b"\xff\xfe bad"}),
    Case("directory-bad-enum", ["--directory", "over.yaml", "agencies", "list"], 1,
         r"over\.yaml:3: agencies\[0\] \(cbp\)\.kind: expected one of: department, .*; got 'bureau'",
         {"over.yaml": OVERRIDE_KIND}),
    Case("directory-bad-email", ["--directory", "over.yaml", "agencies", "show", "cbp"], 1,
         r"over\.yaml:4: agencies\[0\] \(cbp\)\.contacts\[0\]\.value: expected an email address like "
         r"name@agency\.gov, got 'nope'", {"over.yaml": OVERRIDE_EMAIL}),
    Case("directory-bad-url", ["--directory", "over.yaml", "agencies", "list"], 1,
         r"over\.yaml:3: agencies\[0\] \(cbp\)\.filing\.portal: expected a URL starting with https:// or "
         r"http://, got 'www\.cbp\.gov'", {"over.yaml": OVERRIDE_URL}),
    Case("directory-bad-date", ["--directory", "over.yaml", "agencies", "list"], 1,
         r"over\.yaml:2: closures\[0\] \(2026-13-01\)\.date: expected a date YYYY-MM-DD, got '2026-13-01'",
         {"over.yaml": OVERRIDE_CLOSURE}),
    Case("directory-unknown-reference", ["--directory", "over.yaml", "vendors", "list"], 1,
         r"over\.yaml:2: contracts \(c\)\.vendors\[0\]: unknown vendor id 'acme'; expected one of: aws, .*",
         {"over.yaml": OVERRIDE_REF}),
    Case("directory-yaml-syntax", ["--directory", "over.yaml", "agencies", "list"], 1,
         r"over\.yaml:\d+: YAML syntax error: .*; fix the YAML syntax", {"over.yaml": OVERRIDE_SYNTAX}),
    Case("directory-duplicate-id", ["--directory", "over.yaml", "agencies", "list"], 1,
         r"over\.yaml:3: agencies\[1\] \(x1\)\.id: duplicate id 'x1' \(first at line 2\); give each entry its own id",
         {"over.yaml": OVERRIDE_DUPLICATE}),
    Case("directory-unknown-source", ["--directory", "over.yaml", "agencies", "list"], 1,
         r"over\.yaml:2: agencies \(cbp\)\.contacts\[0\]\.sources: unknown source id 'my-call'; expected one of: .*",
         {"over.yaml": OVERRIDE_SOURCE}),
    Case("directory-env-missing", ["agencies", "list"], 1,
         r"env\.yaml: override file not found; check the path \(--directory / FOIA_DIRECTORY\)"),
    # -- look-ups ------------------------------------------------------------------------------
    Case("agency-unknown", ["agencies", "show", "NSA"], 1, r"Error: no agency 'NSA'; see `foia agencies list` for the ids"),
    Case("system-unknown", ["systems", "show", "nope"], 1, r"Error: no system 'nope'; see `foia systems list` for the ids"),
    Case("vendor-unknown", ["vendors", "show", "acme"], 1, r"Error: no vendor 'acme'; see `foia vendors list` for the ids"),
    Case("search-too-short", ["search", "x"], 2,
         r"Error: Invalid value for TEXT: give at least 2 characters to search for \(see 'foia search --help'\)"),
    Case("unknown-command", ["agencies", "delete"], 2,
         r"Error: No such command 'delete'\. \(see 'foia agencies --help'\)"),
    # -- deadline options ----------------------------------------------------------------------
    Case("deadline-missing-received", ["deadline"], 2,
         r"Error: Missing option '--received'\. \(see 'foia deadline --help'\)"),
    Case("deadline-bad-date", ["deadline", "--received", "2025-13-01"], 2,
         r"Error: --received: '2025-13-01' is not a date; use YYYY-MM-DD, e.g\. 2025-11-21"),
    Case("deadline-tolled-garbage", ["deadline", "--received", "2025-11-21", "--tolled", "garbage"], 2,
         r"Error: --tolled: 'garbage' is not a period; use FROM:TO as YYYY-MM-DD:YYYY-MM-DD, .*"),
    Case("deadline-tolled-reversed", ["deadline", "--received", "2025-11-21", "--tolled", "2025-12-05:2025-12-01"], 2,
         r"Error: --tolled: '2025-12-05:2025-12-01' ends before it starts; use FROM:TO .*"),
    Case("deadline-unknown-office", ["deadline", "--received", "2025-11-21", "--office", "XYZ"], 1,
         r"Error: no agency 'XYZ'; see `foia agencies list` for the ids"),
    Case("deadline-extension-before-receipt",
         ["deadline", "--received", "2025-11-21", "--extension-notice", "2025-11-01"], 2,
         r"Error: extension notice 2025-11-01 is dated before the request was received \(2025-11-21\); check the dates"),
    Case("deadline-bad-closure", ["deadline", "--received", "2025-11-21", "--closure", "2025-12-24x"], 2,
         r"Error: --closure: '2025-12-24x' is not DATE\[:NAME\]; use e\.g\. 2025-12-24:Executive order closure"),
    Case("deadline-out-of-calendar", ["deadline", "--received", "1800-01-01"], 2,
         r"Error: 1800-01-01 is outside the years foia's working-day calendar covers .*; check the date"),
    Case("deadline-determination-before-receipt",
         ["deadline", "--received", "2025-11-21", "--determination", "2025-11-01"], 2,
         r"Error: determination 2025-11-01 is before the request was received \(2025-11-21\); check the dates"),
    Case("deadline-bad-closures-file", ["deadline", "--received", "2025-11-21"], 1,
         r"Error: .*closures\.yaml.*", setup=lambda p: (p / "config").mkdir() or
         (p / "config" / "closures.yaml").write_text("- {date: 2025-02-30, name: x}\n")),
    # -- contract search options (no request is sent for any of these) --------------------------
    Case("contracts-short-keyword", ["contracts", "search", "--keyword", "ab"], 2,
         r"Error: --keyword 'ab' is too short: USAspending needs at least 3 characters"),
    Case("contracts-since-too-early", ["contracts", "search", "--vendor", "palantir", "--since", "2000-01-01"], 2,
         r"Error: --since 2000-01-01 is before 2007-10-01, .*; use --since 2007-10-01 or later"),
    Case("contracts-no-filter", ["contracts", "search"], 2,
         r"Error: give --vendor, --agency or --keyword to narrow the search"),
    Case("contracts-unknown-agency", ["contracts", "search", "--agency", "XYZ"], 1,
         r"Error: no agency 'XYZ'; see `foia agencies list` for the ids"),
    Case("contracts-agency-without-usaspending", ["contracts", "search", "--agency", "FBI"], 1,
         r"Error: no USAspending agency on file for FBI or its parents; .*"),
    Case("contracts-negative-max", ["contracts", "search", "--vendor", "palantir", "--max-results", "-1"], 2,
         r"Error: Invalid value for '--max-results': -1 is not in the range x>=0\. .*"),
    Case("contracts-bad-ttl", ["contracts", "search", "--vendor", "palantir", "--cache-ttl", "bogus"], 2,
         r"Error: --cache-ttl 'bogus' is not a duration; use seconds or e\.g\. 30m, 24h, 7d"),
    Case("contracts-bad-base-url", ["contracts", "search", "--vendor", "palantir", "--base-url", "not-a-url"], 2,
         r"Error: --base-url 'not-a-url' is not an http\(s\) URL; e\.g\. https://api\.usaspending\.gov"),
    Case("contracts-bad-since-date", ["contracts", "search", "--vendor", "palantir", "--since", "2025-02-30"], 2,
         r"Error: --since '2025-02-30' is not a date; use YYYY-MM-DD, e\.g\. 2014-01-01"),
    Case("contracts-show-empty", ["contracts", "show", ""], 2,
         r"Error: give an award number \(PIID\) or a USAspending id such as CONT_AWD_\.\.\."),
]


REQ = ["--no-profile", "--requester-name", "Sam Doe", "--requester-email", "sam@example.org", "--date", "2026-11-23"]


def _template(text: str) -> Callable[[Path], None]:
    def setup(p: Path) -> None:
        (p / "config" / "templates").mkdir(parents=True)
        (p / "config" / "templates" / "records.j2").write_text(text)
    return setup


def _existing_letter(p: Path) -> None:
    (p / "out").mkdir()
    (p / "out" / "2026-11-23-hsi-records.txt").write_text("an earlier letter\n")


CASES += [
    # -- letters: options, profile, templates and file paths ------------------------------------
    Case("draft-no-name", ["draft", "records", "--to", "ICE", "--system", "icm", "--no-profile"], 2,
         r"Error: records letter needs your name: pass --requester-name or set name in your profile \(foia profile edit\)"),
    Case("draft-no-contact", ["draft", "records", "--system", "icm", "--no-profile", "--requester-name", "Sam"], 2,
         r"Error: records letter needs a way to reach you: pass --requester-email or --requester-address, .*"),
    Case("draft-unknown-office", ["draft", "records", "--to", "NSA", "--system", "icm", *REQ], 1,
         r"Error: no agency 'NSA'; see `foia agencies list` for the ids"),
    Case("draft-unknown-system", ["draft", "records", "--system", "nope", *REQ], 1,
         r"Error: no system 'nope'; see `foia systems list` for the ids"),
    Case("draft-no-office", ["draft", "records", "--subject", "contracts", *REQ], 2,
         r"Error: records letter needs --to: the office to write to \(e\.g\. --to ICE\); see `foia agencies list`"),
    Case("draft-bad-date", ["draft", "records", "--system", "icm", *REQ, "--date", "2026-02-30"], 2,
         r"Error: --date: '2026-02-30' is not a date; use YYYY-MM-DD, e\.g\. 2025-11-21"),
    Case("draft-stem-traversal", ["draft", "records", "--system", "icm", *REQ, "--stem", "../escape"], 2,
         r"Error: --stem '\.\./escape': give a plain file name without folders or a leading dot"),
    Case("draft-stem-absolute", ["draft", "records", "--system", "icm", *REQ, "--stem", "/etc/passwd"], 2,
         r"Error: --stem '/etc/passwd': give a plain file name without folders or a leading dot"),
    Case("draft-bad-format", ["draft", "records", "--system", "icm", *REQ, "--format", "pdf"], 2,
         r"Error: Invalid value for '--format': 'pdf' is not one of 'txt', 'md', 'docx', 'eml'\. .*"),
    Case("draft-bad-fee-limit", ["draft", "records", "--system", "icm", *REQ, "--fee-limit", "lots"], 2,
         r"Error: --fee-limit: 'lots' is not an amount; give dollars like 50 or 125\.50"),
    Case("draft-self-bad-birth-date", ["draft", "self", "--to", "ICE", *REQ, "--full-name", "Sam Doe",
                                       "--date-of-birth", "31/01/1990"], 2,
         r"Error: --date-of-birth: the value given is not a date; use YYYY-MM-DD, e\.g\. 2026-01-31"),
    Case("draft-self-missing-birth-date", ["draft", "self", "--to", "ICE", *REQ, "--full-name", "Sam Doe"], 2,
         r"Error: self letter needs date of birth: pass --date-of-birth"),
    Case("draft-appeal-bad-ground", ["draft", "appeal", "--to", "ICE", *REQ, "--tracking-number", "2026-ICFO-1",
                                     "--determination-date", "2026-01-01", "--grounds", "bogus"], 2,
         r"Error: --grounds: 'bogus' is not one of withholding, partial-withholding, .*"),
    Case("draft-track-filed-in-the-future", ["draft", "records", "--system", "icm", *REQ, "--out", "out", "--track",
                                             "--filed-on", "2999-01-01"], 2,
         r"Error: --filed-on: 2999-01-01 is in the future; give the day you send it \(the tracker records what "
         r"has happened\)"),
    Case("draft-follow-up-no-request-date", ["draft", "follow-up", "--to", "ICE", *REQ, "--tracking-number",
                                             "2026-ICFO-1"], 2,
         r"Error: follow-up letter needs request date: pass --request-date"),
    Case("draft-appeal-neither-number-nor-date", ["draft", "appeal", "--to", "ICE", *REQ, "--grounds", "no-response"],
         2, r"Error: appeal letter needs the request's tracking number \(--tracking-number\) or, when the office "
            r"gave none, the date you filed it \(--request-date\)"),
    Case("draft-appeal-no-response-not-due", ["draft", "appeal", "--to", "ICE", *REQ, "--grounds", "no-response",
                                              "--request-date", "2026-11-20"], 2,
         r"Error: a no-response appeal needs an overdue determination \(5 U\.S\.C\. 552\(a\)\(6\)\(C\)\(i\)\), "
         r"and it is not due until 2026-12-21; until then write a status inquiry \(a follow-up letter\)"),
    Case("draft-attach-without-eml", ["draft", "records", "--system", "icm", *REQ, "--attach-docx"], 2,
         r"Error: --attach-docx attaches the DOCX to the \.eml: add --format eml"),
    Case("draft-stem-many-offices", ["draft", "records", "--system", "icm", *REQ, "--to", "ICE", "--to", "CBP",
                                     "--stem", "one"], 2, r"Error: --stem names one file: use it with a single --to"),
    Case("draft-existing-file", ["draft", "records", "--system", "icm", *REQ, "--out", "out"], 1,
         r"Error: .*out/2026-11-23-hsi-records\.txt already exists; pass --overwrite or choose another --out folder",
         setup=_existing_letter),
    Case("draft-out-is-a-file", ["draft", "records", "--system", "icm", *REQ, "--out", "afile/sub"], 1,
         r"Error: cannot create folder afile/sub: afile is a file; choose another folder",
         {"afile": "not a folder\n"}),
    Case("draft-out-impossible", ["draft", "records", "--system", "icm", *REQ, "--out", "/proc/foia-nope"], 1,
         r"Error: cannot create folder /proc/foia-nope: .*; choose a folder you can write to"),
    Case("template-sandbox-escape", ["draft", "records", "--system", "icm", *REQ, "--out", "out"], 1,
         r"Error: your template records\.j2:1 was refused by the sandbox: .*",
         setup=_template('{{ "".__class__.__mro__[1].__subclasses__() }}')),
    Case("template-syntax-error", ["draft", "records", "--system", "icm", *REQ, "--out", "out"], 1,
         r"Error: your template records\.j2 line 2: .*; fix the template \(or remove it to use the packaged one\)",
         setup=_template("x\n{% if %}")),
    Case("template-unknown-field", ["draft", "records", "--system", "icm", *REQ, "--out", "out"], 1,
         r"Error: your template records\.j2:1: field 'nosuchvar' is not known to letters; see `foia letters kinds` .*",
         setup=_template("{{ nosuchvar }}")),
    Case("template-include-traversal", ["draft", "records", "--system", "icm", *REQ, "--out", "out"], 1,
         r"Error: your template records\.j2: includes '\.\./\.\./\.\./etc/passwd', which does not exist",
         setup=_template('{% include "../../../etc/passwd" %}')),
    Case("profile-missing-file", ["draft", "records", "--system", "icm", "--requester-name", "Sam",
                                  "--profile", "nope.yaml"], 1,
         r"Error: profile nope\.yaml not found; create it with `foia profile init` or check --profile"),
    Case("profile-bad-yaml", ["profile", "show", "--profile", "p.yaml"], 1,
         r"Error: p\.yaml:2: not valid YAML; fix it with `foia profile edit`", {"p.yaml": "name: [x\n"}),
    Case("profile-unknown-field", ["profile", "show", "--profile", "p.yaml"], 1,
         r"Error: p\.yaml: unknown field 'colour'; expected one of: name, organization, .*",
         {"p.yaml": "name: Sam\ncolour: red\n"}),
    Case("profile-none-yet", ["profile", "show"], 1,
         r"Error: no profile at .*profile\.yaml; create one with `foia profile init`"),
    Case("profile-bad-fee-category", ["profile", "init", "--no-input", "--name", "Sam", "--fee-category", "rich"], 1,
         r"Error: profile: fee_category: 'rich' is not a fee category; use one of news-media, .*"),
    Case("profile-bad-email", ["profile", "init", "--no-input", "--name", "Sam", "--email", "sam-at-example"], 1,
         r"Error: profile: email 'sam-at-example' is not an email address; use name@example\.org"),
    Case("letters-unknown-kind", ["letters", "show", "memo"], 2, r"Error: Invalid value for .*'memo' is not one of .*"),
]


def _queue(p: Path) -> None:
    """A tracker with request 1 (ICM logs, filed with ICE on 2026-11-02)."""
    env = {"FOIA_CONFIG_DIR": str(p / "config"), "FOIA_DATA_DIR": str(p / "data"), "FOIA_DB": None}
    r = CliRunner().invoke(cli, ["track", "add", "--title", "ICM logs", "--office", "ICE", "--on", "2026-11-02"],
                           env=env)
    assert r.exit_code == 0, r.output


def _queue_then(*args: str) -> Callable[[Path], None]:
    """_queue, then one more `foia track` command."""
    def setup(p: Path) -> None:
        _queue(p)
        env = {"FOIA_CONFIG_DIR": str(p / "config"), "FOIA_DATA_DIR": str(p / "data"), "FOIA_DB": None}
        r = CliRunner().invoke(cli, ["track", *args], env=env)
        assert r.exit_code == 0, r.output
    return setup


def _queue_and(name: str, text: str) -> Callable[[Path], None]:
    def setup(p: Path) -> None:
        _queue(p)
        (p / name).write_bytes(text.encode("utf-8", "surrogateescape"))     # "\udcff" writes the byte 0xff
    return setup


CSV_HEAD = "title,office,kind,status,filed_on\n"
IMPORT_SUMMARY = r"in\.csv: nothing imported \(1 problem\); fix the file and run the import again"

CASES += [
    # -- the tracker ---------------------------------------------------------------------------
    Case("track-unknown-office", ["track", "add", "--title", "X", "--office", "XYZ"], 2,
         r"Error: --office: unknown office 'XYZ'; expected an id from `foia agencies list`", setup=_queue),
    Case("track-empty-title", ["track", "add", "--title", "", "--office", "ICE"], 2,
         r"Error: --title: give the request a title \(what it asks for\)", setup=_queue),
    Case("track-bad-on-date", ["track", "add", "--title", "X", "--office", "ICE", "--on", "2026-13-01"], 2,
         r"Error: --on: '2026-13-01' is not a date; use YYYY-MM-DD, e\.g\. 2025-11-21", setup=_queue),
    Case("track-future-date", ["track", "add", "--title", "X", "--office", "ICE", "--on", "2099-01-01"], 2,
         r"Error: --on: 2099-01-01 is in the future; give the date it happened", setup=_queue),
    Case("track-bad-fee-limit", ["track", "add", "--title", "X", "--office", "ICE", "--fee-limit", "lots"], 2,
         r"Error: --fee-limit: 'lots' is not an amount; use dollars like 25 or 25\.50", setup=_queue),
    Case("track-bad-client-dob", ["track", "add", "--title", "X", "--office", "ICE", "--client-dob", "1990-02-30"], 2,
         r"Error: --client-dob: not a date; use YYYY-MM-DD", setup=_queue),
    Case("track-unknown-system", ["track", "add", "--title", "X", "--office", "ICE", "--system", "nope"], 2,
         r"Error: --system: unknown system 'nope'; expected an id from `foia systems list`", setup=_queue),
    Case("track-empty-tracking-number", ["track", "add", "--title", "X", "--office", "ICE", "--tracking-number", ""], 2,
         r"Error: --tracking-number: '' is not a tracking number; use NUMBER\[:reason\] .*", setup=_queue),
    Case("track-unknown-request", ["track", "update", "99", "--status", "acknowledged"], 1,
         r"Error: no request 99; see `foia track list`", setup=_queue),
    Case("track-non-numeric-id", ["track", "show", "abc"], 1, r"Error: no request abc; see `foia track list`",
         setup=_queue),
    Case("track-bad-status", ["track", "update", "1", "--status", "bogus"], 2,
         r"Error: --status: 'bogus' is not a status; use one of draft, submitted, .*", setup=_queue),
    Case("track-impossible-move", ["track", "update", "1", "--status", "appeal-granted"], 1,
         r"Error: cannot move request 1 from submitted to appeal-granted: from submitted a request can move to .*",
         setup=_queue),
    Case("track-event-before-filing", ["track", "update", "1", "--status", "acknowledged", "--on", "2026-10-01"], 1,
         r"Error: cannot record acknowledged for request 1 on 2026-10-01: it would come before the request was "
         r"submitted; check the date \(--on\)", setup=_queue),
    Case("track-negative-fee", ["track", "update", "1", "--fee-paid", "-5"], 2,
         r"Error: --fee-paid: '-5' is not an amount; use dollars like 25 or 25\.50", setup=_queue),
    Case("track-negative-documents", ["track", "update", "1", "--documents", "-1"], 2,
         r"Error: --documents: give a whole number >= 0", setup=_queue),
    Case("track-list-bad-status", ["track", "list", "--status", "bogus"], 2,
         r"Error: --status: 'bogus' is not a status; .*", setup=_queue),
    Case("track-list-negative-window", ["track", "list", "--due-within", "-3"], 2,
         r"Error: Invalid value for '--due-within': -3 is not in the range 0<=x<=3653\. \(see 'foia track list --help'\)",
         setup=_queue),
    Case("track-export-bad-format", ["track", "export", "--format", "pdf"], 2,
         r"Error: Invalid value for '--format': 'pdf' is not one of 'csv', 'json', 'ics'\. .*", setup=_queue),
    Case("track-export-unwritable", ["track", "export", "--format", "csv", "--out", "/proc/foia-x/y.csv"], 1,
         r"Error: cannot write /proc/foia-x/y\.csv: .*; choose a writable --out", setup=_queue),
    Case("track-export-keep-notes-alone", ["track", "export", "--format", "csv", "--keep-notes"], 2,
         r"Error: --keep-notes works with --redact \(an export without --redact keeps everything\) .*", setup=_queue),
    Case("track-export-missing-format", ["track", "export"], 2,
         r"Error: Missing option '--format'\. Choose from: csv, json, ics \(see 'foia track export --help'\)",
         setup=_queue),
    Case("track-list-zero-limit", ["track", "list", "--limit", "0"], 2,
         r"Error: Invalid value for '--limit': 0 is not in the range x>=1\. .*", setup=_queue),
    Case("track-due-negative-limit", ["track", "due", "--limit", "-1"], 2,
         r"Error: Invalid value for '--limit': -1 is not in the range x>=1\. .*", setup=_queue),
    Case("track-letter-not-utf8", ["track", "add", "--title", "X", "--office", "ICE", "--letter", "l.txt"], 2,
         r"Error: --letter: l\.txt is not UTF-8 text; give the letter as it was sent, saved as plain text \(\.txt\)",
         {"l.txt": b"caf\xe9 au lait\n"}, setup=_queue),
    Case("track-empty-on", ["track", "update", "1", "--note", "x", "--on", ""], 2,
         r"Error: --on: empty; give a date as YYYY-MM-DD", setup=_queue),
    Case("track-exponent-amount", ["track", "update", "1", "--fee-paid", "1e3"], 2,
         r"Error: --fee-paid: '1e3' is not an amount; use dollars like 25 or 25\.50", setup=_queue),
    Case("track-bad-tracking-reason", ["track", "update", "1", "--tracking-number", "2026-ICFO-1:bogus"], 2,
         r"Error: --tracking-number: 'bogus' in '2026-ICFO-1:bogus' is not a reason; use NUMBER\[:reason\] with "
         r"reason one of assigned, split, referral, appeal", setup=_queue),
    Case("track-letter-nul", ["track", "add", "--title", "X", "--office", "ICE", "--letter", "l.txt"], 2,
         r"Error: --letter: the text contains a NUL character; give the letter as plain text",
         {"l.txt": b"Dear FOIA Officer\x00\n"}, setup=_queue),
    Case("track-huge-amount", ["track", "update", "1", "--fee-paid", "99999999999999999999999999999"], 2,
         r"Error: --fee-paid: '99999999999999999999999999999' is a billion dollars or more; check the amount",
         setup=_queue),
    Case("track-due-far-ahead", ["track", "due", "--within", "100000000"], 2,
         r"Error: Invalid value for '--within': 100000000 is not in the range 0<=x<=3653\. .*", setup=_queue),
    Case("track-today-outside-calendar", ["track", "due", "--today", "9999-12-31"], 2,
         r"Error: --today: 9999-12-31 is outside the years foia's working-day calendar covers \(1900-\d{4}, the "
         r"years with federal holiday data\); check the date", setup=_queue),
    Case("draft-filed-on-outside-calendar", ["draft", "records", "--system", "icm", *REQ, "--track", "--filed-on",
                                             "1899-06-01"], 2,
         r"Error: --filed-on: 1899-06-01 is outside the years foia's working-day calendar covers .*; check the date"),
    Case("track-url-bad-port", ["track", "--db", "postgresql://u:secret@127.0.0.1:abc/x", "list"], 1,
         r"Error: postgresql\+psycopg://127\.0\.0\.1:abc/x is not a database URL; .*"),
    Case("track-url-in-memory", ["track", "--db", "sqlite://", "add", "--title", "X", "--office", "ICE"], 1,
         r"Error: sqlite:// is an in-memory database: everything recorded would be lost when foia exits; .*"),
    Case("track-url-libpq", ["track", "--db", "host=127.0.0.1 dbname=clinic", "list"], 1,
         r"Error: host=127\.0\.0\.1 \.\.\. looks like a libpq connection string, .*"),
    Case("track-backup-onto-itself", ["track", "backup", "--out", "data/foia.db"], 1,
         r"Error: data/foia\.db is the tracker database itself; give the backup another name \(--out\)", setup=_queue),
    Case("track-non-ascii-digit-id", ["track", "show", "\u00b2"], 1, r"Error: no request \u00b2; see `foia track list`",
         setup=_queue),
    Case("track-id-past-the-column", ["track", "update", "99999999999999999999", "--note", "x"], 1,
         r"Error: no request 99999999999999999999; see `foia track list`", setup=_queue),
    Case("track-import-id-too-big", ["track", "import", "in.csv"], 1,
         r"in\.csv: row 2, column id: '3000000000' is not a request number; leave it empty for a new request",
         setup=_queue_and("in.csv", "id,title,office,filed_on\n3000000000,A,ICE,2026-11-01\n"), then=(IMPORT_SUMMARY,)),
    Case("track-import-nul", ["track", "import", "in.csv"], 1,
         r"in\.csv: row 3, column title: contains a NUL character; remove it",
         setup=_queue_and("in.csv", "title,office,filed_on\nA,ICE,2026-11-01\nB\x00,ICE,2026-11-01\n"),
         then=(IMPORT_SUMMARY,)),
    Case("track-import-future-dob", ["track", "import", "in.csv"], 1,
         r"in\.csv: row 2, column client_dob: a date is in the future; give the date it happened",
         setup=_queue_and("in.csv", "title,office,filed_on,client_dob\nA,ICE,2026-11-01,2030-02-03\n"),
         then=(IMPORT_SUMMARY,)),
    Case("track-import-not-utf8", ["track", "import", "in.csv"], 1,
         r"Error: in\.csv: line 3: not UTF-8 text \(byte 41\); save the file as UTF-8 CSV or JSON",
         setup=_queue_and("in.csv", "title,office,filed_on\nA,ICE,2026-11-01\nB\udcff,ICE,2026-11-01\n")),
    Case("track-import-missing", ["track", "import", "missing.csv"], 1, r"Error: missing\.csv: no such file",
         setup=_queue),
    Case("track-import-unknown-office", ["track", "import", "in.csv"], 1,
         r"in\.csv: row 3, column office: unknown office 'XYZ'; expected an id from `foia agencies list`",
         setup=_queue_and("in.csv", CSV_HEAD + "A,ICE,records,submitted,2026-11-01\nB,XYZ,records,submitted,2026-11-01\n"),
         then=(IMPORT_SUMMARY,)),
    Case("track-import-bad-date", ["track", "import", "in.csv"], 1,
         r"in\.csv: row 2, column filed_on: not a date '2026-13-01'; use YYYY-MM-DD",
         setup=_queue_and("in.csv", CSV_HEAD + "A,ICE,records,submitted,2026-13-01\n"), then=(IMPORT_SUMMARY,)),
    Case("track-bad-db-url", ["track", "--db", "nosuch://x", "list"], 1,
         r"Error: cannot use database nosuch://x: .*; check --db / FOIA_DB"),
    Case("track-db-unreachable", ["track", "--db", "postgresql+psycopg://postgres@127.0.0.1:1/test", "list"], 1,
         r"Error: tracker database postgresql\+psycopg://postgres@127\.0\.0\.1:1/test: connection failed: .*; "
         r"check --db / FOIA_DB"),
    Case("track-purge-needs-yes", ["track", "purge", "1"], 2,
         r"Error: purge removes identity data for good; run again with --yes: foia track purge 1 --yes", setup=_queue),
    Case("track-appeal-no-response-after-an-answer", ["track", "appeal", "1", "--ground", "no-response"], 1,
         r"Error: request 1 was answered \(denied on 2026-11-03\); appeal that determination instead, e\.g\. "
         r"foia track appeal 1 --ground withholding", setup=_queue_then("update", "1", "--status", "denied",
                                                                        "--on", "2026-11-03")),
    Case("track-appeal-bad-exemption", ["track", "appeal", "1", "--ground", "withholding", "--exemption", "b10",
                                        "--requester-name", "Sam Doe", "--requester-email", "sam@example.org"], 2,
         r"Error: --exemption: 'b10' is not an exemption; write it like \(b\)\(5\), \(b\)\(6\) or \(b\)\(7\)\(C\)",
         setup=_queue_then("update", "1", "--status", "denied", "--on", "2026-11-03")),
    Case("track-appeal-bad-ground", ["track", "appeal", "1", "--ground", "bogus"], 2,
         r"Error: Invalid value for '--ground': 'bogus' is not one of .*", setup=_queue),
]


def _file_of_size(name: str, size: int) -> Callable[[Path], None]:
    """_queue, then a sparse file ``name`` of ``size`` bytes (a CSV header, then zeros)."""
    def setup(p: Path) -> None:
        _queue(p)
        with open(p / name, "wb") as fh:
            fh.write(b"title,office\n")
            fh.truncate(size)
    return setup


def _closures(text: str) -> Callable[[Path], None]:
    def setup(p: Path) -> None:
        (p / "config").mkdir(exist_ok=True)
        (p / "config" / "closures.yaml").write_text(text)
    return setup


BIG = "1" * 5000            # past Python's 4,300-digit limit for reading an integer
DEEP = "[" * 50000 + "]" * 50000

CASES += [
    # -- hardening, round two (issue 18): malformed files and numbers past Python's limits -------
    Case("track-import-huge-cell", ["track", "import", "in.csv"], 1,
         r"Error: in\.csv: row 2: a cell is longer than 131,072 characters; no field is that long: check for a quote "
         r"\(\"\) that is never closed", setup=_queue_and("in.csv", "title,office\n" + "x" * 200_000 + ",ICE\n")),
    Case("track-import-unclosed-quote", ["track", "import", "in.csv"], 1,
         r"Error: in\.csv: row 3: a cell is longer than 131,072 characters; .*",
         setup=_queue_and("in.csv", "title,office\nA,ICE\n\"B,ICE\n" + "x,ICE\n" * 30_000)),
    Case("track-import-utf16-without-bom", ["track", "import", "in.csv"], 1,
         r"Error: in\.csv: row 1 holds NUL characters \(UTF-16 text\?\); save the file as UTF-8 CSV",
         setup=_queue_and("in.csv", "title,office\nA,ICE\n".encode("utf-16-le").decode("ascii"))),
    Case("track-import-json-utf16-without-bom", ["track", "import", "in.json"], 1,
         r"Error: in\.json: holds NUL characters \(UTF-16 text\?\); save the file as UTF-8 JSON",
         setup=_queue_and("in.json", '{"format": "foia-tracker", "requests": []}'.encode("utf-16-le").decode("ascii"))),
    Case("track-import-nul-in-header", ["track", "import", "in.csv"], 1,
         r"Error: in\.csv: row 1 holds NUL characters \(UTF-16 text\?\); save the file as UTF-8 CSV",
         setup=_queue_and("in.csv", "title,off\x00ice\nA,ICE\n")),
    Case("track-import-100000-columns", ["track", "import", "in.csv"], 1,
         r"Error: in\.csv: row 1 has 100,000 columns; an import has at most 35 \(title, office, \.\.\.\): check the "
         r"separator \(a comma\) and the header row",
         setup=_queue_and("in.csv", ",".join(f"c{i}" for i in range(100_000)) + "\n")),
    Case("track-import-too-large", ["track", "import", "in.csv"], 1,
         r"Error: in\.csv: larger than 50,000,000 bytes, the most one import reads; split it into smaller files "
         r"\(each import is all-or-nothing\)", setup=_file_of_size("in.csv", 50_000_001)),
    Case("track-import-fifo", ["track", "import", "in.csv"], 1,
         r"Error: in\.csv: not a regular file \(a device, a pipe or a socket\); give a \.csv or \.json file",
         setup=lambda p: _queue(p) or os.mkfifo(p / "in.csv")),
    Case("track-import-device", ["track", "import", "/dev/zero", "--format", "csv"], 1,
         r"Error: /dev/zero: not a regular file \(a device, a pipe or a socket\); give a \.csv or \.json file",
         setup=_queue),
    Case("track-import-json-huge-number", ["track", "import", "in.json"], 1,
         r"Error: in\.json: a number of thousands of digits; no id or amount is that long, expected a "
         r"`foia track export --format json` file",
         setup=_queue_and("in.json", '{"format": "foia-tracker", "version": 1, "requests": [{"id": %s}]}' % BIG)),
    Case("track-import-csv-huge-id", ["track", "import", "in.csv"], 1,
         r"in\.csv: row 2, column id: '1{5000}' is not a request number; leave it empty for a new request",
         setup=_queue_and("in.csv", f"id,title,office\n{BIG},A,ICE\n"), then=(IMPORT_SUMMARY,)),
    Case("track-show-huge-id", ["track", "show", BIG], 1, r"Error: no request 1{5000}; see `foia track list`",
         setup=_queue),
    Case("profile-huge-number", ["profile", "show", "--profile", "p.yaml"], 1,
         r"Error: p\.yaml: holds a number of thousands of digits; fix it with `foia profile edit`",
         {"p.yaml": f"name: {BIG}\n"}),
    Case("profile-nested-deep", ["profile", "show", "--profile", "p.yaml"], 1,
         r"Error: p\.yaml: nested too deeply; fix it with `foia profile edit`", {"p.yaml": f"name: {DEEP}\n"}),
    Case("directory-huge-number", ["--directory", "over.yaml", "agencies", "list"], 1,
         r"over\.yaml: a number of thousands of digits; no directory value is that long, fix the file",
         {"over.yaml": f"agencies:\n  - id: cbp\n    name: {BIG}\n"}),
    Case("deadline-closures-huge-number", ["deadline", "--received", "2025-11-21"], 1,
         r"Error: .*closures\.yaml: holds a number of thousands of digits; expected a list of "
         r"\{date: YYYY-MM-DD, name: \.\.\.\} entries", setup=_closures(f"- {{date: {BIG}, name: x}}\n")),
    Case("deadline-closures-nested-deep", ["deadline", "--received", "2025-11-21"], 1,
         r"Error: .*closures\.yaml: nested too deeply; expected a list of \{date: YYYY-MM-DD, name: \.\.\.\} entries",
         setup=_closures(f"- {DEEP}\n")),
]


def _damaged_queue(p: Path) -> None:
    """_queue, then the requests table's page overwritten: the first page (the schema) is intact,
    so opening works and the damage shows when a command reads the requests."""
    import sqlite3

    _queue(p)
    db = p / "data" / "foia.db"
    conn = sqlite3.connect(db)
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    size = conn.execute("PRAGMA page_size").fetchone()[0]
    root = conn.execute("SELECT rootpage FROM sqlite_master WHERE name = 'requests'").fetchone()[0]
    conn.close()
    data = bytearray(db.read_bytes())
    for at in range((root - 1) * size, root * size, 3):
        data[at] = 0xAB
    db.write_bytes(bytes(data))


def _other_sqlite(p: Path) -> None:
    import sqlite3

    conn = sqlite3.connect(p / "other.db")
    conn.execute("CREATE TABLE notes (x TEXT)")
    conn.execute("INSERT INTO notes VALUES ('mine')")
    conn.commit()
    conn.close()


DAMAGED = (r"Error: the tracker database .*foia\.db is damaged \(database disk image is malformed\); put your latest "
           r"`foia track backup` copy in its place \(or import your latest `foia track export --format json` into a "
           r"new database\)")

CASES += [
    # -- hardening, round two (issue 18): special files, refused databases, identity fields ------
    Case("track-export-onto-fifo", ["track", "export", "--format", "csv", "--out", "out.csv"], 1,
         r"Error: out\.csv is a named pipe \(FIFO\), not a regular file; give the name of a new or regular file "
         r"\(--out\)", setup=lambda p: _queue(p) or os.mkfifo(p / "out.csv")),
    Case("track-export-onto-symlink", ["track", "export", "--format", "json", "--out", "link.json"], 1,
         r"Error: link\.json is a symbolic link, not a regular file; give the name of a new or regular file \(--out\)",
         {"target.json": "mine\n"}, setup=lambda p: _queue(p) or os.symlink("target.json", p / "link.json")),
    Case("track-backup-onto-fifo", ["track", "backup", "--out", "b.db"], 1,
         r"Error: b\.db is a named pipe \(FIFO\), not a regular file; give the name of a new or regular file "
         r"\(--out\)", setup=lambda p: _queue(p) or os.mkfifo(p / "b.db")),
    Case("track-backup-journal-name", ["track", "backup", "--out", "data/foia.db-journal"], 1,
         r"Error: data/foia\.db-journal is the name of a file SQLite keeps beside the tracker database and deletes or "
         r"rewrites; give the backup another name \(--out\)", setup=_queue),
    Case("track-letter-device", ["track", "add", "--title", "X", "--office", "ICE", "--letter", "/dev/zero"], 2,
         r"Error: --letter: /dev/zero is not a regular file \(a folder, a device or a pipe\); give a text file",
         setup=_queue),
    Case("track-letter-fifo", ["track", "add", "--title", "X", "--office", "ICE", "--letter", "l.txt"], 2,
         r"Error: --letter: l\.txt is not a regular file \(a folder, a device or a pipe\); give a text file",
         setup=lambda p: _queue(p) or os.mkfifo(p / "l.txt")),
    Case("track-letter-too-large", ["track", "add", "--title", "X", "--office", "ICE", "--letter", "l.txt"], 2,
         r"Error: --letter: l\.txt is larger than 1,000,000 bytes; give a text file of at most that size",
         setup=_file_of_size("l.txt", 1_000_001)),
    Case("deadline-closures-is-a-folder", ["deadline", "--received", "2025-11-21"], 1,
         r"Error: closures: .*closures\.yaml is not a regular file \(a folder, a device or a pipe\); give a text file",
         setup=lambda p: (p / "config" / "closures.yaml").mkdir(parents=True)),
    Case("track-closures-is-a-folder", ["track", "due"], 1,
         r"Error: closures: .*closures\.yaml is not a regular file \(a folder, a device or a pipe\); give a text file",
         setup=lambda p: _queue(p) or (p / "config" / "closures.yaml").mkdir(parents=True)),
    Case("draft-stem-newline", ["draft", "records", "--system", "icm", *REQ, "--stem", "a\nb", "--out", "out"], 2,
         r"Error: --stem 'a\\nb': contains a control character \(a line break, a tab\); give a plain file name"),
    Case("draft-eml-name-line-break", ["draft", "records", "--system", "icm", "--no-profile", "--requester-name",
                                       "Sam\r\nBcc: x@example.org", "--requester-email", "sam@example.org",
                                       # ICE takes requests online only: an .eml needs an address given.
                                       "--to-email", "foia@example.gov", "--format", "eml", "--out", "out"], 1,
         r"Error: the name .* contains a line break or another control character; write it on one line "
         r"\(--requester-name / profile name\)"),
    Case("track-dob-year-one", ["track", "add", "--title", "X", "--office", "ICE", "--client-dob", "0001-01-01"], 2,
         r"Error: --client-dob: the date of birth is more than 130 years ago; check it \(YYYY-MM-DD\)", setup=_queue),
    Case("track-a-number-shape", ["track", "add", "--title", "X", "--office", "ICE", "--client-a-number", "x" * 32], 2,
         r"Error: --client-a-number: not an A-Number; write 8 or 9 digits, optionally after an A \(e\.g\. A012345678\)",
         setup=_queue),
    Case("track-import-a-number-shape", ["track", "import", "in.csv"], 1,
         r"in\.csv: row 2, column client_a_number: not an A-Number; write 8 or 9 digits, optionally after an A "
         r"\(e\.g\. A012345678\)", setup=_queue_and("in.csv", "title,office,client_a_number\nA,ICE,A12\n"),
         then=(IMPORT_SUMMARY,)),
    Case("track-import-dob-too-old", ["track", "import", "in.csv"], 1,
         r"in\.csv: row 2, column client_dob: the date of birth is more than 130 years ago; check it \(YYYY-MM-DD\)",
         setup=_queue_and("in.csv", "title,office,client_dob\nA,ICE,1850-01-01\n"), then=(IMPORT_SUMMARY,)),
    Case("track-db-sqlcipher-creates-nothing", ["track", "--db", "sqlite+pysqlcipher:///x.db", "list"], 1,
         r"Error: cannot use database sqlite\+pysqlcipher:///x\.db: No module named '.*'; check --db / FOIA_DB"),
    Case("track-db-unrelated-sqlite", ["track", "--db", "other.db", "list"], 1,
         r"Error: cannot open the tracker database .*other\.db: it is a SQLite database of something else "
         r"\(tables: notes\); give foia its own file \(check --db / FOIA_DB\)", setup=_other_sqlite),
    Case("track-db-not-sqlite", ["track", "--db", "notes.txt", "list"], 1,
         r"Error: cannot open the tracker database .*notes\.txt: it is not a SQLite database; give foia its own file "
         r"\(check --db / FOIA_DB\)", {"notes.txt": "my notes, not a database\n"}),
    Case("track-db-damaged-read", ["track", "list"], 1, DAMAGED, setup=_damaged_queue),
    Case("track-db-damaged-write", ["track", "update", "1", "--note", "x"], 1, DAMAGED, setup=_damaged_queue),
]


# What Python hands a program for the byte 0xff in its arguments on a UTF-8 locale (surrogateescape).
NOT_UTF8 = b"ICM \xff logs".decode("utf-8", "surrogateescape")
REFUSED = (r"Error: Invalid value for '{}': not valid UTF-8 text \(byte 0xff\); type it again as UTF-8 "
           r"\(set your terminal or file to UTF-8\) \(see 'foia {} --help'\)")

CASES += [
    # -- text that is not UTF-8: refused before anything is written, never a traceback -------------
    Case("track-add-title-not-utf8", ["track", "add", "--title", NOT_UTF8, "--office", "ICE"], 2,
         REFUSED.format("--title", "track add"), setup=_queue),
    Case("track-add-tag-not-utf8", ["track", "add", "--title", "X", "--office", "ICE", "--tag", NOT_UTF8], 2,
         REFUSED.format("--tag", "track add"), setup=_queue),
    Case("track-update-note-not-utf8", ["track", "update", "1", "--note", NOT_UTF8], 2,
         REFUSED.format("--note", "track update"), setup=_queue),
    Case("track-show-not-utf8", ["track", "show", NOT_UTF8], 2, REFUSED.format("REQUEST", "track show"),
         setup=_queue),
    Case("draft-requester-not-utf8", ["draft", "records", "--system", "icm", "--no-profile", "--requester-name",
                                      NOT_UTF8, "--out", "out"], 2,
         REFUSED.format("--requester-name", "draft records")),
]


STOPPED = r"Error: your template records\.j2:1 was stopped: {}; make the template simpler \(or remove it to use the packaged one\)"
DRAFT = ["draft", "records", "--system", "icm", *REQ, "--out", "out"]

CASES += [
    # -- hardening, round two (issue 18): template resource limits --------------------------------
    Case("template-huge-repetition", DRAFT, 1,
         STOPPED.format(r"a repetition of 3,000,000,000 characters or items is past the limit of 1,000,000"),
         setup=_template("{{ 'x' * 3000000000 }}")),
    Case("template-huge-center", DRAFT, 1,
         STOPPED.format(r"a width given to center of 3,000,000,000 characters or items is past the limit of 1,000,000"),
         setup=_template("{{ 'x'|center(3000000000) }}")),
    Case("template-huge-indent", DRAFT, 1,
         STOPPED.format(r"a width given to indent of 10,000,000,000 characters or items is past the limit of 1,000,000"),
         setup=_template("{{ 'x'|indent(10**10) }}")),
    Case("template-nested-range-loops", DRAFT, 1,
         STOPPED.format(r"its loops went past 1,000,000 range\(\) items"),
         setup=_template("{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}")),
    Case("template-huge-format-width", DRAFT, 1,
         STOPPED.format(r"a formatted width of 10,000,000,000 characters or items is past the limit of 1,000,000"),
         setup=_template("{{ '{:>10000000000}'.format('x') }}")),
    Case("template-huge-power", DRAFT, 1, STOPPED.format(r"a power of 100000 is past the limit of 64"),
         setup=_template("{{ 10 ** 100000 }}")),
]


# The per-user caches of the parsed directory, the DOCX skeleton and the compiled templates
# (FOIA_CACHE_DIR) are derived from foia's own files or a template as it is, never from the input
# refused, and rebuilt at will: a refusal may warm them.
_DERIVED = re.compile(r"cache(/(directory|docx-skeleton)-[^/]+\.pickle|/template-[0-9a-f]+\.jinja)?")


def _snapshot(root: Path) -> dict[str, str]:
    return {str(p.relative_to(root)): (hashlib.sha256(p.read_bytes()).hexdigest() if p.is_file() else "dir")
            for p in sorted(root.rglob("*")) if not _DERIVED.fullmatch(str(p.relative_to(root)))}


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_bad_input_is_one_clear_line_and_changes_nothing(case: Case, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    env = {"FOIA_CONFIG_DIR": str(tmp_path / "config"), "FOIA_DATA_DIR": str(tmp_path / "data"),
           "FOIA_CACHE_DIR": str(tmp_path / "cache"), "FOIA_DIRECTORY": None, "FOIA_DB": None,
           "FOIA_USASPENDING_URL": "http://127.0.0.1:9"}
    if case.id == "directory-env-missing":
        env["FOIA_DIRECTORY"] = "env.yaml"
    for name, content in case.files.items():
        path = tmp_path / name
        path.write_bytes(content) if isinstance(content, bytes) else path.write_text(content)
    if case.setup:
        case.setup(tmp_path)
    before = _snapshot(tmp_path)
    result = CliRunner().invoke(cli, case.argv, env=env)
    assert result.exit_code == case.exit, result.output
    assert "Traceback" not in result.output and result.exception is None or isinstance(result.exception, SystemExit)
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 + len(case.then), result.output
    for pattern, line in zip((case.message, *case.then), lines):
        assert re.fullmatch(pattern, line), line
    assert _snapshot(tmp_path) == before


def test_the_suite_covers_at_least_sixty_cases():
    assert len(CASES) >= 60, f"{len(CASES)} cases"


def test_bytes_that_are_not_utf8_in_the_real_arguments_are_one_line(tmp_path):
    """The program as run, given the raw byte 0xff: Python hands it to foia as a lone surrogate."""
    import subprocess
    import sys

    env = {**os.environ, "FOIA_CONFIG_DIR": str(tmp_path / "config"), "FOIA_DATA_DIR": str(tmp_path / "data"),
           "FOIA_CACHE_DIR": str(tmp_path / "cache"), "LC_ALL": "C.UTF-8", "PYTHONUTF8": "1"}
    env.pop("FOIA_DB", None)
    r = subprocess.run([sys.executable, "-m", "foia", "track", "add", "--title", b"ICM \xff logs",
                        "--office", "ICE"], capture_output=True, text=True, env=env, cwd=tmp_path)
    assert r.returncode == 2 and r.stdout == ""
    assert re.fullmatch(REFUSED.format("--title", "track add"), r.stderr.strip()), r.stderr
    assert not (tmp_path / "data").exists() or not any((tmp_path / "data").rglob("*.db"))
    # A path keeps any bytes: a tracker file may be named in another encoding.
    r = subprocess.run([sys.executable, "-m", "foia", "track", "--db", b"caf\xe9.db", "add", "--title", "ICM logs",
                        "--office", "ICE"], capture_output=True, text=True, env=env, cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert os.path.exists(os.path.join(os.fsencode(tmp_path), b"caf\xe9.db"))
