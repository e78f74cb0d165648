"""DOCX letters: foia's writer against docxtpl rendering the same letter from a .docx template.

Run: .venv/bin/python benchmarks/letters.py [--letters 1000] [--rounds 9] [--chunk N]
     (docxtpl: pip install -e '.[bench]')

Both sides make the same number of distinct records letters (a different requester name and
subject each time) to ICE with a fee-waiver section, and both start from the same render
context (``foia.letters.build_context``), which is timed on both sides:

- foia:    build_letter (Jinja2 text template -> blocks) + the DOCX writer (a skeleton made once
           with python-docx, each letter's parts written from its paragraph prototypes);
- docxtpl: DocxTemplate.render on an equivalent .docx template (same paragraphs, same styles,
           built here in a temporary folder) + save, reusing one DocxTemplate as docxtpl allows.

The two sides alternate for --rounds rounds (and every --chunk letters within a round if given);
prints the median times, letters per second and the median of the rounds' ratios. Goal: foia
at least 20x faster.
"""

from __future__ import annotations

import argparse
import io
import statistics
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from foia.directory import load_directory  # noqa: E402
from foia.letters import build_context, build_letter, letter_bytes, long_date  # noqa: E402
from foia.profile import Profile  # noqa: E402

TODAY = date(2026, 11, 23)
FIRST = ["Ana", "Luis", "Maria", "Sam", "Noor", "Kim", "Jo", "Ravi", "Lena", "Omar"]
LAST = ["Ruiz", "Ortega", "Lopez", "Lee", "Haddad", "Park", "Silva", "Rao", "Novak", "Diaz"]
TOPICS = ["license plate reader queries", "ICM audit logs", "FALCON data sets", "social media monitoring",
          "ImmigrationOS deliverables", "data broker contracts", "biometric data sharing", "facial recognition use"]


def inputs(n: int):
    for i in range(n):
        name = f"{FIRST[i % 10]} {LAST[(i // 10) % 10]} {i}"
        profile = Profile(name=name, organization="Border Data Project", address=f"{i} Example Ave\nTucson, AZ 85701",
                          email=f"r{i}@example.org", fee_category="other",
                          publication_record="I have written reports on enforcement technology.",
                          dissemination="I will publish the records and an analysis.")
        options = {"subject": f"{TOPICS[i % len(TOPICS)]} (batch {i})", "fee_waiver": True}
        yield profile, options


def docxtpl_template(folder: Path) -> Path:
    """A .docx template equivalent to the records letter, with foia's styles."""
    import docx

    from foia.render.docx import _define_styles, _name_fonts, _page_numbers, _prune

    doc = docx.Document()
    _prune(doc)
    _define_styles(doc)
    _name_fonts(doc)
    _page_numbers(doc)

    def p(text, style="Body Text"):
        doc.add_paragraph(text, style=style)

    p("{{ requester.name }}", "Letterhead")
    p("{{ requester.organization }}", "Letterhead")
    p("{%p for line in requester.address_lines %}", "Letterhead")
    p("{{ line }}", "Letterhead")
    p("{%p endfor %}", "Letterhead")
    p("{{ requester.email }}", "Letterhead")
    p("{{ long_date }}", "Letter Date")
    p("{%p for line in addressee %}", "Inside Address")
    p("{{ line }}", "Inside Address")
    p("{%p endfor %}", "Inside Address")
    p("RE: Freedom of Information Act Request: {{ subject }}", "Subject Line")
    p("Dear FOIA Officer:", "Salutation")
    p("Under the Freedom of Information Act, 5 U.S.C. 552{% if office.regulation %}, and {{ office.regulation }}"
      "{% endif %}, I request copies of the following records about {{ subject }}:")
    p("{%p for c in categories %}", "List Number")
    p("{{ c }}", "List Number")
    p("{%p endfor %}", "List Number")
    p("Please provide the records in electronic form (searchable PDF, or the format in which they are kept), "
      "by email or download link.")
    p("Fees", "Letter Heading")
    p("For fee purposes I am in the category of all other requesters (5 U.S.C. 552(a)(4)(A)(ii)): I may be "
      "charged for search and duplication, and the first two hours of search and the first 100 pages are free "
      "(5 U.S.C. 552(a)(4)(A)(iv)(II)).")
    p("Request for a fee waiver", "Letter Heading")
    p("I ask you to waive all fees. Disclosure of the requested records is \"in the public interest because it "
      "is likely to contribute significantly to public understanding of the operations or activities of the "
      "government and is not primarily in the commercial interest of the requester\" (5 U.S.C. "
      "552(a)(4)(A)(iii)). The request meets each factor of 6 CFR 5.11(k):")
    p("The records concern identifiable operations or activities of the government, with a direct and clear "
      "link: {{ topic }}. (6 CFR 5.11(k), factor (i).)", "List Number")
    p("Disclosure will be meaningfully informative about these operations: to my knowledge the records are "
      "not already public. (Factor (ii).)", "List Number")
    p("Disclosure will contribute to the understanding of a reasonably broad audience of persons interested "
      "in the subject. {{ requester.dissemination }} {{ requester.publication_record }} (Factor (iii).)",
      "List Number")
    p("Disclosure will significantly enhance the public's understanding of {{ topic }}, beyond what is known "
      "today. (Factor (iv).)", "List Number")
    p("I have no commercial interest in the records; I will use them to inform the public (6 CFR 5.11(k)(3)). "
      "If you do not grant a full waiver, please grant a partial waiver (6 CFR 5.11(k)(4)) and tell me before "
      "you incur any fees.")
    p("I look forward to your determination within {{ clock.determination_working_days }} working days "
      "(5 U.S.C. 552(a)(6)(A)(i)), with the reasons for any withholding. If this request will take longer "
      "than ten days to process, please send me its tracking number (5 U.S.C. 552(a)(7)(A)).")
    p("If you have questions about this request, please contact me at {{ requester.email }}.")
    p("Sincerely,", "Closing")
    p("{{ requester.name }}", "Signature")
    p("{{ requester.organization }}", "Signature")
    path = folder / "records-template.docx"
    doc.save(str(path))
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--letters", type=int, default=1000, help="letters per round")
    parser.add_argument("--rounds", type=int, default=9)
    parser.add_argument("--chunk", type=int, default=0,
                        help="letters each side writes before the other's turn (default: the whole round)")
    args = parser.parse_args()
    args.chunk = args.chunk or args.letters
    try:
        from docxtpl import DocxTemplate
    except ImportError:
        sys.exit("docxtpl is not installed: pip install -e '.[bench]'")
    import docx

    d = load_directory()
    cases = list(inputs(args.letters))
    # Warm both sides (imports, the cached styled base, Jinja compilation) outside the timing.
    warm = build_letter("records", directory=d, office="ice", profile=cases[0][0], options=cases[0][1], today=TODAY)
    letter_bytes(warm, "docx")

    with tempfile.TemporaryDirectory() as tmp:
        template = docxtpl_template(Path(tmp))
        tpl = DocxTemplate(str(template))
        ctx, _ = build_context("records", directory=d, office="ice", profile=cases[0][0], options=cases[0][1],
                               today=TODAY)
        tpl.render({**ctx, "long_date": long_date(TODAY)})
        tpl.save(io.BytesIO())

        # Alternating rounds, so a busy shared machine slows both sides alike: the ratio is
        # the median of the rounds' ratios. With --chunk the sides also take turns within a
        # round, as the load of a shared machine changes within seconds; docxtpl then runs
        # between foia's chunks and leaves the processor's caches cold for it (a lower ratio).
        rounds = []
        for _ in range(args.rounds):
            foia_s = writer_s = docxtpl_s = 0.0
            for at in range(0, len(cases), args.chunk):
                chunk = cases[at:at + args.chunk]
                start = time.perf_counter()
                for profile, options in chunk:
                    lt = build_letter("records", directory=d, office="ice", profile=profile, options=options,
                                      today=TODAY)
                    mark = time.perf_counter()
                    letter_bytes(lt, "docx")
                    writer_s += time.perf_counter() - mark
                foia_s += time.perf_counter() - start

                start = time.perf_counter()
                for profile, options in chunk:
                    ctx, _ = build_context("records", directory=d, office="ice", profile=profile, options=options,
                                           today=TODAY)
                    tpl.render({**ctx, "long_date": long_date(TODAY)})
                    tpl.save(io.BytesIO())
                docxtpl_s += time.perf_counter() - start
            rounds.append((foia_s, docxtpl_s, writer_s))

    n = len(cases)
    foia_s = statistics.median(f for f, _, _ in rounds)
    docxtpl_s = statistics.median(t for _, t, _ in rounds)
    writer_s = statistics.median(w for _, _, w in rounds)
    ratio = statistics.median(t / f for f, t, _ in rounds)
    print(f"letters:  {n} distinct DOCX records letters per round, {len(rounds)} rounds, sides alternating "
          f"every {args.chunk} letters (medians)")
    print(f"foia:     {foia_s:7.3f} s  ({n / foia_s:7.1f} letters/s, {foia_s / n * 1000:6.2f} ms each)")
    print(f"          of which build_letter {(foia_s - writer_s) / n * 1000:6.2f} ms, the DOCX writer "
          f"{writer_s / n * 1000:6.2f} ms a letter")
    print(f"docxtpl:  {docxtpl_s:7.3f} s  ({n / docxtpl_s:7.1f} letters/s, {docxtpl_s / n * 1000:6.2f} ms each)")
    print(f"ratio:    foia is {ratio:.2f}x faster than docxtpl (median of the rounds' ratios; goal: at least 20x)")


if __name__ == "__main__":
    main()
