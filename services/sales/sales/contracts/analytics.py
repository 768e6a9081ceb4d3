"""Funnel analytics and the forecast.

RPC:
    funnel(caller, owner_id=None, team_id=None, date_from=None, date_to=None) -> Funnel
"""

from __future__ import annotations
