"""Markdown to safe HTML, done once when a post is saved.

Staff write Markdown (inline HTML allowed, as editors paste it); markdown-it-py renders it and nh3
(the Rust ammonia sanitiser) keeps only an allowlist: headings, paragraphs, lists, tables,
emphasis, quotes, code, links and images. Scripts, event handlers, styles, frames, objects and
forms never survive, and links only point to http(s) or relative addresses and get
``rel="noopener noreferrer"``.

An image is fetched by every reader's browser without a click, in their name: one pointing at a
staff URL would act as the reviewer reading the post, one on another site tells it who read what.
So an image shows only a file of the post itself, written exactly as residents download it
(``/posts/<this post>/files/<n>``); any other image becomes its alt text (in Markdown) or an
``<img>`` without a source (raw HTML). A new post has no id and no files yet, so it has no images.

The result is stored (``Post.body_html``) so the resident pages, which take bursts of hundreds of
requests a second, never parse Markdown.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import partial

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
_ALIGN = re.compile(r"text-align:(left|center|right)")


def render(markdown: str, post_id: int | None = None) -> str:
    """Sanitised HTML for ``markdown``, the text of post ``post_id`` (None: not saved yet); the
    post title is the page's h1, so headings start at h2."""
    return sanitise(_md.renderer.render(_tokens(markdown, post_id), _md.options, {}), post_id)


def blocks(markdown: str, post_id: int | None = None) -> Iterator[tuple[int, int, str]]:
    """Each top-level block's source lines (first and past the last, from 0) and its HTML as
    :func:`render` makes it: the personal-data gate reads what residents are shown and points
    at the lines to change."""
    tokens = _tokens(markdown, post_id)
    begin = 0
    for index, token in enumerate(tokens):
        if token.level != 0 or token.nesting == 1:
            begin = index if token.level == 0 else begin
            continue
        group = tokens[begin : index + 1] if token.nesting == -1 else [token]
        first, last = group[0].map or (0, 0)
        yield first, last, sanitise(_md.renderer.render(group, _md.options, {}), post_id)


def _tokens(markdown: str, post_id: int | None) -> list[Token]:
    tokens = _md.parse(markdown)
    for token in tokens:
        _adjust(token, post_id)
    return tokens


def own_file(src: str, post_id: int | None) -> bool:
    """Whether ``src`` is exactly the public address of a file of post ``post_id``: no scheme,
    host, query, fragment, escapes or other spelling, so nothing else can pass for it."""
    return (
        post_id is not None
        and re.fullmatch(rf"/posts/{post_id}/files/[1-9][0-9]{{0,9}}", src) is not None
    )


def for_console(html: str, post_id: int) -> str:
    """A post's HTML for the staff console, where its files load from the staff download (the
    public one serves live posts only, and reviewers look before a post is live).

    Only :func:`own_file` addresses survive :func:`sanitise`, always written ``src="…"``.
    """
    return html.replace(
        f'src="/posts/{post_id}/files/', f'src="/staff/posts/{post_id}/attachments/'
    )


def _adjust(token: Token, post_id: int | None) -> None:
    """Shift headings one level down, turn table alignment styles into classes and images that
    are not the post's own files into their alt text."""
    if token.type in ("heading_open", "heading_close"):
        token.tag = f"h{min(int(token.tag[1]) + 1, 6)}"
    elif token.type in ("th_open", "td_open"):
        style = token.attrs.pop("style", None)
        align = _ALIGN.fullmatch(str(style)) if style else None
        if align:
            token.attrSet("class", f"align-{align.group(1)}")
    elif token.type == "inline" and token.children:
        token.children = _without_foreign_images(token.children, post_id)


def _without_foreign_images(children: list[Token], post_id: int | None) -> list[Token]:
    kept: list[Token] = []
    for child in children:
        if child.type == "image" and not own_file(str(child.attrGet("src") or ""), post_id):
            kept.extend(_without_foreign_images(child.children or [], post_id))
        else:
            kept.append(child)
    return kept


def sanitise(html: str, post_id: int | None = None) -> str:
    """Keep only the allowlisted tags and attributes, safe link addresses and images of post
    ``post_id``'s own files."""
    return nh3.clean(
        html,
        tags=set(ALLOWED_TAGS),
        attributes={tag: set(names) for tag, names in ALLOWED_ATTRIBUTES.items()},
        allowed_classes={tag: set(names) for tag, names in ALLOWED_CLASSES.items()},
        attribute_filter=partial(_filter_attribute, post_id),
        url_schemes={"http", "https"},
        link_rel="noopener noreferrer",
        strip_comments=True,
    )


def _filter_attribute(post_id: int | None, tag: str, attribute: str, value: str) -> str | None:
    if tag == "img" and attribute == "src":
        return value if own_file(value, post_id) else None
    return value
