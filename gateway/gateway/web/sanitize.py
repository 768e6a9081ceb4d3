"""Search snippets are HTML: escaped text plus <em> around matches. Trust nothing else in them."""

from __future__ import annotations

from html import escape
from html.parser import HTMLParser

from markupsafe import Markup

_DROP_CONTENT = {"script", "style", "template", "iframe", "object", "noscript"}


class _EmOnly(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.out: list[str] = []
        self.open_ems = 0
        self.skip_depth = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _DROP_CONTENT:
            self.skip_depth += 1
        elif tag == "em" and not self.skip_depth:
            self.out.append("<em>")  # attributes dropped: no on*=, no style=
            self.open_ems += 1

    def handle_endtag(self, tag: str) -> None:
        if tag in _DROP_CONTENT:
            self.skip_depth = max(0, self.skip_depth - 1)
        elif tag == "em" and self.open_ems and not self.skip_depth:
            self.out.append("</em>")
            self.open_ems -= 1

    def handle_data(self, data: str) -> None:
        if not self.skip_depth:
            self.out.append(escape(data, quote=True))


def safe_snippet(snippet: str | None, max_chars: int = 2000) -> Markup:
    """The snippet with every tag except a bare <em> removed and all text escaped."""
    if not snippet:
        return Markup("")
    parser = _EmOnly()
    parser.feed(snippet[:max_chars])
    parser.close()
    parser.out.extend("</em>" for _ in range(parser.open_ems))
    return Markup("".join(parser.out))
