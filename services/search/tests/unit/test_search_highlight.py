import pytest
from search.highlight import FRAGMENT_SIZE, Marking, fragment, passages, tokens


def marks(q: str, **source) -> dict[str, list[str]]:
    return Marking.of(q).highlight(source)


def test_tokens_are_the_standard_analysers_ideographs_and_lower_case_words():
    assert [t.text for t in tokens("A科技 Acme-Trading o'Neil tech.cn 3.14")] == [
        "a",
        "科",
        "技",
        "acme",
        "trading",
        "o'neil",
        "tech.cn",
        "3.14",
    ]


def test_a_chinese_phrase_is_marked_as_one_run_in_the_title_and_the_parent_name():
    out = marks("科技", title="A科技有限公司", customer_name="杭州云帆科技")
    assert out == {"title": ["A<em>科技</em>有限公司"], "customer_name": ["杭州云帆<em>科技</em>"]}


def test_traditional_and_full_width_queries_mark_the_simplified_indexed_text():
    assert marks("雲帆", title="杭州云帆科技") == {"title": ["杭州<em>云帆</em>科技"]}
    assert marks("ＡＣＭＥ", title="Acme Trading") == {"title": ["<em>Acme</em> Trading"]}


def test_the_titles_last_word_is_a_prefix_but_only_whole_words_elsewhere():
    assert marks("Acm", title="Acme Robotics") == {"title": ["<em>Acme</em> Robotics"]}
    assert marks("acme tra", title="Acme Trading Co") == {"title": ["<em>Acme Trading</em> Co"]}
    # the parent's name matches the phrase only: no prefix there
    assert marks("Acm", customer_name="Acme Robotics") == {}
    # not inside a word
    assert marks("cme", title="Acme") == {}


def test_all_words_mark_each_word_anywhere_but_only_when_every_word_occurs():
    assert marks("robotics acme", title="Acme Robotics") == {"title": ["<em>Acme</em> <em>Robotics</em>"]}
    assert marks("robotics zeta", title="Acme Robotics") == {}
    # the parent's name and other names take the phrase only
    assert marks("robotics acme", customer_name="Acme Robotics", alt_names=["Acme Robotics"]) == {}


def test_other_names_show_the_first_that_matches():
    out = marks("云帆", alt_names=["YF", "云帆", "云帆科技"])
    assert out == {"alt_names": ["<em>云帆</em>"]}


def test_text_is_escaped_and_marks_are_the_only_markup():
    out = marks("报价", title="<b>报价</b> & 方案")
    assert out == {"title": ["&lt;b&gt;<em>报价</em>&lt;/b&gt; &amp; 方案"]}


def test_the_body_shows_the_sentence_with_most_marks():
    body = "上周拜访客户。下周二准备报价，报价单先发给采购经理。其他事项待定"
    assert marks("报价", body=body) == {"body": ["下周二准备<em>报价</em>，<em>报价</em>单先发给采购经理。"]}


def test_a_long_sentence_is_cut_to_about_the_fragment_size_around_the_marks():
    body = "甲" * 300 + "仓库自动化" + "乙" * 300
    (shown,) = marks("仓库自动化", body=body)["body"]
    assert "<em>仓库自动化</em>" in shown
    assert len(shown.replace("<em>", "").replace("</em>", "")) <= FRAGMENT_SIZE + len("仓库自动化")


def test_a_cut_never_splits_a_latin_word_or_a_mark():
    text = "word " * 40
    for start, end in passages(text):
        assert text[start - 1 : start] in ("", " ") and text[end : end + 1] in ("", " ", "w")
    body = "x" * (FRAGMENT_SIZE - 2) + "仓库"
    assert fragment(body, [(FRAGMENT_SIZE - 2, FRAGMENT_SIZE)]).endswith("<em>仓库</em>")


def test_a_body_without_the_words_is_not_marked_and_tax_ids_match_whole():
    assert marks("仓库", body="没有相关内容") == {}
    assert marks("9135-0100-M0", tax_id="91350100M0") == {"tax_id": ["<em>91350100M0</em>"]}
    assert marks("9135", tax_id="91350100M0") == {}  # too short to be a tax id: not marked


@pytest.mark.parametrize("q", ["", "   ", "!!"])
def test_a_query_without_words_marks_nothing(q):
    assert marks(q, title="Acme", body="Acme") == {}
