"""Dependency: most responses running through one member, or through staff
(``docs/brief.md`` *Dependency*)."""

from __future__ import annotations

from typing import Any

import pandas as pd

from communitas.brief.base import BriefContext, BriefItem, counted, kind, pct
from communitas.brief.checkin import response_shares

TOP_SHARE = 0.25       # one member giving a quarter of all responses
STAFF_SHARE = 0.5      # staff giving half of them
MIN_RESPONSES = 20     # too few responses to speak of a pattern
CO_HOSTS = 3


def shares(ctx: BriefContext) -> pd.DataFrame:
    """Every responder of the past year with their share, and whether staff: ``member,
    responses, share, reach, staff`` (largest share first)."""
    s = response_shares(ctx)
    m = ctx.backend.table("members")
    m = m.select(mid="member_id", staff=(m.is_staff.fill_null(False) | m.is_moderator.fill_null(False)))
    s = s.left_join(m, s.member == m.mid).drop("mid")
    s = s.mutate(staff=s.staff.fill_null(False))
    return s.order_by([s.share.desc(), s.member]).execute()


@kind("dependency", "Share the hosting", order=4)
def find(ctx: BriefContext) -> list[BriefItem]:
    df = shares(ctx)
    total = int(df.responses.sum()) if not df.empty else 0
    if total < MIN_RESPONSES:
        return []
    out = []
    top = df.iloc[0]
    ctx.learn_names(list(df.member.head(1 + CO_HOSTS)))
    if float(top.share) >= TOP_SHARE:
        out.append(_one_member(ctx, df, total))
    staff = float(df.loc[df.staff, "share"].sum())
    if staff >= STAFF_SHARE:
        out.append(BriefItem(
            "dependency", ("staff",), ("staff",),
            "Share the hosting beyond staff: invite members who already answer to co-host.",
            f"staff and moderators gave {pct(staff)} of the past year's {total} responses",
            {"staff_share": round(staff, 4), "responses": total}, score=staff))
    return out


def _one_member(ctx: BriefContext, df: pd.DataFrame, total: int) -> BriefItem:
    top = df.iloc[0]
    nxt: list[Any] = list(df.iloc[1:1 + CO_HOSTS].itertuples())
    who = ctx.label(top.member)
    names = [ctx.label(r.member) for r in nxt]
    together = float(sum(r.share for r in nxt))
    invite = f"; invite {', '.join(names)} (together {pct(together)}) to co-host" if names else ""
    return BriefItem(
        "dependency", (str(top.member),), (who,),
        f"Share the hosting: {who} gives {pct(float(top.share))} of all responses{invite}.",
        f"{who} gave {int(top.responses)} of the past year's {total} responses, "
        f"to {counted(int(top.reach), 'member')}",
        {"top_share": round(float(top.share), 4), "responses": total, "top_responses": int(top.responses),
         "co_hosts": [{"member": n, "share": round(float(r.share), 4)}
                      for n, r in zip(names, nxt, strict=True)]},
        score=float(top.share))
