import pytest
from kernel.text import _T2S, company_key, digits_only, fold, t2s


@pytest.mark.parametrize(
    "variant",
    [
        "A科技有限公司",
        "Ａ科技有限公司",
        "a科技股份有限公司",
        "A科技（北京）有限公司",
        "A 科技 有限公司",
        "A科技集團有限公司",
    ],
)
def test_company_key_folds_width_case_script_and_suffixes(variant):
    assert company_key(variant) == "a科技"


def test_latin_suffixes():
    assert company_key("Acme Trading Co., Ltd.") == company_key("ACME trading limited") == "acmetrading"


def test_fold_and_digits():
    assert fold("華為技術") == "华为技术"
    assert digits_only("+86 138-1234-5678") == "8613812345678"


def test_suffix_only_name_never_becomes_empty():
    assert company_key("有限公司")
    assert company_key("Ltd.")


@pytest.mark.parametrize(
    "text",
    ["華為技術", "沈默是金", "有限公司", "A科技有限公司", "Acme Ltd.", "乾坤", "计划與計畫", "", "鍾馗 瞭解"],
)
def test_t2s_skips_only_text_opencc_would_leave_unchanged(text):
    # The fast path must never change an answer: every text agrees with OpenCC itself.
    assert t2s(text) == _T2S.convert(text)


def test_t2s_fast_path_covers_phrases_without_a_traditional_character():
    # 沈默 → 沉默 is a phrase rule whose characters are all Simplified-looking.
    assert t2s("沈默") == "沉默"
