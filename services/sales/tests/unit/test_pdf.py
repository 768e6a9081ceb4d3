"""The quote PDF: Chinese text readable back out, pagination, the embedded font, money formats."""

from __future__ import annotations

import hashlib
import io
from dataclasses import replace
from datetime import date
from decimal import Decimal
from typing import Any

import pypdf
import pytest
from fpdf import FPDF
from sales.domain import pdf
from sales.domain.pdf import (
    PdfFontMissing,
    PdfLine,
    QuoteDocument,
    format_amount,
    format_money,
    render_quote,
)


def document(lines: int = 3, **changes: Any) -> QuoteDocument:
    doc = QuoteDocument(
        number="Q-2026-000123",
        version=3,
        is_final=True,
        status="sent",
        customer_name="A科技有限公司",
        title="全渠道客服系统升级",
        currency="CNY",
        valid_until=date(2026, 12, 31),
        issued_on=date(2026, 12, 1),
        lines=[
            PdfLine(
                product=f"企业微信客服坐席 {i}",
                quantity=i + 1,
                unit_price_minor=1_234_550,
                discount_pct=Decimal("12.5") if i % 2 else Decimal("0"),
                line_total_minor=1_000_000,
            )
            for i in range(lines)
        ],
        subtotal_minor=3_703_650,
        discount_minor=271_650,
        total_minor=1_234_500,
        notes="含税价（增值税 6%）\n付款方式：合同签订后 30 日内",
        owner_name="张三",
    )
    return replace(doc, **changes)


def read(content: bytes) -> pypdf.PdfReader:
    return pypdf.PdfReader(io.BytesIO(content))


def text_of(content: bytes) -> str:
    return "\n".join(page.extract_text() for page in read(content).pages)


def test_the_pdf_text_shows_the_customer_products_and_total() -> None:
    rendered = render_quote(document())
    extracted = text_of(rendered.content)
    assert rendered.content.startswith(b"%PDF-")
    for words in (
        "A科技有限公司",
        "全渠道客服系统升级",
        "企业微信客服坐席 2",
        "¥12,345.00",
        "Q-2026-000123",
        "报价单",
    ):
        assert words in extracted
        assert words in rendered.text  # what the search index gets
    assert "最终版 FINAL" in extracted
    assert "含税价（增值税 6%）" in extracted
    assert rendered.sha256 == hashlib.sha256(rendered.content).hexdigest()


def test_a_version_that_is_not_final_shows_its_status() -> None:
    extracted = text_of(render_quote(document(is_final=False, status="pending_approval")).content)
    assert "待审批 PENDING APPROVAL" in extracted
    assert "FINAL" not in extracted


def test_many_lines_paginate_with_page_numbers_and_every_line_shown() -> None:
    long_name = "超大型分布式数据中心运维托管服务（含七乘二十四小时现场值守与季度巡检）" * 2
    doc = document(lines=120)
    doc = replace(doc, lines=[replace(doc.lines[0], product=long_name), *doc.lines[1:]])
    content = render_quote(doc).content
    reader = read(content)
    pages = len(reader.pages)
    assert pages >= 3
    extracted = text_of(content)
    assert f"第 {pages} / {pages} 页" in extracted
    assert "企业微信客服坐席 119" in extracted
    # The long name wraps inside its cell instead of running over the other columns.
    assert "超大型分布式数据中心运维托管服务" in extracted
    # The table heading is repeated on the pages it continues on.
    assert "产品 Product" in reader.pages[1].extract_text()


def test_the_cjk_font_is_embedded() -> None:
    reader = read(render_quote(document()).content)
    resources: Any = reader.pages[0]["/Resources"]
    fonts = resources["/Font"]
    assert fonts
    for ref in fonts.values():
        font = ref.get_object()
        assert font["/Subtype"] == "/Type0"
        descriptor = font["/DescendantFonts"][0].get_object()["/FontDescriptor"].get_object()
        assert "/FontFile2" in descriptor  # a TrueType program inside the file, not a name to look up
        assert len(descriptor["/FontFile2"].get_object().get_data()) > 1000


def test_the_same_version_renders_to_the_same_bytes() -> None:
    assert render_quote(document()).sha256 == render_quote(document()).sha256


def test_the_font_parsed_once_per_process_renders_what_fpdf_parsing_it_again_renders(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    cached = render_quote(document(lines=30))

    def add_font(document: FPDF, path: str) -> None:
        document.add_font(pdf.FONT, "", path)

    monkeypatch.setattr(pdf, "_add_font", add_font)
    assert render_quote(document(lines=30)).content == cached.content


def test_a_missing_font_is_a_clear_error() -> None:
    with pytest.raises(PdfFontMissing, match="fonts-wqy-microhei"):
        render_quote(document(), font_path="/nonexistent/font.ttc")


@pytest.mark.parametrize(
    ("minor", "currency", "money", "amount"),
    [
        (1_234_500, "CNY", "¥12,345.00", "12345.00"),
        (123_450, "USD", "USD 1,234.50", "1234.50"),
        (5, "EUR", "EUR 0.05", "0.05"),
        (1234, "JPY", "JPY 1,234", "1234"),
        (0, "CNY", "¥0.00", "0.00"),
        (-27_165, "CNY", "-¥271.65", "-271.65"),
        (100_000_000_000, "CNY", "¥1,000,000,000.00", "1000000000.00"),
    ],
)
def test_money_formats(minor: int, currency: str, money: str, amount: str) -> None:
    assert format_money(minor, currency) == money
    assert format_amount(minor, currency) == amount
