"""Make AND bind tighter than OR in CQL2 text before pygeofilter reads it.

CQL2 gives AND precedence over OR, as SQL does: ``a = 1 OR b = 2 AND c = 3`` means
``a = 1 OR (b = 2 AND c = 3)``.  pygeofilter 0.4 reads the two left to right
with equal precedence, ``(a = 1 OR b = 2) AND c = 3``, and a filter silently
returns other rows than asked.  Its tree cannot be repaired afterwards (explicit
parentheses give the same tree), so the text is: wherever one parenthesis level
mixes AND and OR, each operand of OR is put in parentheses.  Quoted strings and
identifiers are skipped, and the AND of ``BETWEEN x AND y`` is not a conjunction.
"""

from __future__ import annotations

import re

_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_:.]*")


class _Level:
    """One parenthesis level: where its text starts and its OR / AND keywords."""

    def __init__(self, start: int):
        self.start = start
        self.ors: list[tuple[int, int]] = []
        self.has_and = False
        self.pending_between = 0


def bracket_and_before_or(text: str) -> str:
    """Return `text` with OR operands parenthesised where AND and OR share a level."""
    inserts: list[tuple[int, str]] = []
    levels = [_Level(0)]
    i = 0
    while i < len(text):
        char = text[i]
        if char in "'\"":
            i = _after_quoted(text, i)
            continue
        if char == "(":
            levels.append(_Level(i + 1))
        elif char == ")" and len(levels) > 1:
            _close(levels.pop(), i, inserts)
        elif char.isalpha() or char == "_":
            word = _WORD.match(text, i)
            _keyword(levels[-1], word.group().upper(), word.start(), word.end())
            i = word.end()
            continue
        i += 1
    while levels:   # unbalanced text: the parser will say so; close what is open
        _close(levels.pop(), len(text), inserts)
    for position, mark in sorted(inserts, key=lambda item: item[0], reverse=True):
        text = text[:position] + mark + text[position:]
    return text


def _keyword(level: _Level, word: str, start: int, end: int) -> None:
    if word == "BETWEEN":
        level.pending_between += 1
    elif word == "AND":
        if level.pending_between:
            level.pending_between -= 1   # BETWEEN low AND high
        else:
            level.has_and = True
    elif word == "OR":
        level.ors.append((start, end))


def _close(level: _Level, end: int, inserts: list[tuple[int, str]]) -> None:
    """Parenthesise each OR operand of a level that also holds AND."""
    if not (level.has_and and level.ors):
        return
    starts = [level.start] + [or_end for _, or_end in level.ors]
    ends = [or_start for or_start, _ in level.ors] + [end]
    for start, stop in zip(starts, ends, strict=True):
        # ")" goes in before "(" at the same position when applied right to left.
        inserts.append((stop, ")"))
        inserts.append((start, "("))


def _after_quoted(text: str, i: int) -> int:
    """Return the index after the quoted string or identifier starting at i ('' escapes ')."""
    quote = text[i]
    i += 1
    while i < len(text):
        if text[i] == quote:
            if i + 1 < len(text) and text[i + 1] == quote:
                i += 2
                continue
            return i + 1
        i += 1
    return i
