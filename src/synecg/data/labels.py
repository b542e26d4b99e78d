"""Rhythm labels: PTB-XL SCP rhythm statements and Chapman SNOMED-CT codes -> the seven classes.

A record may carry several rhythm statements. ``resolve_rhythm`` applies the configured rule
(``prepare.multi_rhythm``): a priority list of classes keeps the first listed class present
(statements outside the seven classes are then ignored); ``drop`` excludes such records. The
default, ``RAREST_FIRST``, lists the rare classes first, so that a record of AFLT or SVTAC that
also carries a common statement (AFIB, SR, STACH) stays in its rare class: dropping them removes
the classes the study is about (on the real subset, AFLT 7 -> 4 and SVTAC 1 -> 0 in PTB-XL,
SARRH 3 -> 0 in Chapman; docs/data.md). Both rules are deterministic, unlike the original code's
``list(set(codes))[0]``.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass

from synecg.constants import CLASSES

# The default multi-rhythm rule: rarest first, by the PTB-XL v1.0.3 rhythm counts (SVTAC 27, AFLT 73)
# and then SARRH before SBRAD (in Chapman sinus arrhythmia is the rarer of the two, and it often
# co-occurs with bradycardia); the common rhythms last, SR (the least specific) at the very end.
RAREST_FIRST: tuple[str, ...] = ("SVTAC", "AFLT", "SARRH", "SBRAD", "STACH", "AFIB", "SR")

# PTB-XL uses the class names themselves as SCP codes.
PTBXL_CODE_TO_CLASS: dict[str, str] = {c: c for c in CLASSES}

# Chapman / Ningbo (ConditionNames_SNOMED-CT.csv). The PhysioNet table calls sinus irregularity
# "SA" (the authors' code expected "SI", which would leave SARRH empty); both are accepted.
CHAPMAN_ACRONYM_TO_CLASS: dict[str, str] = {
    "SB": "SBRAD",
    "SR": "SR",
    "AFIB": "AFIB",
    "ST": "STACH",
    "AF": "AFLT",  # atrial flutter (AFIB is fibrillation)
    "SA": "SARRH",
    "SI": "SARRH",
    "SVT": "SVTAC",
}
# Rhythm conditions of the Chapman table (the RhythmNames table of the original release).
CHAPMAN_RHYTHM_ACRONYMS: frozenset[str] = frozenset(
    {"SB", "SR", "AFIB", "ST", "AF", "SA", "SI", "SVT", "AT", "AVNRT", "AVRT", "SAAWR"}
)
CLASS_TO_SNOMED: dict[str, str] = {
    "SBRAD": "426177001",
    "SR": "426783006",
    "AFIB": "164889003",
    "STACH": "427084000",
    "AFLT": "164890007",
    "SARRH": "427393009",
    "SVTAC": "426761007",
}
# The authors' replacements of codes missing from the condition table by listed equivalents
# (LVH, LBBB, ventricular escape beat). None touches a rhythm code; they only keep those codes
# from counting as unknown.
SNOMED_REPLACEMENTS: dict[str, str] = {
    "55827005": "164873001",
    "445118002": "164909002",
    "81898007": "75532003",
}


@dataclass(frozen=True)
class Decision:
    """A label decision: a class (kept), or none with the reason the record is excluded."""

    label: str
    reason: str

    @property
    def ok(self) -> bool:
        return bool(self.label)


def resolve_rhythm(rhythms: list[str], classes_of: dict[str, str], multi_rhythm: str | list[str]) -> Decision:
    """One class from a record's rhythm statements (their dataset names, e.g. SCP codes or
    Chapman acronyms), following the multi-rhythm rule."""
    rhythms = sorted(set(rhythms))
    if not rhythms:
        return Decision("", "no rhythm statement")
    mapped = sorted({classes_of[r] for r in rhythms if r in classes_of})
    others = [r for r in rhythms if r not in classes_of]
    if len(mapped) == 1 and not others:  # one class, possibly under two names (SA and SI)
        return Decision(mapped[0], "")
    if not mapped:
        return Decision("", f"rhythm {', '.join(others)} is not one of the seven classes")
    listed = ", ".join(rhythms)
    if multi_rhythm == "drop":
        return Decision("", f"several rhythm statements ({listed}); prepare.multi_rhythm is drop")
    for cls in multi_rhythm:
        if cls in mapped:
            return Decision(cls, "")
    return Decision("", f"rhythm statements ({listed}) hold no class of prepare.multi_rhythm")


_SCP_ITEM = re.compile(r"'([^'\\]*)'\s*:\s*([-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)")


def parse_scp_codes(text: str) -> dict[str, float]:
    """PTB-XL ``scp_codes`` (a Python dict literal) -> {code: likelihood}; ValueError if malformed.

    A regular expression reads the usual ``{'CODE': 100.0, ...}``; anything it cannot account
    for entirely goes through ``ast.literal_eval``."""
    text = text.strip() if isinstance(text, str) else ""
    if not text:
        return {}
    items = _SCP_ITEM.findall(text)
    if text[0] == "{" and text[-1] == "}" and text.count(":") == len(items) and text.count(",") == max(len(items) - 1, 0):
        return {code: float(value) for code, value in items}
    value = ast.literal_eval(text)
    if not isinstance(value, dict):
        raise ValueError(f"scp_codes {text!r} is not a dict")
    return {str(k): float(v) for k, v in value.items()}


def parse_dx(text: str | None) -> list[str]:
    """Chapman ``#Dx`` value -> list of SNOMED codes (empty entries such as ``a,,b`` dropped)."""
    if not text:
        return []
    return [c.strip() for c in text.split(",") if c.strip()]
