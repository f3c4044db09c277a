"""Names for the demo street: people's names drawn like south-west Shandong's, and Chinese numerals for grids.

`person_name` is shared by the street's staff and party secretaries (`demo.street`) and the families
(`demo.families`); each caller passes its own random stream.
"""

import itertools

_DIGITS = "零一二三四五六七八九"

# Common surnames of south-west Shandong with rough weights; 孔 and 孟 are frequent around Jining.
# 单 (shan/dan) and 曾 (zeng/ceng) are read two ways and must still be found by either reading.
SURNAMES = {
    "王": 9, "张": 8, "李": 8, "刘": 6, "孙": 4, "陈": 3, "杨": 3, "赵": 3, "徐": 2, "马": 2, "黄": 2,
    "高": 2, "孔": 1.5, "孟": 1, "魏": 1.5, "周": 1.5, "朱": 1.5, "郭": 1.5, "于": 1.5, "吴": 1, "董": 1,
    "姜": 1, "曹": 1, "田": 1, "胡": 1, "石": 1, "韩": 1, "宋": 1, "冯": 0.8, "单": 0.8, "曾": 0.8,
    "颜": 0.5, "路": 0.5, "鲁": 0.5, "邵": 0.5, "袁": 0.5, "贾": 0.6, "梁": 0.6, "程": 0.5, "苗": 0.4,
    "蔡": 0.5, "仲": 0.3, "季": 0.3, "褚": 0.3, "姚": 0.5, "穆": 0.3,
}  # fmt: skip

# Given names by generation (born before 1960, 1960–1989, from 1990) and gender: whole names and parts.
GIVEN_NAMES = {
    ("old", "male"): (
        "建国 建华 德福 德胜 福田 永泉 玉亭 长河 树林 宝山 振华 国庆 广田 守义 洪亮 金生 庆林 元吉 学文 茂林 "
        "兴旺 富贵 明德 文斌 传德 继承 延年 春生 殿臣 玉成 景山 万福 广礼 凤岐"
    ),
    ("old", "female"): (
        "秀英 桂兰 玉兰 淑珍 凤英 秀兰 桂英 玉珍 秀珍 兰英 翠花 素梅 桂芝 凤兰 淑英 玉梅 春兰 秀云 金凤 桂荣 "
        "玉芝 秀荣 爱莲 月英 素珍 桂香 凤琴"
    ),
    ("mid", "male"): (
        "伟 强 军 勇 磊 涛 斌 刚 海涛 建军 志强 永刚 立新 红军 卫东 国强 庆华 洪涛 海波 新华 成刚 宏伟 建伟 "
        "明亮 立军 振东 庆军 宪法 学军 文博 爱国 兆军"
    ),
    ("mid", "female"): (
        "丽 静 敏 燕 霞 红梅 丽娟 海燕 秀梅 艳 玲 丽华 红霞 晓燕 春燕 美玲 雪梅 慧 芳 娜 凤霞 红艳 晓丽 "
        "玉霞 艳红 丽萍 翠萍 秀芳"
    ),
    ("young", "male"): (
        "浩然 子轩 宇航 浩宇 俊杰 明轩 一鸣 天佑 博文 家豪 子豪 皓轩 宇轩 泽宇 睿 鑫 晨阳 嘉豪 思远 铭 凯 硕 "
        "浩 文轩 梓豪 佳乐 子墨 奕辰 沐宸"
    ),
    ("young", "female"): (
        "欣怡 梓涵 雨涵 诗涵 可馨 佳怡 子萱 梓萱 雨欣 若汐 一诺 思琪 语桐 欣然 梦瑶 佳琪 晨曦 婉清 静怡 紫涵 "
        "诗琪 雨彤 心怡 安琪 语汐"
    ),
}
GIVEN_NAMES = {key: tuple(value.split()) for key, value in GIVEN_NAMES.items()}
# 魏永凯 appears once, in his own home, so "wyk" finds him.
RESERVED_NAMES = {"魏永凯"}


def chinese_numeral(n):
    """1 → 一, 10 → 十, 21 → 二十一, 105 → 一百零五 (for n below 1000)."""
    if not 0 < n < 1000:
        raise ValueError(n)
    hundreds, rest = divmod(n, 100)
    tens, ones = divmod(rest, 10)
    text = ""
    if hundreds:
        text += _DIGITS[hundreds] + "百"
        if rest and tens == 0:
            text += "零"
    if tens:
        text += ("" if tens == 1 and not hundreds else _DIGITS[tens]) + "十"
    if ones:
        text += _DIGITS[ones]
    return text


def generation(birth_year):
    """The generation whose given names someone born in `birth_year` carries."""
    if birth_year < 1960:
        return "old"
    if birth_year < 1990:
        return "mid"
    return "young"


def given_name(rng, gender, birth_year):
    return rng.choice(GIVEN_NAMES[(generation(birth_year), gender)])


def surname(rng):
    return rng.choices(_SURNAME_LIST, cum_weights=_SURNAME_CUM_WEIGHTS)[0]


_SURNAME_LIST = tuple(SURNAMES)
_SURNAME_CUM_WEIGHTS = tuple(itertools.accumulate(SURNAMES.values()))


def person_name(rng, gender, birth_year, family_name=None):
    """A realistic name for someone of this gender born in this year; never a reserved name."""
    while True:
        name = (family_name or surname(rng)) + given_name(rng, gender, birth_year)
        if name not in RESERVED_NAMES:
            return name
