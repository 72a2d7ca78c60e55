"""Markdown to safe HTML, done once when a post is saved.

Staff write Markdown (inline HTML allowed, as editors paste it); markdown-it-py renders it and nh3
(the Rust ammonia sanitiser) keeps only an allowlist: headings, paragraphs, lists, tables,
emphasis, quotes, code, links and images. Scripts, event handlers, styles, frames, objects and
forms never survive, links only point to http(s) or relative addresses and get
``rel="noopener noreferrer"``, and images load only over https or from this site.

The result is stored (``Post.body_html``) so the resident pages, which take bursts of hundreds of
requests a second, never parse Markdown.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import nh3
from markdown_it import MarkdownIt
from markdown_it.token import Token

_md = MarkdownIt("commonmark", {"html": True}).enable(["table", "strikethrough"])

ALLOWED_TAGS = frozenset(
    {
        *("h2", "h3", "h4", "h5", "h6", "p", "br", "hr", "blockquote", "pre", "code"),
        *("ul", "ol", "li", "dl", "dt", "dd"),
        *("table", "caption", "thead", "tbody", "tfoot", "tr", "th", "td"),
        *("strong", "em", "b", "i", "u", "s", "del", "ins", "sub", "sup", "mark", "small"),
        *("a", "img", "abbr"),
    }
)
ALLOWED_ATTRIBUTES = {
    "a": {"href", "title"},
    "img": {"src", "alt", "title", "width", "height"},
    "abbr": {"title"},
    "ol": {"start"},
    "th": {"colspan", "rowspan", "scope"},
    "td": {"colspan", "rowspan"},
}
_ALIGN_CLASSES = {"align-left", "align-center", "align-right"}
ALLOWED_CLASSES = {"th": _ALIGN_CLASSES, "td": _ALIGN_CLASSES}
_SCHEME = re.compile(r"^([a-z][a-z0-9+.-]*):", re.IGNORECASE)
_ALIGN = re.compile(r"text-align:(left|center|right)")


def render(markdown: str) -> str:
    """Sanitised HTML for ``markdown``; the post title is the page's h1, so headings start at h2."""
    return sanitise(_md.renderer.render(_tokens(markdown), _md.options, {}))


def blocks(markdown: str) -> Iterator[tuple[int, int, str]]:
    """Each top-level block's source lines (first and past the last, from 0) and its HTML as
    :func:`render` makes it: the personal-data gate reads what residents are shown and points
    at the lines to change."""
    tokens = _tokens(markdown)
    begin = 0
    for index, token in enumerate(tokens):
        if token.level != 0 or token.nesting == 1:
            begin = index if token.level == 0 else begin
            continue
        group = tokens[begin : index + 1] if token.nesting == -1 else [token]
        first, last = group[0].map or (0, 0)
        yield first, last, sanitise(_md.renderer.render(group, _md.options, {}))


def _tokens(markdown: str) -> list[Token]:
    tokens = _md.parse(markdown)
    for token in tokens:
        _adjust(token)
    return tokens


def _adjust(token: Token) -> None:
    """Shift headings one level down and turn table alignment styles into classes."""
    if token.type in ("heading_open", "heading_close"):
        token.tag = f"h{min(int(token.tag[1]) + 1, 6)}"
    elif token.type in ("th_open", "td_open"):
        style = token.attrs.pop("style", None)
        align = _ALIGN.fullmatch(str(style)) if style else None
        if align:
            token.attrSet("class", f"align-{align.group(1)}")


def sanitise(html: str) -> str:
    """Keep only the allowlisted tags and attributes, and safe link and image addresses."""
    return nh3.clean(
        html,
        tags=set(ALLOWED_TAGS),
        attributes={tag: set(names) for tag, names in ALLOWED_ATTRIBUTES.items()},
        allowed_classes={tag: set(names) for tag, names in ALLOWED_CLASSES.items()},
        attribute_filter=_filter_attribute,
        url_schemes={"http", "https"},
        link_rel="noopener noreferrer",
        strip_comments=True,
    )


def _filter_attribute(tag: str, attribute: str, value: str) -> str | None:
    """Images only over https or from this site: plain http would be mixed content."""
    if tag == "img" and attribute == "src":
        return value if _is_https_or_local(value) else None
    return value


def _is_https_or_local(url: str) -> bool:
    compact = "".join(ch for ch in url if ch.isprintable() and not ch.isspace())
    scheme = _SCHEME.match(compact)
    if scheme:
        return scheme.group(1).lower() == "https"
    return not compact.startswith(("//", "\\\\", "/\\", "\\/"))
