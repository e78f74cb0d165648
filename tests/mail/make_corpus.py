"""Writes the synthetic mail corpus in this folder (run it to regenerate: python tests/mail/make_corpus.py).

Every message is invented for the tests: the people, Message-IDs and tracking numbers are
made up; the ICE number formats (2019-ICFO-12345, 2023-ICAP-00154) are the fact sheet's, and
the office addresses are the directory's (agencies.yaml). The scenario the tests build:

- request 1: ICE, filed with the .eml whose Message-ID is R1 (below)
- request 2: ICE, tracking number 2025-ICFO-01234 recorded
- request 3: CBP, filed with the .eml whose Message-ID is R3
- request 4: ICE, appealed, appeal number 2025-ICAP-00077 recorded
"""

from __future__ import annotations

from email import policy
from email.message import EmailMessage
from pathlib import Path

HERE = Path(__file__).parent
R1 = "<foia.r1-0001@clinic.example.org>"
R3 = "<foia.r3-0003@clinic.example.org>"
ICE = "ICE FOIA Office <ice-foia@ice.dhs.gov>"
CBP = "CBP FOIA <cbpfoiapublicliaison@cbp.dhs.gov>"
CLINIC = "Ana Ruiz <ana@clinic.example.org>"

# The smallest well-formed PDF: one empty page (the bytes matter, not what a viewer shows).
PDF = (b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n"
       b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 612 792]>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n")


def mail(name, *, subject, body=None, html=None, frm=ICE, to=CLINIC, date="Mon, 02 Nov 2026 10:15:00 -0500",
         msgid=True, in_reply_to=None, references=None, attachments=(), extra=()):
    m = EmailMessage(policy=policy.SMTP)
    m["From"] = frm
    m["To"] = to
    m["Subject"] = subject
    if date:
        m["Date"] = date
    if msgid:
        m["Message-ID"] = f"<{name.replace('.eml', '')}@mail.example.gov>"
    if in_reply_to:
        m["In-Reply-To"] = in_reply_to
    if references:
        m["References"] = references
    for k, v in extra:
        m[k] = v
    if body is not None:
        m.set_content(body)
        if html is not None:
            m.add_alternative(html, subtype="html")
    elif html is not None:
        m.set_content(html, subtype="html")
    for filename, maintype, subtype, data in attachments:
        m.add_attachment(data, maintype=maintype, subtype=subtype, filename=filename)
    if attachments:
        m.set_boundary(f"=fixture-{name}")
    return name, m.as_bytes()


def corpus() -> list[tuple[str, bytes]]:
    out = [
        mail("ack-ice-plain.eml", subject="RE: Freedom of Information Act Request", in_reply_to=R1, references=R1,
             body="Dear Ms. Ruiz,\n\nThis acknowledges receipt of your Freedom of Information Act request. "
                  "Your request has been assigned tracking number 2026-ICFO-00311.\n\nICE FOIA Office\n"),
        mail("ack-ice-html-only.eml", subject="Your FOIA request [foia #1]", frm=ICE,
             html="<html><head><style>p{color:red}</style><title>x</title></head><body><p>We have received your "
                  "request.</p><p>Tracking number: <b>2026-ICFO-00412</b></p>"
                  "<img src=\"https://tracker.example.com/pixel.gif\"><script>alert(1)</script></body></html>"),
        mail("extension-ice.eml", subject="FOIA 2025-ICFO-01234: extension",
             body="Because of unusual circumstances, ICE will take 10 additional working days to process "
                  "request 2025-ICFO-01234.\n"),
        mail("fee-ice.eml", subject="Fee estimate for 2025-ICFO-01234",
             body="The fee estimate for processing request 2025-ICFO-01234 is $1,125.50. Please tell us "
                  "within 10 working days whether you agree to pay.\n"),
        mail("no-records-ice.eml", subject="RE: Freedom of Information Act Request", in_reply_to=R1,
             date="Tue, 10 Nov 2026 09:00:00 -0500",
             body="After a thorough search, ICE was unable to locate any records responsive to your request.\n"),
        mail("final-partial-ice-pdf.eml", subject="Final response 2025-ICFO-01234",
             date="Wed, 11 Nov 2026 14:00:00 -0500",
             body="Enclosed are 12 pages. Portions are withheld under exemptions (b)(6) and (b)(7)(C).\n",
             attachments=[("2025-ICFO-01234 release.pdf", "application", "pdf", PDF)]),
        mail("final-full-cbp-pdf.eml", subject="RE: FOIA request", frm=CBP, in_reply_to=R3, references=R3,
             body="CBP is releasing the records in full. They are attached.\n",
             attachments=[("CBP-release.pdf", "application", "pdf", PDF)]),
        bounce("bounce-ice-dsn.eml"),
        mail("forwarded-ack.eml", subject="Fwd: Acknowledgement", frm="Luis Paz <luis@clinic.example.org>",
             body="Forwarding ICE's acknowledgement.\n\n---------- Forwarded message ---------\nFrom: ICE FOIA "
                  "<ice-foia@ice.dhs.gov>\nSubject: Acknowledgement\n\nYour request 2025-ICFO-01234 has been "
                  "received.\n"),
        forwarded_as_attachment("forwarded-as-attachment.eml"),
        mail("bcc-reply.eml", subject="RE: Records of ICM use [foia #1]", to="records-desk@ice.dhs.gov",
             body="Copying the requester on this note: the request is in the processing queue.\n"),
        mail("wrong-address-reply.eml", subject="RE: FOIA request", frm=CBP, to="old-address@clinic.example.org",
             references=R3, body="Please send the certification of identity form.\n"),
        mail("no-message-id.eml", subject="Status of 2025-ICFO-01234", msgid=False,
             body="Request 2025-ICFO-01234 is in the processing queue.\n"),
        mail("unmatched-newsletter.eml", subject="Weekly digest", frm="News <news@example.com>",
             body="Ten stories this week.\n"),
        mail("unknown-tracking.eml", subject="Request 2024-ICFO-99999 about Palantir records",
             body="Regarding 2024-ICFO-99999.\n"),
        mail("ambiguous.eml", subject="RE: your requests", references=f"{R1} {R3}",
             body="We are working on both of your requests.\n"),
        mail("appeal-ack-ice.eml", subject="Appeal 2025-ICAP-00077",
             body="We acknowledge receipt of your appeal, 2025-ICAP-00077.\n"),
        mail("html-script-image.eml", subject="Update [foia #2]",
             html="<p>Your request is <a href=\"https://evil.example.com/x\">in process</a>.</p>"
                  "<img src=\"http://evil.example.com/beacon.png\"><script>document.write('x')</script>"),
        latin1("latin1-charset.eml"),
        mail("base64-text.eml", subject="Note on 2025-ICFO-01234", body="Señora Ruiz: request 2025-ICFO-01234.\n",
             extra=()),
        mail("reply-to-reply.eml", subject="RE: RE: Freedom of Information Act Request",
             in_reply_to="<ack-ice-plain@mail.example.gov>", references=f"{R1} <ack-ice-plain@mail.example.gov>",
             date="Fri, 06 Nov 2026 08:00:00 -0500", body="A follow-up on our earlier letter.\n"),
        mail("future-date.eml", subject="Status [foia #2]", date="Fri, 01 Jan 2100 00:00:00 +0000",
             body="Still in process.\n"),
        mail("no-date.eml", subject="Status [foia #2]", date=None, body="Still in process.\n"),
        mail("extension-ten.eml", subject="Extension [foia #1]",
             body="We need ten additional working days to process your request.\n"),
        mail("fee-no-amount.eml", subject="Fee estimate [foia #2]", body="A fee estimate will follow.\n"),
        mail("fee-waived.eml", subject="Fees [foia #2]",
             body="Your fee estimate: fees are waived, no fees will be charged. $0.00\n"),
        mail("short-exemptions.eml", subject="Release [foia #2]",
             body="Pages withheld in part, b6 and b7c.\n"),
        mail("cbp-ack.eml", subject="RE: FOIA request", frm=CBP, in_reply_to=R3,
             body="This acknowledges your request. CBP numbers look different from ICE's.\n"),
        mail("outlook-alternative.eml", subject="RE: FOIA request", frm=CBP, in_reply_to=R3,
             extra=[("Thread-Index", "AQHXYZ123==")],
             body="Plain part: we are searching.\n", html="<p>HTML part: we are <b>searching</b>.</p>"),
        mail("unsafe-attachment-name.eml", subject="Records [foia #2]", body="See attached.\n",
             attachments=[("../../etc/passwd", "application", "octet-stream", b"not a password file\n"),
                          ("", "application", "pdf", PDF)]),
        mail("encoded-subject.eml", subject="Respuesta: solicitud FOIA ñ [foia #1]", body="Hola.\n"),
        mail("crlf-lines.eml", subject="Status [foia #1]", body="Line one.\nLine two.\n"),
    ]
    names = [n for n, _ in out]
    assert len(names) == len(set(names))
    # The same acknowledgement received twice (an IMAP copy, a second export): stored once.
    out.append(("dup-ack-ice-plain.eml", dict(out)["ack-ice-plain.eml"]))
    return out


def bounce(name):
    """A delivery-status notification (RFC 3464) returning the letter R1."""
    raw = (
        "From: Mail Delivery Subsystem <MAILER-DAEMON@clinic.example.org>\r\n"
        "To: ana@clinic.example.org\r\n"
        "Subject: Undelivered Mail Returned to Sender\r\n"
        "Date: Mon, 02 Nov 2026 09:00:05 -0500\r\n"
        "Message-ID: <bounce-1@clinic.example.org>\r\n"
        "MIME-Version: 1.0\r\n"
        "Content-Type: multipart/report; report-type=delivery-status; boundary=\"=b1\"\r\n"
        "\r\n"
        "--=b1\r\nContent-Type: text/plain\r\n\r\nYour message could not be delivered.\r\n"
        "--=b1\r\nContent-Type: message/delivery-status\r\n\r\n"
        "Reporting-MTA: dns; mx.clinic.example.org\r\n\r\n"
        "Final-Recipient: rfc822; ice-foia@ice.dhs.gov\r\nAction: failed\r\nStatus: 5.1.1\r\n"
        "Diagnostic-Code: smtp; 550 5.1.1 mailbox unavailable\r\n"
        "--=b1\r\nContent-Type: text/rfc822-headers\r\n\r\n"
        f"From: ana@clinic.example.org\r\nTo: ice-foia@ice.dhs.gov\r\nMessage-ID: {R1}\r\n"
        "Subject: Freedom of Information Act Request\r\n"
        "--=b1--\r\n")
    return name, raw.encode()


def forwarded_as_attachment(name):
    _, inner = mail("inner.eml", subject="Acknowledgement", body="Your request 2025-ICFO-01234 has been received.\n")
    m = EmailMessage(policy=policy.SMTP)
    m["From"] = "Luis Paz <luis@clinic.example.org>"
    m["To"] = CLINIC
    m["Subject"] = "Fwd: Acknowledgement"
    m["Date"] = "Tue, 03 Nov 2026 11:00:00 -0500"
    m["Message-ID"] = "<fwd-attach@clinic.example.org>"
    m.set_content("See the attached message from ICE.\n")
    from email import message_from_bytes

    m.add_attachment(message_from_bytes(inner, policy=policy.SMTP))
    m.set_boundary("=fixture-fwd")
    return name, m.as_bytes()


def latin1(name):
    raw = ("From: ICE FOIA Office <ice-foia@ice.dhs.gov>\r\nTo: ana@clinic.example.org\r\n"
           "Subject: Solicitud 2025-ICFO-01234\r\nDate: Mon, 02 Nov 2026 10:00:00 -0500\r\n"
           "Message-ID: <latin1@mail.example.gov>\r\nMIME-Version: 1.0\r\n"
           "Content-Type: text/plain; charset=iso-8859-1\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n"
           "Se=F1ora Ruiz: su solicitud 2025-ICFO-01234 est=E1 en proceso.\r\n")
    return name, raw.encode("ascii")


if __name__ == "__main__":
    for n, data in corpus():
        (HERE / n).write_bytes(data)
    print(f"wrote {len(corpus())} messages to {HERE}")
