import pytest
from kernel.text import company_key, digits_only, fold


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
