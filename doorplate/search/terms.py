"""The words of a text as jieba segments them: what the index stores and a query is made of.

rjieba is jieba's algorithm and dictionary in Rust (jieba-rs): the same words as the Python
``jieba`` package for the same text, but its dictionary loads in a quarter of a second instead of
nearly two (paid once per worker, on its first search), in half the memory, without importing
``pkg_resources`` (a warning, so an error under the tests' ``filterwarnings``, on the setuptools
releases that still ship it) and without writing a cache file to /tmp.

A post is indexed in search mode (``cut_for_search``: 停水通知 also as 停水 and 通知), so a
query's word is found inside a post's longer one; a synonym is read in plain mode (all its
words needed). Both leave out punctuation and the particles and question words people type
around what they want (怎么办, 的, 吗): they would otherwise be the words a post is missing.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable

import rjieba

from doorplate.search.models import TERM_MAX_LENGTH

# Particles, pronouns, question words and the verbs of asking, as jieba cuts them.
_STOP_WORDS = """
的 地 得 着 了 过 吗 呢 吧 啊 呀 嘛 哦 呗 么 之 是 在 和 与 及 或 或者 跟 把 被 对 从 向 给
为 以 于 而 也 都 还 就 又 才 很 最 该 这 那 这个 那个 这些 那些 哪 哪个 哪些 哪里 哪儿
谁 啥 什么 什么样 怎么 怎么办 怎样 怎么样 如何 为什么 多少 几 请 请问 我 我们 我家 你 您
你们 他 她 它 他们 要 想 能 能不能 可以 可不可以 会 有 有没有 没有 办 去 找 查 问 一下
关于 需要 时候 什么时候 是否 一个
"""
STOP_WORDS = frozenset(_STOP_WORDS.split())


def normalise(text: str) -> str:
    """Full-width letters and digits as ASCII, Latin in lower case: ＡＢＣ１２ and abc12 match."""
    return unicodedata.normalize("NFKC", text).casefold()


def _kept(words: Iterable[str]) -> list[str]:
    """The words worth matching: no punctuation or spaces, no stop words, none too long."""
    return [
        word
        for word in words
        if len(word) <= TERM_MAX_LENGTH
        and any(ch.isalnum() for ch in word)
        and word not in STOP_WORDS
    ]


def words(text: str) -> tuple[str, ...]:
    """The words of a query or a synonym, each once, in the order typed: a post has the phrase
    when it has all of them (最低生活保障: 最低, 生活, 保障)."""
    return tuple(dict.fromkeys(_kept(rjieba.cut(normalise(text)))))


def query_words(text: str) -> tuple[str, ...]:
    """The words of a query, a compound as the words inside it (停水通知: 停水, 通知), so that a
    post with some of them is found (停水安排) and each weighs by its own rarity."""
    found: list[str] = []
    for word in words(text):
        found += [part for part in _kept(rjieba.cut_for_search(word)) if part != word] or [word]
    return tuple(dict.fromkeys(found))


def index_words(text: str) -> set[str]:
    """The words a post's text is found by: each word and the shorter words inside it."""
    return set(_kept(rjieba.cut_for_search(normalise(text))))
