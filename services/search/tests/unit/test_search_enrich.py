import re

import pytest
from search import enrich


def test_normalize_folds_width_and_traditional_but_keeps_case():
    assert enrich.normalize(" Ａ科技\u3000華為技術 Acme\n") == "A科技 华为技术 Acme"


def test_pinyin_and_initials_are_syllable_suffixes_of_the_stripped_name():
    full, initials, starts = enrich.pinyin_terms(["A科技有限公司"])
    assert full == ["akeji", "keji", "ji"]
    assert initials == ["akj", "kj", "j"]
    assert starts == ["akeji", "akj"]


def test_pinyin_folds_traditional_and_full_width_first():
    assert enrich.pinyin_terms(["Ａ科技有限公司"]) == enrich.pinyin_terms(["A科技有限公司"])
    full, _, _ = enrich.pinyin_terms(["華為技術有限公司"])
    assert full[0] == "huaweijishu"


def test_latin_names_get_no_pinyin():
    assert enrich.pinyin_terms(["Acme Trading Co., Ltd."]) == ([], [], [])


def test_keyword_arrays_are_bounded():
    full, initials, _ = enrich.pinyin_terms(["中" * 500])
    assert len(full) <= enrich.MAX_UNITS and len(initials) <= enrich.MAX_UNITS
    assert len(enrich.phone_suffixes(["1" * 10 + str(i) for i in range(100)])) <= enrich.MAX_TERMS * 2


def test_name_keys_and_prefixes():
    assert enrich.name_keys(["Ａ科技有限公司"]) == ["a科技"]
    assert enrich.name_keys(["Acme Trading Co., Ltd."]) == ["acmetrading"]
    assert enrich.name_prefix_terms(["Acme Trading Co., Ltd."]) == ["acmetradingcoltd", "acmetrading"]


def test_phone_suffixes_from_four_digits_up():
    suffixes = enrich.phone_suffixes(["+86 138-0013-5678"])
    assert "5678" in suffixes and "13800135678" in suffixes and "8613800135678" in suffixes
    assert "678" not in suffixes
    assert enrich.phone_suffixes(["１３８"]) == []


def test_phone_like_queries():
    assert enrich.looks_like_phone("138 0013 5678")
    assert enrich.looks_like_phone("+86 (10) 8888-1234")
    assert enrich.looks_like_phone("5678")
    assert not enrich.looks_like_phone("567")
    assert not enrich.looks_like_phone("A科技 5678")


def test_emails_lowercased_with_local_parts():
    assert enrich.email_terms(["Zhang.Wei@AKeji.COM", " ", "ｌｉ@x.cn"]) == (
        ["zhang.wei@akeji.com", "li@x.cn"],
        ["zhang.wei", "li"],
    )


def test_tax_id_and_tags():
    assert enrich.tax_id_key("９１１１-0000 abc") == "91110000ABC"
    assert enrich.tag_terms(["重點", "VIP", "vip"]) == ["重点", "vip"]


@pytest.mark.parametrize(
    "name", ["ABC科技", "重庆银行", "绿女Ü贸易", "3M中国（北京）", "e-Commerce 杭州·西湖", "ke科技"]
)
def test_one_pass_gives_pypinyins_own_full_pinyin_and_first_letters(name: str) -> None:
    # One pypinyin pass gives both styles: checked against each of pypinyin's own styles.
    from pypinyin import Style, lazy_pinyin

    def units(style: Style) -> str:
        found: list[str] = []
        for segment in lazy_pinyin(name, style=style):
            found += [w for w in (re.sub(r"[\W_]+", "", w).lower() for w in segment.split()) if w]
        return "".join(found)

    full, initials, (whole_full, whole_initials) = enrich._name_pinyin.__wrapped__(name)
    assert (whole_full, whole_initials) == (units(Style.NORMAL), units(Style.FIRST_LETTER))
    assert initials[0] == whole_initials and full[0] == whole_full


def test_cached_style_conversion_answers_as_pypinyin_does_in_every_context() -> None:
    # 重 and 行 read differently by phrase (重庆/重要, 银行/行走): the cache must not carry one
    # reading into another context; each name runs twice (the second time from the cache).
    from pypinyin import Style, lazy_pinyin

    names = [
        "重庆银行",
        "重要客户",
        "行走",
        "银行行长",
        "长沙",
        "ABC科技",
        "绿女Ü贸易",
        "3M中国（北京）",
        "乐乐音乐",
    ]
    for style in (Style.NORMAL, Style.FIRST_LETTER):
        for name in names * 2:
            assert enrich.lazy_pinyin(name, style=style, errors="default") == lazy_pinyin(name, style=style)
