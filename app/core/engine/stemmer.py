"""Whoosh's English Snowball stemmer, step for step, with its suffix searches as lookups.

``whoosh.lang.snowball.english.EnglishStemmer.stem`` tries each suffix of a step with
``str.endswith`` in turn (about 70 calls a word) and walks the word character by character
for its regions and its ``y`` marks: about 7 µs a word, and a small corpus meets tens of
thousands of distinct words, each stemmed once. Every step's suffixes are listed longest
first and a word ends with at most one suffix of each length, so the first one Whoosh finds
is the longest that matches: here it is found with one set lookup per suffix length. The
rest (the regions R1 and R2 kept as strings and cut along with the word, the special
cases) is Whoosh's code as it is, so the stems are the same (tests compare the two on the
seed corpus, a generated vocabulary and random words built from the suffixes).
"""

from __future__ import annotations

import re
from collections.abc import Callable

_VOWELS = "aeiouy"
_DOUBLE = ("bb", "dd", "ff", "gg", "mm", "nn", "pp", "rr", "tt")
_LI_ENDING = "cdeghkmnrt"
_STEP1A = ("sses", "ied", "ies", "us", "ss", "s")
_STEP1B = ("eedly", "ingly", "edly", "eed", "ing", "ed")
_STEP2 = ("ization", "ational", "fulness", "ousness", "iveness", "tional", "biliti", "lessli",
          "entli", "ation", "alism", "aliti", "ousli", "iviti", "fulli", "enci", "anci", "abli",
          "izer", "ator", "alli", "bli", "ogi", "li")
_STEP3 = ("ational", "tional", "alize", "icate", "iciti", "ative", "ical", "ness", "ful")
_STEP4 = ("ement", "ance", "ence", "able", "ible", "ment", "ant", "ent", "ism", "ate", "iti",
          "ous", "ive", "ize", "ion", "al", "er", "ic")
_SPECIAL = {
    "skis": "ski", "skies": "sky", "dying": "die", "lying": "lie", "tying": "tie", "idly": "idl",
    "gently": "gentl", "ugly": "ugli", "early": "earli", "only": "onli", "singly": "singl",
    "sky": "sky", "news": "news", "howe": "howe", "atlas": "atlas", "cosmos": "cosmos",
    "bias": "bias", "andes": "andes", "inning": "inning", "innings": "inning", "outing": "outing",
    "outings": "outing", "canning": "canning", "cannings": "canning", "herring": "herring",
    "herrings": "herring", "earring": "earring", "earrings": "earring", "proceed": "proceed",
    "proceeds": "proceed", "proceeded": "proceed", "proceeding": "proceed", "exceed": "exceed",
    "exceeds": "exceed", "exceeded": "exceed", "exceeding": "exceed", "succeed": "succeed",
    "succeeds": "succeed", "succeeded": "succeed", "succeeding": "succeed",
}
_REGION = re.compile(r"[aeiouy][^aeiouy]")
_VOWEL = re.compile(r"[aeiouy]")
_MARK_Y = re.compile(r"([aeiouy])y")


def _finder(suffixes: tuple[str, ...]) -> Callable[[str], str]:
    """``word -> the first of suffixes that word ends with, or ""`` (they are longest first)."""
    assert list(suffixes) == sorted(suffixes, key=len, reverse=True)
    # Candidates by the word's last two letters, longest first; one-letter suffixes apart.
    by_tail: dict[str, tuple[str, ...]] = {}
    for s in suffixes:
        if len(s) >= 2:
            by_tail[s[-2:]] = (*by_tail.get(s[-2:], ()), s)
    single = tuple(s for s in suffixes if len(s) == 1)
    get = by_tail.get

    def find(word: str) -> str:
        for s in get(word[-2:], ()):
            if word.endswith(s):
                return s
        for s in single:
            if word.endswith(s):
                return s
        return ""

    return find


_find1a, _find1b = _finder(_STEP1A), _finder(_STEP1B)
_find2, _find3, _find4 = _finder(_STEP2), _finder(_STEP3), _finder(_STEP4)
# Each step's suffixes' last letters: a word ending otherwise has none of them (a set lookup
# instead of a search).
_END1A, _END1B, _END2, _END3, _END4 = (frozenset(s[-1] for s in step)
                                      for step in (_STEP1A, _STEP1B, _STEP2, _STEP3, _STEP4))

# The last letters of every suffix a step removes or rewrites, and those of the words steps
# 0, 1c and 5 change (an apostrophe, y, e, l). Every step tests the end of the word, and a
# word that no step changed ends as it began: a word ending otherwise ("data", "work",
# "help") comes out as it went in, its y marks undone. Special words all end in one of them.
_CHANGEABLE_END = frozenset(s[-1] for s in (*_STEP1A, *_STEP1B, *_STEP2, *_STEP3, *_STEP4)) | set("'yel")
assert all(w[-1] in _CHANGEABLE_END for w in _SPECIAL)


def _regions(word: str) -> tuple[str, str]:
    """``_StandardStemmer._r1r2_standard(word, "aeiouy")``."""
    m = _REGION.search(word)
    if m is None:
        return "", ""
    r1 = word[m.end():]
    m = _REGION.search(r1)
    return r1, (r1[m.end():] if m else "")


def stem(word: str) -> str:
    """The stem Whoosh's ``EnglishStemmer().stem`` gives ``word``."""
    word = word.lower()
    if word[-1:] not in _CHANGEABLE_END and word.isascii() and "'" not in word:
        return word  # no step applies (see _CHANGEABLE_END)
    special = _SPECIAL.get(word)
    if special is not None:
        return special
    apostrophe = "'" in word
    if not word.isascii() and ("\u2019" in word or "\u2018" in word or "\u201b" in word):
        word = word.replace("\u2019", "'").replace("\u2018", "'").replace("\u201b", "'")
        apostrophe = True
    if apostrophe and word.startswith("'"):
        word = word[1:]
    if word.startswith("y"):
        word = "Y" + word[1:]
    if "y" in word:
        # Whoosh marks each y after a vowel, left to right; a marked Y is no vowel, so the
        # matches do not overlap.
        word = _MARK_Y.sub(r"\1Y", word)

    r1 = r2 = ""
    if word.startswith(("gener", "commun", "arsen")):
        r1 = word[5:] if word.startswith(("gener", "arsen")) else word[6:]
        m = _REGION.search(r1)
        if m is not None:
            r2 = r1[m.end():]
    else:
        r1, r2 = _regions(word)

    # STEP 0
    if apostrophe:
        for suffix in ("'s'", "'s", "'"):
            if word.endswith(suffix):
                n = len(suffix)
                word, r1, r2 = word[:-n], r1[:-n], r2[:-n]
                break

    # STEP 1a
    suffix = _find1a(word) if word[-1:] in _END1A else ""
    if suffix == "sses":
        word, r1, r2 = word[:-2], r1[:-2], r2[:-2]
    elif suffix in ("ied", "ies"):
        if len(word[:-len(suffix)]) > 1:
            word, r1, r2 = word[:-2], r1[:-2], r2[:-2]
        else:
            word, r1, r2 = word[:-1], r1[:-1], r2[:-1]
    elif suffix == "s" and _VOWEL.search(word, 0, len(word) - 2):
        word, r1, r2 = word[:-1], r1[:-1], r2[:-1]

    # STEP 1b
    suffix = _find1b(word) if word[-1:] in _END1B else ""
    if suffix:
        n = len(suffix)
        if suffix in ("eed", "eedly"):
            if r1.endswith(suffix):
                word = word[:-n] + "ee"
                r1 = r1[:-n] + "ee" if len(r1) >= n else ""
                r2 = r2[:-n] + "ee" if len(r2) >= n else ""
        elif _VOWEL.search(word, 0, len(word) - n):
            word, r1, r2 = word[:-n], r1[:-n], r2[:-n]
            if word.endswith(("at", "bl", "iz")):
                word += "e"
                r1 += "e"
                if len(word) > 5 or len(r1) >= 3:
                    r2 += "e"
            elif word.endswith(_DOUBLE):
                word, r1, r2 = word[:-1], r1[:-1], r2[:-1]
            elif (
                r1 == ""
                and len(word) >= 3
                and word[-1] not in _VOWELS
                and word[-1] not in "wxY"
                and word[-2] in _VOWELS
                and word[-3] not in _VOWELS
            ) or (
                r1 == ""
                and len(word) == 2
                and word[0] in _VOWELS
                and word[1] not in _VOWELS
            ):
                word += "e"
                if len(r1) > 0:
                    r1 += "e"
                if len(r2) > 0:
                    r2 += "e"

    # STEP 1c
    if len(word) > 2 and word[-1] in "yY" and word[-2] not in _VOWELS:
        word = word[:-1] + "i"
        r1 = r1[:-1] + "i" if len(r1) >= 1 else ""
        r2 = r2[:-1] + "i" if len(r2) >= 1 else ""

    # STEP 2
    suffix = _find2(word) if word[-1:] in _END2 else ""
    if suffix and r1.endswith(suffix):
        n = len(suffix)
        if suffix == "tional":
            word, r1, r2 = word[:-2], r1[:-2], r2[:-2]
        elif suffix in ("enci", "anci", "abli"):
            word = word[:-1] + "e"
            r1 = r1[:-1] + "e" if len(r1) >= 1 else ""
            r2 = r2[:-1] + "e" if len(r2) >= 1 else ""
        elif suffix == "entli":
            word, r1, r2 = word[:-2], r1[:-2], r2[:-2]
        elif suffix in ("izer", "ization"):
            word = word[:-n] + "ize"
            r1 = r1[:-n] + "ize" if len(r1) >= n else ""
            r2 = r2[:-n] + "ize" if len(r2) >= n else ""
        elif suffix in ("ational", "ation", "ator"):
            word = word[:-n] + "ate"
            r1 = r1[:-n] + "ate" if len(r1) >= n else ""
            r2 = r2[:-n] + "ate" if len(r2) >= n else "e"
        elif suffix in ("alism", "aliti", "alli"):
            word = word[:-n] + "al"
            r1 = r1[:-n] + "al" if len(r1) >= n else ""
            r2 = r2[:-n] + "al" if len(r2) >= n else ""
        elif suffix == "fulness":
            word, r1, r2 = word[:-4], r1[:-4], r2[:-4]
        elif suffix in ("ousli", "ousness"):
            word = word[:-n] + "ous"
            r1 = r1[:-n] + "ous" if len(r1) >= n else ""
            r2 = r2[:-n] + "ous" if len(r2) >= n else ""
        elif suffix in ("iveness", "iviti"):
            word = word[:-n] + "ive"
            r1 = r1[:-n] + "ive" if len(r1) >= n else ""
            r2 = r2[:-n] + "ive" if len(r2) >= n else "e"
        elif suffix in ("biliti", "bli"):
            word = word[:-n] + "ble"
            r1 = r1[:-n] + "ble" if len(r1) >= n else ""
            r2 = r2[:-n] + "ble" if len(r2) >= n else ""
        elif suffix == "ogi" and word[-4] == "l":
            word, r1, r2 = word[:-1], r1[:-1], r2[:-1]
        elif suffix in ("fulli", "lessli") or (suffix == "li" and word[-3] in _LI_ENDING):
            word, r1, r2 = word[:-2], r1[:-2], r2[:-2]

    # STEP 3
    suffix = _find3(word) if word[-1:] in _END3 else ""
    if suffix and r1.endswith(suffix):
        n = len(suffix)
        if suffix == "tional":
            word, r1, r2 = word[:-2], r1[:-2], r2[:-2]
        elif suffix == "ational":
            word = word[:-n] + "ate"
            r1 = r1[:-n] + "ate" if len(r1) >= n else ""
            r2 = r2[:-n] + "ate" if len(r2) >= n else ""
        elif suffix == "alize":
            word, r1, r2 = word[:-3], r1[:-3], r2[:-3]
        elif suffix in ("icate", "iciti", "ical"):
            word = word[:-n] + "ic"
            r1 = r1[:-n] + "ic" if len(r1) >= n else ""
            r2 = r2[:-n] + "ic" if len(r2) >= n else ""
        elif suffix in ("ful", "ness"):
            word, r1, r2 = word[:-n], r1[:-n], r2[:-n]
        elif suffix == "ative" and r2.endswith(suffix):
            word, r1, r2 = word[:-5], r1[:-5], r2[:-5]

    # STEP 4
    suffix = _find4(word) if word[-1:] in _END4 else ""
    if suffix and r2.endswith(suffix):
        n = len(suffix)
        if suffix == "ion":
            if word[-4] in "st":
                word, r1, r2 = word[:-3], r1[:-3], r2[:-3]
        else:
            word, r1, r2 = word[:-n], r1[:-n], r2[:-n]

    # STEP 5
    if (r2.endswith("l") and word[-2] == "l") or r2.endswith("e") or (
        r1.endswith("e") and len(word) >= 4
        and (word[-2] in _VOWELS or word[-2] in "wxY" or word[-3] not in _VOWELS or word[-4] in _VOWELS)
    ):
        word = word[:-1]

    return word.replace("Y", "y")
