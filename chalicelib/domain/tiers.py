"""Tier configuration (``chalicelib/data/tiers.json``): privileges and grading thresholds."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from chalicelib.domain.data_files import data_file

NEW_ACCOUNT_TIER = "W1"
PENALTY_TIER = "H1"


@lru_cache(maxsize=1)
def tier_config() -> dict[str, Any]:
    """The parsed tier file (read once per process)."""
    return data_file("tiers.json")


def daily_quota_for(tier: str) -> int:
    """Manual posts an account of ``tier`` may publish per Asia/Shanghai day."""
    return int(tier_config()["tiers"][tier]["daily_quota"])


def hot_list_eligible(tier: str) -> bool:
    """Whether posts of an account in ``tier`` may enter the hot list."""
    return bool(tier_config()["tiers"][tier]["hot_list"])
