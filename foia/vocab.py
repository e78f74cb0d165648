"""Words shared by the letters, the profile and the tracker.

A vocabulary lives here, not in either package, so that ``foia.letters`` and ``foia.tracker`` can
both use it without importing each other.
"""

SENT_VIA = ("portal", "email", "mail", "fax", "other")
