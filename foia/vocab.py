"""Words shared by the letters, the profile and the tracker.

A vocabulary lives here, not in either package, so that ``foia.letters`` and ``foia.tracker`` can
both use it without importing each other.
"""

SENT_VIA = ("portal", "email", "mail", "fax", "other")

# Said of a deadline counted from the day a request was sent because its receipt date is not
# recorded: the tracker's clocks write it into the rule (foia.tracker.derive), and the morning
# view and the exports look for it there (without importing the clocks).
FROM_SENDING = "counted from sending, not receipt"
