"""What rendering a quote PDF costs: ``python -m bench.quote_pdf``.

Renders quotes of 5, 50 and 500 lines (Chinese product names, a third long enough to wrap) with
``sales.domain.pdf.render_quote`` in this process, each ``--repeat`` times after one warm-up
render, and prints a Markdown table: p50/p95 render time (wall clock), p50 CPU time (what the
render costs when the machine is shared), pages and size. Pure CPU: no server is
needed (not part of ``bench.run``).
"""

from __future__ import annotations

import argparse
import io
import sys
import time
from datetime import date
from decimal import Decimal

import pypdf
from sales.domain.pdf import PdfLine, QuoteDocument, render_quote

from bench.loadgen import percentile

PRODUCTS = (
    "企业微信客服坐席",
    "全渠道工单系统 专业版",
    "数据中心运维托管服务（含七乘二十四小时现场值守与季度巡检、备件更换）",
)


def progress(message: str) -> None:
    print(f"quote_pdf: {message}", file=sys.stderr, flush=True)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.quote_pdf", description=__doc__.split("\n")[0])
    parser.add_argument("--lines", type=int, nargs="+", default=[5, 50, 500])
    parser.add_argument("--repeat", type=int, default=20, help="timed renders per size")
    parser.add_argument("--font", default=None, help="font path (default: the sales setting's default)")
    return parser.parse_args(argv)


def document(lines: int) -> QuoteDocument:
    rows = [
        PdfLine(
            product=f"{PRODUCTS[i % len(PRODUCTS)]} #{i + 1}",
            quantity=(i % 9) + 1,
            unit_price_minor=1_280_000 + i * 100,
            discount_pct=Decimal("7.5") if i % 4 == 0 else Decimal("0"),
            line_total_minor=1_184_000,
        )
        for i in range(lines)
    ]
    total = sum(r.line_total_minor for r in rows)
    return QuoteDocument(
        number="Q-2026-000123",
        version=3,
        is_final=True,
        status="sent",
        customer_name="A科技有限公司",
        title="全渠道客服系统升级",
        currency="CNY",
        valid_until=date(2026, 12, 31),
        issued_on=date(2026, 12, 1),
        lines=rows,
        subtotal_minor=total,
        discount_minor=0,
        total_minor=total,
        notes="含税价（增值税 6%）；付款方式：合同签订后 30 日内。",
        owner_name="张三",
    )


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    rows = []
    for lines in args.lines:
        doc = document(lines)
        rendered = render_quote(doc, font_path=args.font)  # warm-up: imports, first font parse
        seconds, cpu = [], []
        for _ in range(args.repeat):
            started, started_cpu = time.perf_counter(), time.process_time()
            rendered = render_quote(doc, font_path=args.font)
            seconds.append(time.perf_counter() - started)
            cpu.append(time.process_time() - started_cpu)
        seconds.sort()
        cpu.sort()
        pages = len(pypdf.PdfReader(io.BytesIO(rendered.content)).pages)
        rows.append(
            (
                lines,
                percentile(seconds, 50),
                percentile(seconds, 95),
                percentile(cpu, 50),
                pages,
                len(rendered.content),
            )
        )
        progress(f"{lines} lines done")
    print(f"\nQuote PDF render ({args.repeat} renders per size, one process, fpdf2, embedded CJK font)\n")
    print("| lines | p50 ms | p95 ms | CPU p50 ms | pages | size KB |")
    print("|---:|---:|---:|---:|---:|---:|")
    for lines, p50, p95, cpu50, pages, size in rows:
        ms = " | ".join(f"{value * 1000:,.0f}" for value in (p50, p95, cpu50))
        print(f"| {lines} | {ms} | {pages} | {size / 1024:,.0f} |")


if __name__ == "__main__":
    main()
