"""Markdown rendering and sanitising: an XSS corpus must come out inert, both through Markdown and
as raw HTML straight into the sanitiser, while ordinary formatting survives."""

from __future__ import annotations

import pytest
from xss import XSS_CORPUS, problems

from doorplate.publications.markdown import render, sanitise


def test_the_corpus_is_large_enough() -> None:
    assert len(set(XSS_CORPUS)) >= 50


def test_the_checker_sees_every_kind_of_problem() -> None:
    """A negative control: unsanitised payloads are caught by ``problems``."""
    assert problems('<script>x</script><p onclick="y" style="z">a</p>') == [
        "element script",
        "attribute onclick on p",
        "attribute style on p",
    ]
    assert problems('<a href="jav&#x61;script:alert(1)">x</a>') == [
        "href='javascript:alert(1)' on a"
    ]
    assert problems('<img src="http://x/a.png"><img src="//x/a.png">') == [
        "src='http://x/a.png' on img",
        "src='//x/a.png' on img",
    ]
    flagged = sum(bool(problems(payload)) for payload in XSS_CORPUS)
    assert flagged >= 50


@pytest.mark.parametrize("payload", XSS_CORPUS)
def test_markdown_output_is_inert(payload: str) -> None:
    assert problems(render(payload)) == []


@pytest.mark.parametrize("payload", XSS_CORPUS)
def test_sanitised_html_is_inert(payload: str) -> None:
    assert problems(sanitise(payload)) == []


def test_ordinary_formatting_survives() -> None:
    html = render(
        "# 村务公开\n\n"
        "## 一、收支\n\n"
        "本月*收入*与**支出**，~~旧表~~作废。\n\n"
        "1. 修路\n2. 路灯\n\n"
        "- 甲\n- 乙\n\n"
        "> 监督电话见村委会公示栏\n\n"
        "| 项目 | 金额 |\n|:--|--:|\n| 修路 | 1,200.00 |\n\n"
        "[县政府网站](https://www.cncn.gov.cn) [本站](/P/ABC) "
        "![村委会](/posts/7/files/3)",
        post_id=7,
    )
    assert html == (
        "<h2>村务公开</h2>\n"
        "<h3>一、收支</h3>\n"
        "<p>本月<em>收入</em>与<strong>支出</strong>，<s>旧表</s>作废。</p>\n"
        "<ol>\n<li>修路</li>\n<li>路灯</li>\n</ol>\n"
        "<ul>\n<li>甲</li>\n<li>乙</li>\n</ul>\n"
        "<blockquote>\n<p>监督电话见村委会公示栏</p>\n</blockquote>\n"
        "<table>\n<thead>\n<tr>\n"
        '<th class="align-left">项目</th>\n<th class="align-right">金额</th>\n'
        "</tr>\n</thead>\n<tbody>\n<tr>\n"
        '<td class="align-left">修路</td>\n<td class="align-right">1,200.00</td>\n'
        "</tr>\n</tbody>\n</table>\n"
        '<p><a href="https://www.cncn.gov.cn" rel="noopener noreferrer">县政府网站</a> '
        '<a href="/P/ABC" rel="noopener noreferrer">本站</a> '
        '<img src="/posts/7/files/3" alt="村委会"></p>\n'
    )


def test_a_links_own_rel_is_replaced() -> None:
    assert sanitise('<a href="https://x.example" rel="opener">x</a>') == (
        '<a href="https://x.example" rel="noopener noreferrer">x</a>'
    )


def test_unknown_classes_are_dropped() -> None:
    cell = '<table><tbody><tr><td class="%s">1</td></tr></tbody></table>'
    assert sanitise(cell % "align-right evil") == cell % "align-right"
