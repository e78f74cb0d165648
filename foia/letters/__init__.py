"""Letters: the kinds, the render context built from the directory and the profile, and the
Jinja2 environment (packaged templates, overridable from the user's template directory).

The legal content of every letter (statute and regulation cites, the 6 CFR 5.21(e) identity
block, the 28 U.S.C. 1746 wording, the 6 CFR 5.11(k) factors, the 6 CFR 5.5(e) grounds, the
appeal marking, OGIS) comes from ../shared/reference/dhs-foia-facts.md and lives in the
templates; offices whose regulation is not DHS's 6 CFR Part 5 (the FBI) are cited the statute
only. Anything the directory marks unverified that a letter uses is reported in
``Letter.warnings``.

The modules: ``kinds`` (THE table of kinds), ``fields``, ``options`` (values checked by type),
``context`` (office, systems, clock, addressee), ``builders`` and ``followups`` (each kind's
context), ``wording``, ``templates`` (environment, sandbox, overrides), ``letter`` (build and
``draft_letters``), ``files``. This package never imports ``foia.tracker``.
"""

from foia.letters.fields import APPEAL_GROUNDS, EXPEDITE_GROUNDS, Field
from foia.letters.files import check_stem, default_stem, letter_bytes, slug, target_path, write_letter
from foia.letters.kinds import KINDS, LetterKind, letter_kind
from foia.letters.letter import Drafted, Letter, build_context, build_letter, draft_letters, prepare_letters, \
    write_drafted
from foia.letters.options import normalize_exemption
from foia.letters.templates import packaged_templates_dir, template_source, user_templates_dir
from foia.letters.wording import address_lines, long_date, money, same_name
from foia.render import FORMATS

__all__ = ["KINDS", "LetterKind", "Field", "Letter", "Drafted", "build_letter", "build_context", "draft_letters",
           "prepare_letters", "write_drafted", "write_letter", "letter_bytes", "target_path", "default_stem",
           "check_stem", "slug", "letter_kind", "packaged_templates_dir", "user_templates_dir", "template_source",
           "APPEAL_GROUNDS", "EXPEDITE_GROUNDS", "normalize_exemption", "address_lines", "long_date", "money",
           "same_name", "FORMATS"]
