"""The analyst-editable rules behind critical deltas: word lists per language, loaded from JSON.

The shipped rules are ``resources/deltas/<language>.json`` (beside the package in a source tree
or an editable install, under ``resources/`` in a PyInstaller bundle). A file of the same name
in the user's config folder (``parallax/deltas/`` there) is merged over the shipped one, so an
analyst can add verbs, hedges or names without touching the program; a file there for another
language is loaded too. Every language's words are used together, since a corpus mixes them.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, Generic, TypeVar

import platformdirs

from app.core.storage.paths import APP_NAME, SOURCE_ROOT

V = TypeVar("V")

SHIPPED_LANGUAGES = ("en", "ru")
# Lists merged over each other; mappings are updated key by key.
_LIST_KEYS = ("negators", "hedges", "relative_dates", "time_suffixes", "not_names", "titles",
              "known_names", "abbreviations")
_MAP_KEYS = ("attribution", "numbers", "number_lead", "scales", "vague_quantities", "units",
             "months", "weekdays")


def shipped_dir() -> Path:
    """The folder of the shipped rule files."""
    frozen = getattr(sys, "_MEIPASS", None)
    if frozen and (Path(frozen) / "resources" / "deltas").is_dir():
        return Path(frozen) / "resources" / "deltas"
    return SOURCE_ROOT / "resources" / "deltas"


def user_dir() -> Path:
    """The folder of the analyst's own rule files (``PARALLAX_DELTAS_DIR`` overrides it)."""
    override = os.environ.get("PARALLAX_DELTAS_DIR")
    if override:
        return Path(override)
    return Path(platformdirs.user_config_dir(APP_NAME, appauthor=False)) / "deltas"


def _word_match(pattern: str, word: str) -> bool:
    """``word`` against one pattern word: ``stem*`` matches any ending, ``*end`` any beginning."""
    if pattern.endswith("*") and len(pattern) > 1:
        return word.startswith(pattern[:-1])
    if pattern.startswith("*") and len(pattern) > 1:
        return word.endswith(pattern[1:])
    return word == pattern


class PhraseTable(Generic[V]):
    """Words and phrases (space-separated, ``*`` wildcards) mapped to values; longest match wins.

    Phrases are indexed by their first word: exactly, or by the fixed part of a ``stem*`` or
    ``*end`` pattern (one dictionary per length of that part), so a lookup costs a few
    dictionary probes whatever the size of the lists.
    """

    __slots__ = ("_exact", "_prefix", "_suffix", "_memo")

    def __init__(self, entries: Mapping[str, V]) -> None:
        self._exact: dict[str, list[tuple[tuple[str, ...], V]]] = {}
        self._prefix: dict[int, dict[str, list[tuple[tuple[str, ...], V]]]] = {}
        self._suffix: dict[int, dict[str, list[tuple[tuple[str, ...], V]]]] = {}
        self._memo: dict[str, list[tuple[tuple[str, ...], V]]] = {}
        for key, value in entries.items():
            words = tuple(key.casefold().replace("\u2019", "'").split())
            if not words:
                continue
            first = words[0]
            if first.endswith("*") and len(first) > 1:
                self._prefix.setdefault(len(first) - 1, {}).setdefault(first[:-1], []).append((words, value))
            elif first.startswith("*") and len(first) > 1:
                self._suffix.setdefault(len(first) - 1, {}).setdefault(first[1:], []).append((words, value))
            else:
                self._exact.setdefault(first, []).append((words, value))

    def _candidates(self, word: str) -> list[tuple[tuple[str, ...], V]]:
        known = self._memo.get(word)
        if known is not None:
            return known
        out = list(self._exact.get(word, ()))
        for n, table in self._prefix.items():
            out += table.get(word[:n], ()) if len(word) >= n else ()
        for n, table in self._suffix.items():
            out += table.get(word[-n:], ()) if len(word) >= n else ()
        if len(self._memo) > 100_000:  # words seen are remembered, within bounds
            self._memo.clear()
        self._memo[word] = out
        return out

    def match(self, words: Sequence[str], i: int) -> tuple[int, V] | None:
        """The longest entry starting at ``words[i]``: (number of words, value), or None."""
        best: tuple[int, V] | None = None
        for phrase, value in self._candidates(words[i]):
            if (best is None or len(phrase) > best[0]) and self._fits(phrase, words, i):
                best = (len(phrase), value)
        return best

    @staticmethod
    def _fits(phrase: tuple[str, ...], words: Sequence[str], i: int) -> bool:
        if i + len(phrase) > len(words):
            return False
        return all(_word_match(p, words[i + k]) for k, p in enumerate(phrase))


@dataclass(frozen=True)
class Rules:
    """Every language's rules merged, ready for matching.

    Attributes:
        attribution: Reporting verbs and phrases to their class (``neutral``, ``claim``,
            ``admit``, ``insist``, ``deny``, ``hearsay``...); a change of class is a delta.
        negators, hedges: Words whose count flips polarity or certainty.
        numbers: Written-out numbers; ``number_lead`` words (``a``, ``one``) count only before a
            scale (``a million``); ``scales`` multiply; ``vague_quantities`` are compared by name.
        units: Percent signs, currencies and measures, to a unit code.
        months, weekdays: Names to their number; ``relative_dates`` are phrases compared as such.
        not_names: Capitalised words that do not start a name; ``titles`` are dropped from
            names; ``known_names`` count even at the start of a sentence.
        abbreviations: Words whose full stop does not end a sentence.
        problems: One line per rule file that could not be read (it was skipped).
    """

    attribution: PhraseTable[str]
    negators: PhraseTable[bool]
    hedges: PhraseTable[bool]
    numbers: PhraseTable[float]
    number_lead: PhraseTable[float]
    scales: PhraseTable[float]
    vague: PhraseTable[str]
    units: PhraseTable[str]
    months: PhraseTable[int]
    weekdays: PhraseTable[int]
    relative: PhraseTable[str]
    time_suffixes: frozenset[str]
    not_names: frozenset[str]
    titles: frozenset[str]
    known_names: frozenset[str]
    abbreviations: frozenset[str]
    problems: tuple[str, ...] = field(default=())

    @classmethod
    def from_dicts(cls, dicts: Iterable[Mapping[str, Any]], problems: Sequence[str] = ()) -> Rules:
        """Merge rule dictionaries (later ones extend earlier ones) into one rule set."""
        lists: dict[str, list[str]] = {k: [] for k in _LIST_KEYS}
        maps: dict[str, dict[str, Any]] = {k: {} for k in _MAP_KEYS}
        for d in dicts:
            for k in _LIST_KEYS:
                lists[k].extend(str(w) for w in d.get(k, ()) or ())
            for k in _MAP_KEYS:
                maps[k].update({str(w): v for w, v in (d.get(k) or {}).items()})

        def words(key: str) -> frozenset[str]:
            return frozenset(w.casefold().replace("\u2019", "'") for w in lists[key])

        def flags(key: str) -> PhraseTable[bool]:
            return PhraseTable(dict.fromkeys(lists[key], True))

        return cls(
            attribution=PhraseTable({k: str(v) for k, v in maps["attribution"].items()}),
            negators=flags("negators"),
            hedges=flags("hedges"),
            numbers=PhraseTable({k: v for k, v in maps["numbers"].items() if isinstance(v, int | float)}),
            number_lead=PhraseTable({k: float(v) for k, v in maps["number_lead"].items()}),
            scales=PhraseTable({k: float(v) for k, v in maps["scales"].items()}),
            vague=PhraseTable({k: str(v) for k, v in maps["vague_quantities"].items()}),
            units=PhraseTable({k: str(v) for k, v in maps["units"].items()}),
            months=PhraseTable({k: int(v) for k, v in maps["months"].items()}),
            weekdays=PhraseTable({k: int(v) for k, v in maps["weekdays"].items()}),
            relative=PhraseTable({k: " ".join(k.casefold().split()) for k in lists["relative_dates"]}),
            time_suffixes=words("time_suffixes"),
            not_names=words("not_names"),
            titles=words("titles"),
            known_names=words("known_names"),
            abbreviations=words("abbreviations"),
            problems=tuple(problems),
        )


def _read(path: Path, problems: list[str]) -> dict[str, Any] | None:
    try:
        data = json.loads(path.read_text("utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else type(exc).__name__
        problems.append(f"rule file skipped: {path}: {reason}")
        return None
    if not isinstance(data, dict):
        problems.append(f"rule file skipped: {path}: not a JSON object")
        return None
    return data


def load_rules(shipped: Path | None = None, user: Path | None = None) -> Rules:
    """The shipped rules of every language, with the analyst's files merged over them."""
    problems: list[str] = []
    dicts: list[dict[str, Any]] = []
    shipped = shipped or shipped_dir()
    names = [f"{lang}.json" for lang in SHIPPED_LANGUAGES]
    user = user if user is not None else user_dir()
    try:
        extra = sorted(p.name for p in user.glob("*.json") if p.name not in names) if user.is_dir() else []
    except OSError:
        extra = []
    for name in names + extra:
        for folder in (shipped, user):
            path = folder / name
            if path.is_file():
                data = _read(path, problems)
                if data is not None:
                    dicts.append(data)
    if not any((shipped / n).is_file() for n in names):
        problems.append(f"no shipped rule files in {shipped}")
    return Rules.from_dicts(dicts, problems)


@lru_cache(maxsize=1)
def default_rules() -> Rules:
    """The rules used when none are given (read once per process)."""
    return load_rules()
