"""Time zone names as people and browsers say them: UTC's many aliases are just ``UTC``.

Kept free of heavy imports: the command-line client uses it too."""

from __future__ import annotations

UTC_ALIASES = frozenset({"UTC", "Etc/UTC", "Etc/UCT", "UCT", "Etc/Universal", "Universal", "Etc/Zulu", "Zulu", "GMT",
                         "Etc/GMT", "Etc/GMT0", "Etc/GMT+0", "Etc/GMT-0", "GMT0", "GMT+0", "GMT-0", "Greenwich",
                         "Etc/Greenwich"})


def canonical_zone(name: str) -> str:
    """``Etc/UTC`` (what a Linux machine reports), ``Zulu``… → ``UTC``; any other name as it is."""
    return "UTC" if name in UTC_ALIASES else name
