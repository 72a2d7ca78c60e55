"""The corpus the personal-data gate is measured with, generated: every way of writing a number
(markup, separators, invisible characters, digit scripts, Chinese numerals, spreadsheet floats,
glued numbers, table cells, titles, PDF text) times every kind (mobile, 18- and 15-digit ID,
bank card), and clean text a village publishes (dates, amounts, order numbers, postcodes,
division codes, office landlines, times, years, counts, ratios, figure tables).

All numbers are made up; the ID and card numbers have valid check digits.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from doorplate.publications.models import Table
from doorplate.publications.privacy import Kind

PHONE = "15967301842"
ID18 = "330327198506123454"
ID18_X = "33038119620714203X"
ID15 = "330327850612341"
CARD = "6222021234567894"
CARD19 = "6217001234567890122"

# The shape each is usually written in.
PIECES = {
    PHONE: (3, 4, 4),
    ID18: (6, 8, 4),
    ID18_X: (6, 8, 4),
    ID15: (6, 6, 3),
    CARD: (4, 4, 4, 4),
    CARD19: (4, 4, 4, 4, 3),
}
KINDS = {
    PHONE: Kind.PHONE,
    ID18: Kind.ID_NUMBER,
    ID18_X: Kind.ID_NUMBER,
    ID15: Kind.ID_NUMBER,
    CARD: Kind.BANK_CARD,
    CARD19: Kind.BANK_CARD,
}
NUMBERS = (PHONE, ID18, ID15, CARD)  # every class is written with each of these
NAMES = {PHONE: "phone", ID18: "ID", ID15: "old ID", CARD: "card", ID18_X: "ID", CARD19: "card"}
OTHER = {PHONE: "13812345678", ID18: PHONE, ID15: PHONE, CARD: ID18}  # glued on after it


@dataclass(frozen=True)
class Variant:
    """A number written one way, in one part of a post; ``digits`` is what the gate must report
    (None where a spreadsheet dropped some, so only the kind is checked)."""

    label: str
    kind: Kind
    digits: str | None
    part: str  # title, body, table, pdf
    text: str = ""
    table: Table | None = None


def pieces(number: str) -> list[str]:
    out, position = [], 0
    for length in PIECES[number]:
        out.append(number[position : position + length])
        position += length
    return out


def halves(number: str) -> tuple[str, str]:
    """A number in two: a phone after its first three digits, the others after six."""
    at = 3 if KINDS[number] is Kind.PHONE else 6
    return number[:at], number[at:]


def _digits_as(number: str, zero: str) -> str:
    """``number`` in the digit script whose zero is ``zero`` (an ID's X stays)."""
    return "".join(chr(ord(zero) + int(d)) if d.isdigit() else d for d in number)


def _chinese(number: str, numerals: str) -> str:
    return "".join(numerals[int(d)] if d.isdigit() else d for d in number)


def _every(separator: str) -> Callable[[str], str]:
    return lambda n: separator.join(n)


def _split(separator: str) -> Callable[[str], str]:
    return lambda n: separator.join(pieces(n))


def _first_entity(n: str, form: str) -> str:
    return n[:3] + form.format(ord(n[3])) + n[4:]


BODY_CLASSES: dict[str, Callable[[str], str]] = {
    # markup that shows nothing between the digits
    "bold": lambda n: f"{n[:3]}**{n[3:7]}**{n[7:]}",
    "italic": lambda n: f"{n[:3]}*{n[3:7]}*{n[7:]}",
    "strikethrough": lambda n: f"{n[:3]}~~{n[3:7]}~~{n[7:]}",
    "empty tag": lambda n: f"{n[:3]}<b></b>{n[3:]}",
    "span": lambda n: f"<span>{n[:5]}</span><em>{n[5:]}</em>",
    "unknown tag": lambda n: f"{n[:4]}<x-y>{n[4:]}</x-y>",
    "decimal entity": lambda n: _first_entity(n, "&#{};"),
    "hex entity": lambda n: _first_entity(n, "&#x{:x};"),
    "every digit an entity": lambda n: "".join(f"&#{ord(d)};" for d in n),
    "comment": lambda n: f"{n[:3]}<!-- 备注 -->{n[3:]}",
    "code span": lambda n: f"{n[:3]}`{n[3:7]}`{n[7:]}",
    "whole code span": lambda n: f"电话 `{n}`",
    "code block": lambda n: f"```\n{n}\n```",
    "link text": lambda n: f"[{n[:3]}](https://www.example.gov.cn/a){n[3:]}",
    "image description": lambda n: f"![{n}](https://www.example.gov.cn/a.png)",
    "tooltip": lambda n: f'<abbr title="{n}">联系人</abbr>',
    "line break": lambda n: "\n".join(pieces(n)),
    "html line break": lambda n: "<br>".join(pieces(n)),
    "ordered list start": lambda n: f'<ol start="{n}"><li>联系人</li></ol>',
    "markdown table": lambda n: (
        "| 序号 | "
        + " | ".join(f"第{i}段" for i, _ in enumerate(pieces(n)))
        + " |\n|"
        + "---|" * (len(pieces(n)) + 1)
        + "\n| 1 | "
        + " | ".join(pieces(n))
        + " |"
    ),
    "html table": lambda n: (
        "<table><tr>" + "".join(f"<td>{p}</td>" for p in pieces(n)) + "</tr></table>"
    ),
    "heading": lambda n: f"## 联系 {n}",
    "quote": lambda n: "> " + "\n> ".join(pieces(n)),
    # separators
    "space": _split(" "),
    "no-break space": _split("\u00a0"),
    "ideographic space": _split("\u3000"),
    "thin space": _split("\u2009"),
    "hyphen": _split("-"),
    "spaced hyphen": _split(" - "),
    "en dash": _split("\u2013"),
    "em dash": _split("\u2014"),
    "full-width hyphen": _split("\uff0d"),
    "unicode hyphen": _split("\u2010"),
    "minus sign": _split("\u2212"),
    "dot": _split("."),
    "middle dot": _split("\u00b7"),
    "underscore": _split("_"),
    "slash": _split("/"),
    "full-width slash": _split("\uff0f"),
    "parentheses": lambda n: "".join(f"({p})" for p in pieces(n)),
    "full-width parentheses": lambda n: "".join(f"\uff08{p}\uff09" for p in pieces(n)),
    "area-code style": lambda n: f"({pieces(n)[0]}) " + "-".join(pieces(n)[1:]),
    "one digit per space": _every(" "),
    "one digit per ideographic space": _every("\u3000"),
    "one digit per hyphen": _every("-"),
    # invisible characters between every digit
    "zero-width space": _every("\u200b"),
    "zero-width non-joiner": _every("\u200c"),
    "zero-width joiner": _every("\u200d"),
    "word joiner": _every("\u2060"),
    "byte-order mark": _every("\ufeff"),
    "soft hyphen": _every("\u00ad"),
    "soft hyphen entity": _every("&shy;"),
    "combining mark": lambda n: "".join(d + "\u0332" for d in n),
    # digits of other scripts
    "full-width digits": lambda n: _digits_as(n, "\uff10"),
    "arabic-indic digits": lambda n: _digits_as(n, "\u0660"),
    "persian digits": lambda n: _digits_as(n, "\u06f0"),
    "devanagari digits": lambda n: _digits_as(n, "\u0966"),
    "mathematical bold digits": lambda n: _digits_as(n, "\U0001d7ce"),
    "mathematical double-struck digits": lambda n: _digits_as(n, "\U0001d7d8"),
    "mathematical monospace digits": lambda n: _digits_as(n, "\U0001d7f6"),
    "mixed scripts": lambda n: "".join(
        _digits_as(d, "\uff10") if i % 2 else d for i, d in enumerate(n)
    ),
    "chinese numerals": lambda n: _chinese(n, "〇一二三四五六七八九"),
    "chinese numerals with 零": lambda n: _chinese(n, "零一二三四五六七八九"),
    "capital chinese numerals": lambda n: _chinese(n, "零壹贰叁肆伍陆柒捌玖"),
    "chinese numerals with separators": lambda n: " ".join(
        _chinese(p, "〇一二三四五六七八九") for p in pieces(n)
    ),
    # spreadsheets and pasting
    "spreadsheet float": lambda n: f"{n}.0",
    "spreadsheet float with cents": lambda n: f"{n}.00",
    "scientific notation": lambda n: f"{n[0]}.{n[1:]}E+{len(n) - 1}",
    "glued to another number": lambda n: n + OTHER[n],
    "glued after another number": lambda n: OTHER[n] + n,
    "in running text": lambda n: f"请联系张先生{n}。",
}


def body_variants() -> list[Variant]:
    return [
        Variant(f"body: {name}, {NAMES[n]}", KINDS[n], n, "body", text=write(n))
        for name, write in BODY_CLASSES.items()
        for n in NUMBERS
    ]


def _table_rows(n: str) -> dict[str, tuple[str, ...]]:
    parts = pieces(n)
    return {
        "cell": ("1", "张*", n, "1,200.00"),
        "cells split": ("1", *parts, "1,200.00"),
        "cells split after a name": ("张*", *parts),
        "cells split in two": ("1", *halves(n)),
        "cell float": ("1", f"{n}.0"),
        "cell scientific": ("1", f"{n[0]}.{n[1:]}E+{len(n) - 1}"),
        "cell full-width": ("1", _digits_as(n, "\uff10")),
        "cell with no-break spaces": ("1", "\u00a0".join(parts)),
        "cells split, full-width": ("1", *(_digits_as(p, "\uff10") for p in parts)),
    }


def table_variants() -> list[Variant]:
    variants = []
    for n in NUMBERS:
        for name, row in _table_rows(n).items():
            header = tuple(f"列{i}" for i in range(1, len(row) + 1))
            table = Table(header=header, rows=(tuple("" for _ in row), row))
            label = f"table: {name}, {NAMES[n]}"
            variants.append(Variant(label, KINDS[n], n, "table", table=table))
    return variants


TITLE_CLASSES: dict[str, Callable[[str], str]] = {
    "title": lambda n: f"关于{n}的公示",
    "title with separators": lambda n: "关于" + "\u00a0".join(pieces(n)) + "的公示",
    "title with invisible characters": lambda n: "\u200b".join(n) + "补助公示",
    "title in full-width digits": lambda n: _digits_as(n, "\uff10"),
}
PDF_CLASSES: dict[str, Callable[[str], str]] = {
    "pdf line": lambda n: f"第一页\n1  张*  {n}  1,200.00",
    "pdf split across lines": lambda n: "\n".join(pieces(n)),
    "pdf with spaces": _split(" "),
    "pdf float": lambda n: f"{n}.0",
    "pdf full-width": lambda n: _digits_as(n, "\uff10"),
}


def other_variants() -> list[Variant]:
    variants = [
        Variant(f"title: {name}, {NAMES[n]}", KINDS[n], n, "title", text=write(n))
        for name, write in TITLE_CLASSES.items()
        for n in NUMBERS
    ]
    variants += [
        Variant(f"pdf: {name}, {NAMES[n]}", KINDS[n], n, "pdf", text=write(n))
        for name, write in PDF_CLASSES.items()
        for n in NUMBERS
    ]
    # The ID's check character X, however written; a 19-digit card; +86 before a phone;
    # numbers a spreadsheet shows to 15 digits only.
    variants += [
        Variant(f"body: ID with {x}", Kind.ID_NUMBER, ID18_X, "body", text=text)
        for x, text in {
            "X": ID18_X,
            "x": ID18_X.lower(),
            "full-width X": ID18_X[:-1] + "\uff38",
            "spaced X": " ".join(pieces(ID18_X)),
        }.items()
    ]
    variants += [
        Variant(f"body: 19-digit card, {name}", Kind.BANK_CARD, CARD19, "body", text=write(CARD19))
        for name, write in (("plain", str), ("spaced", _split(" ")), ("dotted", _split(".")))
    ]
    variants += [
        Variant(f"body: +86 {name}", Kind.PHONE, PHONE, "body", text=text)
        for name, text in {
            "spaced": "+86 " + " ".join(pieces(PHONE)),
            "hyphenated": "+86-" + "-".join(pieces(PHONE)),
            "glued": "+86" + PHONE,
            "0086": "0086 " + PHONE,
        }.items()
    ]
    variants += [
        Variant(f"body: 15 significant digits of {kind}", KINDS[n], None, "body", text=text)
        for kind, n, text in (
            ("an ID", ID18, "3.30327198506123E+17"),
            ("a card", CARD, "6.22202123456789E+15"),
        )
    ]
    return variants


def variants() -> list[Variant]:
    return body_variants() + table_variants() + other_variants()


# --- clean text ---------------------------------------------------------------------------------

_DATES = ("2026-12-08", "2025-01-15", "2024-02-29", "2026-11-30")


def _date_forms(day: str) -> list[str]:
    y, m, d = day.split("-")
    return [
        day,
        f"{y}/{m}/{d}",
        f"{y}.{m}.{d}",
        f"{y}{m}{d}",
        f"{y}年{int(m)}月{int(d)}日",
        f"{day} 09:30",
        f"{day} 09:00-17:30",
        f"{y}.{m}.01~{y}.{m}.{d}",
        f"{y}{m}01-{y}{m}{d}",
        f"{y}-{m}-01至{day}",
        f"{y} 年 {m} 月 {d} 日",
        f"{y}{m}{d}143000",
    ]


CLEAN_TEXTS: list[str] = [
    *(form for day in _DATES for form in _date_forms(day)),
    # amounts
    "12,345.67元",
    "¥1,234,567.00",
    "1234567.89",
    "13,800.00元",
    "138,123,456.78元",
    "12345678.90元",
    "合计：1,380,013,800.00元",
    "1.38亿元",
    "13812.50",
    "拨付资金 1,596,730.18 元",
    "大写：壹万贰仟叁佰肆拾伍元陆角柒分",
    "人民币壹拾叁万捌仟元整",
    "收入 138,000.00 支出 45,600.50 结余 92,399.50",
    "每亩补贴 138.50 元，共 1234.5 亩",
    "-1,200.00",
    # order, invoice, tracking and document numbers
    "订单号：202612081234567890",
    "DD20261208000123",
    "交易单号 4200001234202612081234567890",
    "商户单号 2026120822001412345678901234",
    "快递单号 SF1234567890123",
    "YT7512345678901",
    "中通 75312345678901",
    "申通 773123456789012",
    "发票号码 26332000000012345678",
    "发票代码 033002100111",
    "合同编号 CN-2026-0138-1234",
    "浙政发〔2026〕138号",
    "苍政办〔2026〕12号",
    "项目编号 3303272026120800138",
    "统一社会信用代码 913303277049996228",
    "村集体账户 1203 2800 0920 0012 345",
    "基本户 33050162613500000123",
    "GB 11643-1999",
    "GB/T 2260-2007",
    "ISBN 978-7-5613-8000-1",
    "v1.3.8000",
    "192.168.1.138",
    # postcodes and division codes
    "325800",
    "邮编：325802",
    "330327102201",
    "330327102201000",
    "行政区划代码 330327",
    "330327100201 330327100202 330327100203",
    # office landlines and service numbers
    "0577-12345678",
    "0577-64712345",
    "(0577)64712345",
    "（0577）6471 2345",
    "0577 6471 2345",
    "057764712345",
    "010-65521234",
    "0577-64712345转8001",
    "+86 577 6471 2345",
    "400-800-8888",
    "95599",
    "12345政务服务热线",
    "0577-6471 2345、0577-6471 2346",
    # times, years, counts, ratios
    "14:30",
    "8:30—11:30 14:00—17:30",
    "2021 2022 2023 2024 2025",
    "2021—2025年",
    "2026年度第3批",
    "全村共138户452人",
    "第13期",
    "13人",
    "13.8%",
    "38.5%",
    "1:3",
    "3/8",
    "1、3、8、12",
    "涉及门牌 1，3，8，12，23，45，67，89号",
    "楼号 1/3/8/12/23/45/67",
    "一二三四五六七八九十",
    "第一、二、三组",
    "三三两两",
    "二〇二六年十二月八日",
    # sentences of notices
    "2026年12月8日上午9时在村委会召开村民代表大会",
    "公示时间：2026年12月8日至2026年12月15日",
    "低保金每人每月 1,050 元",
    "本次共发放 138 户，合计 165,600.00 元",
    "第2026-138号",
    "车牌 浙C·12345",
    "房屋编号 3303271022010138",
    "宗地编码 330327102201JC00138",
    "不动产权证号 浙(2026)苍南县不动产权第0013800号",
    "社保服务电话 12333",
    "电费户号 3301234567",
    "水表号 20261208001",
    "准考证号 2026330327001",
    "户数/人口：452/1380",
    "比例 13:8:5",
    "气温 -3~8℃",
    "海拔 1380 米，面积 12.5 平方公里",
    "2026年1-11月",
    "2019、2020、2021年度",
    "12月8日（星期二）",
    "2026.12.08—2026.12.15",
    "上午 8:30-11:30，下午 14:30-17:00",
    "电话：0577-64712345（办公室）",
    "传真 0577 6471 2346",
    "报名电话 0577-64712345 / 64712346",
    "坐标 27.5138, 120.4012",
    "2026年12月08日14:30:00",
    "腾讯会议 138 123 456",
    "会议号 123-456-789",
    "版本 2.13.8",
    # masked numbers
    "159****1842",
    "330327********3454",
    "622202******7894",
]

CLEAN_TABLE_ROWS: list[tuple[str, ...]] = [
    ("1", "张*明", "3", "1,200.00", "2026-12-08"),
    ("2", "李*", "5", "800.00", "2026-12-08"),
    ("渡龙村", "156", "523", "1280.5"),
    ("合计", "1380", "4521", "13800.00"),
    ("1", "2026", "12", "08"),
    ("13", "14", "15", "16", "17", "18"),
    ("2026-12", "收入", "12345.67", "支出", "2345.60"),
    ("0577-64712345", "村委会"),
    ("330327102201", "渡龙村", "138"),
    ("138", "1234.50", "5678.00"),
    ("渡龙村", "156", "5230", "3400"),
    ("334", "138****0334", "1002.50"),  # a masked number beside figures stays masked
]


def clean_samples() -> list[tuple[str, str, Table | None]]:
    """(label, body, table) of each clean sample: every text as a body, and a few as a table."""
    samples: list[tuple[str, str, Table | None]] = [(text, text, None) for text in CLEAN_TEXTS]
    for row in CLEAN_TABLE_ROWS:
        header = tuple(f"列{i}" for i in range(1, len(row) + 1))
        samples.append((f"table row {row}", "", Table(header=header, rows=(row,))))
    return samples
