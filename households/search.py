"""Search keys for the household search box, and how a query is read.

Keys. Each household gets a handful of short keys, each a row of `SearchKey` behind one B-tree index:

- its own: the building-unit-room code (3-2-501) and the household phone, its last four digits too;
- each resident's (the row names the resident, so a result can show who matched): the name and the given name
  (魏永凯, 永凯), the phone and its last four digits, and the pinyin of the name in every reading of the surname
  (单 shan/dan/chan, 曾 zeng/ceng), where each syllable but the last is written in full or as its initial:
  tianguorong, tiangrong, tguorong, tgrong for 田国荣. Any prefix of these is a match, so "tgr" (initials),
  "tiang", "tiangr" (full surname, then initials) and "tianguor" all find 田国荣 by one index range scan.
  Names of more than `MIXED_SYLLABLES` syllables get only the full pinyin and the initials.

Queries (`query_words`):

1. At most `MAX_QUERY_LENGTH` characters are read, lower-cased, split on spaces.
2. Neighbouring words of Latin letters only are joined: "shan xiong xin" is "shanxiongxin", "Wei Yong Kai" is
   "weiyongkai" (people split pinyin by syllable; a household search by two people's initials is rare).
3. Separators are dropped from a word, except the dashes of a room code ("3-2", "3-2-501").
4. At most `MAX_QUERY_WORDS` words are kept.

A household is found when every word is a prefix of one of its keys (AND across words, each word may match a
different key of the same household): "王 3-2" is a household of building 3, unit 2 with a resident whose name
starts with 王. The residents whose keys a word matched are the ones a result shows. A search costs one index
range scan per word, the same for 5,000 or 100,000 households.
"""

import functools
import itertools
import re

from pypinyin import Style, lazy_pinyin, pinyin

MAX_KEY_LENGTH = 64
MAX_QUERY_LENGTH = 50
MAX_QUERY_WORDS = 5
# Names up to this many syllables get every full/initial mix (2^(n-1) keys per reading); longer names are rare.
MIXED_SYLLABLES = 4
_NON_KEY = re.compile(r"[\s·•.\-_/]+")
_LATIN_WORD = re.compile(r"[a-z]+")


def normalize_query(text):
    """Lower-case, strip spaces and separators except the dashes of a room code."""
    text = (text or "").strip().lower()
    if re.fullmatch(r"[\d\s\-]+", text):
        return re.sub(r"\s+", "", text)
    return _NON_KEY.sub("", text)


def query_words(text):
    """The words of a search query, read by the rules in this module's docstring."""
    words = (text or "")[:MAX_QUERY_LENGTH].lower().split()
    joined = []
    for is_latin, group in itertools.groupby(words, key=lambda w: bool(_LATIN_WORD.fullmatch(w))):
        group = list(group)
        joined.extend(["".join(group)] if is_latin else group)
    normalized = (normalize_query(word) for word in joined)
    return [word for word in normalized if word][:MAX_QUERY_WORDS]


def _syllable_readings(name):
    """The pinyin syllables of a name, one list per reading of its surname."""
    surnames = pinyin(name[0], style=Style.NORMAL, heteronym=True)[0]
    given = lazy_pinyin(name[1:]) if len(name) > 1 else []
    readings = []
    for surname in surnames:
        syllables = [_NON_KEY.sub("", s).lower() for s in (surname, *given)]
        readings.append([s for s in syllables if s])
    return readings


def name_readings(name):
    """Every (full pinyin, initials) pair a person might type for a Chinese name.

    The surname is read in all its readings (单 shan/dan/chan, 曾 zeng/ceng), the given name as usual.
    """
    name = name.strip()
    if not name:
        return set()
    return {("".join(s), "".join(x[0] for x in s)) for s in _syllable_readings(name)}


def _pinyin_forms(syllables):
    """The full pinyin, and each syllable but the last in full or as its initial (see the module docstring)."""
    if not syllables:
        return set()
    if len(syllables) > MIXED_SYLLABLES:
        return {"".join(syllables), "".join(s[0] for s in syllables)}
    *head, last = syllables
    choices = [(s, s[0]) for s in head]
    return {"".join(mix) + last for mix in itertools.product(*choices)}


@functools.lru_cache(maxsize=100_000)
def name_keys(name):
    """The keys a person's name adds: the name, the given name, every pinyin form of every reading.

    Cached because names repeat a lot in a street and working out pinyin is the costly part of indexing.
    """
    name = name.strip()
    if not name:
        return frozenset()
    keys = {name, name[1:]}
    for syllables in _syllable_readings(name):
        keys |= _pinyin_forms(syllables)
    return frozenset(k.lower()[:MAX_KEY_LENGTH] for k in keys if k)


def phone_keys(phone):
    digits = re.sub(r"\D", "", phone or "")
    return {digits, digits[-4:]} if digits else set()


def keys_for(*, room_code, phone, residents):
    """The (resident id or None, key) pairs of one household.

    `residents` are (id, name, phone) triples; the household's own keys (room code, household phone) carry None.
    """
    own = {room_code.lower()[:MAX_KEY_LENGTH], *phone_keys(phone)}
    pairs = {(None, key) for key in own if key}
    for resident_id, name, resident_phone in residents:
        keys = name_keys(name) | {k[:MAX_KEY_LENGTH] for k in phone_keys(resident_phone)}
        pairs.update((resident_id, key) for key in keys)
    return pairs


def room_code(building_number, unit, room):
    return f"{building_number}-{unit}-{room}"
