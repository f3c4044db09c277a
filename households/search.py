"""Search keys for the household search box.

Each household gets a handful of short keys (resident names, their full pinyin and initials, phones, the
last four digits of each phone, and its building-unit-room code). A query is matched as a key prefix, which
an ordinary B-tree index answers, so a search costs the same for 5,000 or 100,000 households.
"""

import functools
import re

from pypinyin import Style, lazy_pinyin, pinyin

MAX_KEY_LENGTH = 64
_NON_KEY = re.compile(r"[\s·•.\-_/]+")


def normalize_query(text):
    """Lower-case, strip spaces and separators except the dashes of a room code."""
    text = (text or "").strip().lower()
    if re.fullmatch(r"[\d\s\-]+", text):
        return re.sub(r"\s+", "", text)
    return _NON_KEY.sub("", text)


def name_readings(name):
    """Every (full pinyin, initials) pair a person might type for a Chinese name.

    The surname is read in all its readings (单 shan/dan/chan, 曾 zeng/ceng), the given name as usual.
    """
    name = name.strip()
    if not name:
        return set()
    surnames = pinyin(name[0], style=Style.NORMAL, heteronym=True)[0]
    given = lazy_pinyin(name[1:]) if len(name) > 1 else []
    readings = set()
    for surname in surnames:
        syllables = [surname, *given]
        readings.add(("".join(syllables), "".join(s[0] for s in syllables if s)))
    return readings


def keys_for(*, room_code, phones, names):
    keys = {room_code}
    for phone in phones:
        digits = re.sub(r"\D", "", phone or "")
        if digits:
            keys.update({digits, digits[-4:]})
    keys = {k.lower()[:MAX_KEY_LENGTH] for k in keys if k}
    for name in names:
        keys |= name_keys(name)
    return keys


@functools.lru_cache(maxsize=100_000)
def name_keys(name):
    """The keys a person's name adds: the name, the given name, every pinyin reading and its initials.

    Cached because names repeat a lot in a street and working out pinyin is the costly part of indexing.
    """
    name = name.strip()
    if not name:
        return frozenset()
    keys = {name, name[1:]}
    for full, initials in name_readings(name):
        keys.update({full, initials})
    return frozenset(k.lower()[:MAX_KEY_LENGTH] for k in keys if k)


def room_code(building_number, unit, room):
    return f"{building_number}-{unit}-{room}"
