"""What an office may ask in fees: the fee events recorded are checked against the thresholds
of the statute and of DHS's regulation (warnings, not refusals: the office asked what it asked)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any, Sequence

# Fee thresholds (fact sheet): filing commits to pay up to $25, and the office gives notice above
# that (6 CFR 5.11); advance payment may be required only when the fee is likely to exceed $250
# or the requester failed to pay before (5 U.S.C. 552(a)(4)(A)(v)).
FEE_NOTICE_ABOVE = Decimal("25")
ADVANCE_PAYMENT_ABOVE = Decimal("250")


def fee_problems(fee_list, earlier: Sequence[Any], *, dhs: bool, fee_limit=None) -> list[str]:
    """What an office asked for beyond what the law allows, for the fees just recorded."""
    out = []
    noticed = any(e.type == "fee" and e.data.get("kind") == "estimated" for e in earlier)
    for kind, amount in fee_list:
        value = Decimal(str(amount))
        if kind == "advance" and value <= ADVANCE_PAYMENT_ABOVE:
            out.append(f"the office asks ${value} in advance: advance payment may be required only when the fee is "
                       f"likely to exceed $250 or you failed to pay before (5 U.S.C. 552(a)(4)(A)(v))")
        if kind == "assessed" and dhs and value > FEE_NOTICE_ABOVE and not noticed:
            out.append(f"the office assessed ${value} without an earlier estimate: filing commits you to pay up to $25, "
                       "and above that the office must tell you first (6 CFR 5.11)")
        if kind in ("assessed", "advance") and fee_limit is not None and value > Decimal(str(fee_limit)):
            out.append(f"${value} is above the ${fee_limit} you agreed to pay in the request")
        if kind == "estimated":
            noticed = True
    return out
