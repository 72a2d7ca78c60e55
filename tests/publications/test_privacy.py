"""The personal-data gate's detector and the masking helpers.

Every positive sample must be found with the right kind and masked form (an ID with a wrong check
digit too: a mistyped ID is still someone's); every clean sample (dates, amounts, division codes,
landlines, masked numbers, ID-like numbers with an impossible birth date, Luhn-invalid card-length
numbers, numbers inside longer runs) must pass. Sample IDs and card numbers are made up. The
written-out variants of each class (separators, markup, other scripts, ...) are in
test_pii_corpus.py.
"""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from doorplate.publications.models import Table
from doorplate.publications.privacy import (
    Kind,
    Location,
    Part,
    find_numbers,
    guess_name_columns,
    has_masked_data,
    mask_name,
    mask_table,
    mask_text,
    scan,
)
from doorplate.workdays import working_days_after

PHONE, ID, CARD = Kind.PHONE, Kind.ID_NUMBER, Kind.BANK_CARD

POSITIVE = [
    # mobile numbers
    ("联系电话：13800138000", PHONE, "138****8000"),
    ("13912345678", PHONE, "139****5678"),
    ("手机 15088886666。", PHONE, "150****6666"),
    ("请致电16612345678咨询", PHONE, "166****5678"),
    ("17712345678", PHONE, "177****5678"),
    ("村委会18657712345", PHONE, "186****2345"),
    ("19912345678", PHONE, "199****5678"),
    ("14712345678", PHONE, "147****5678"),
    ("+86 13800138000", PHONE, "138****8000"),
    ("+8613800138000", PHONE, "138****8000"),
    ("008613800138000", PHONE, "138****8000"),
    ("0086-13800138000", PHONE, "138****8000"),
    ("138-0013-8000", PHONE, "138****8000"),
    ("138 0013 8000", PHONE, "138****8000"),
    ("１３８００１３８０００", PHONE, "138****8000"),
    ("Tel:13800138000", PHONE, "138****8000"),
    ("TEL13800138000", PHONE, "138****8000"),
    ("（13800138000）", PHONE, "138****8000"),
    ("13800138000/0577-64712345", PHONE, "138****8000"),
    ("13800138000转8", PHONE, "138****8000"),
    ("| 王* | 13800138000 |", PHONE, "138****8000"),
    # resident ID numbers (GB 11643)
    ("身份证号：330327199001011232", ID, "330327********1232"),
    ("11010519491231002X", ID, "110105********002X"),
    ("11010519491231002x", ID, "110105********002X"),
    ("440524188001010014", ID, "440524********0014"),
    ("330327200112314565", ID, "330327********4565"),
    ("510102198506150028", ID, "510102********0028"),
    ("650102197002281231", ID, "650102********1231"),
    ("810000199505051113", ID, "810000********1113"),
    ("330381196210103453", ID, "330381********3453"),
    ("420106201202295672", ID, "420106********5672"),  # born on a leap day
    ("210102198808080888", ID, "210102********0888"),
    ("370202199909099099", ID, "370202********9099"),
    ("530102197603143144", ID, "530102********3144"),
    ("33032719880218100X号", ID, "330327********100X"),
    ("330327 19900101 1232", ID, "330327********1232"),
    ("３３０３２７１９９００１０１１２３２", ID, "330327********1232"),
    ("710000198001010010", ID, "710000********0010"),
    ("身份证330327195711220006住址", ID, "330327********0006"),
    # a mistyped ID number (wrong check digit) is still someone's ID number
    ("330327199001011230", ID, "330327********1230"),
    ("110105194912310020", ID, "110105********0020"),
    ("510102198506150027", ID, "510102********0027"),
    # old 15-digit ID numbers
    ("身份证号330327900101123", ID, "330327*****1123"),
    ("110105491231002", ID, "110105*****1002"),
    # bank card numbers (Luhn)
    ("6222021234567894", CARD, "622202******7894"),
    ("62284804025648900", CARD, "622848*******8900"),
    ("621700123456789011", CARD, "621700********9011"),
    ("6217001234567890122", CARD, "621700*********0122"),
    ("4392250812345675", CARD, "439225******5675"),
    ("5123456789012346", CARD, "512345******2346"),
    ("2221001234567896", CARD, "222100******7896"),
    ("3568123456789013", CARD, "356812******9013"),
    ("9558801234567890128", CARD, "955880*********0128"),
    ("6013821234567890", CARD, "601382******7890"),
    ("4367421234567890129", CARD, "436742*********0129"),
    ("6222 0212 3456 7894", CARD, "622202******7894"),
    ("6222-0212-3456-7894", CARD, "622202******7894"),
    ("6217 0012 3456 7890 122", CARD, "621700*********0122"),
    ("６２２２０２１２３４５６７８９４", CARD, "622202******7894"),
    ("卡号：6222021234567894，开户行：农商行", CARD, "622202******7894"),
]

CLEAN = [
    # dates and times
    "2026-11-27",
    "2026年11月27日",
    "20261127",
    "2026/11/27 14:30",
    "20261127143000",
    "2026.11.27",
    "2021 2022 2023 2024",
    "2026-11-27 13:00—18:00",
    "13:80",
    # amounts
    "1,234,567.89",
    "12345678.90元",
    "合计：1,380,013,800.00元",
    "13.80%",
    "第13期",
    # division codes and other codes
    "330327100201",
    "330327",
    "330327100",
    "邮编325800",
    "6901234567892",
    "ISBN 978-7-5613-8000-1",
    "913303277049996228",  # a company's unified social credit code, not a card
    "v1.3.8000",
    "192.168.1.138",
    # landlines and service numbers
    "0577-64712345",
    "(0577)64712345",
    "057764712345",
    "0577 6471 2345",
    "64712345",
    "010-65521234",
    "400-800-8888",
    "12345政务热线",
    "95599",
    "110",
    "0577-68888888转8001",
    # masked already
    "138****8000",
    "138 **** 8000",
    "330327********1232",
    "622202******7894",
    "张*明",
    # ID-like numbers with an impossible date, or a wrong check digit and a birth before 1900
    "440524188001010019",
    "330327199013011234",
    "330327199002301234",
    # card-length numbers that are not cards
    "6222021234567895",
    "4392250812345670",
    "6217001234567890123",
    "1234567812345670",
    "7012345678123456",
    "8123456789012340",
    "账号 1203 2800 0920 0012 345",
    "12345678901234567890",
    # phone-like numbers that are part of something longer, or not mobiles
    "订单号201380013800012",
    "13800138000123",
    "213800138000",
    "No.2013800138000",
    "11800138000",
    "12345678901",
    "10086",
    "1380013800",
]


def test_enough_samples() -> None:
    assert len(set(text for text, _kind, _masked in POSITIVE)) >= 50
    assert len(set(CLEAN)) >= 50


@pytest.mark.parametrize(("text", "kind", "masked"), POSITIVE)
def test_positive_samples_are_found(text: str, kind: Kind, masked: str) -> None:
    assert [(m.kind, m.masked) for m in find_numbers(text)] == [(kind, masked)]
    assert [(f.kind, f.where, f.masked) for f in scan("公示", text, None)] == [
        (kind, Location(Part.BODY, line=1), masked)
    ]


@pytest.mark.parametrize("text", CLEAN)
def test_clean_samples_pass(text: str) -> None:
    assert find_numbers(text) == []
    assert scan(text, text, Table(header=(text,), rows=((text,),))) == []


def test_findings_are_located_in_title_body_lines_and_table_cells() -> None:
    table = Table(
        header=("户主", "身份证号", "金额"),
        rows=(
            ("张三明", "330327199001011232", "1,200.00"),
            ("李四", "330327********1232", "800.00"),
            ("王五", "6222021234567894", "13800138000"),
        ),
    )
    findings = scan(
        "联系13800138000",
        "第一行\n\n第三行 13912345678 和 11010519491231002X\n",
        table,
    )
    assert [(f.where, f.kind) for f in findings] == [
        (Location(Part.TITLE), PHONE),
        (Location(Part.BODY, line=3), PHONE),
        (Location(Part.BODY, line=3), ID),
        (Location(Part.TABLE, row=1, column=2), ID),
        (Location(Part.TABLE, row=3, column=2), CARD),
        (Location(Part.TABLE, row=3, column=3), PHONE),
    ]
    assert [f.message() for f in findings] == [
        "title: a mobile phone number (138****8000)",
        "body line 3: a mobile phone number (139****5678)",
        "body line 3: a resident ID number (110105********002X)",
        "table row 1, column 2: a resident ID number (330327********1232)",
        "table row 3, column 2: a bank card number (622202******7894)",
        "table row 3, column 3: a mobile phone number (138****8000)",
    ]


def test_a_header_cell_is_located_too() -> None:
    findings = scan("t", "", Table(header=("13800138000",), rows=()))
    assert [f.message() for f in findings] == [
        "table header, column 1: a mobile phone number (138****8000)"
    ]


def test_mask_text_masks_every_number_and_keeps_the_rest() -> None:
    assert mask_text(
        "王先生 13800138000、+86 139-1234-5678，身份证11010519491231002x，卡号6222 0212 3456 7894，"
        "座机0577-64712345，日期2026-11-27，金额1,234.50"
    ) == (
        "王先生 138****8000、+86 139****5678，身份证110105********002X，卡号622202******7894，"
        "座机0577-64712345，日期2026-11-27，金额1,234.50"
    )
    assert mask_text("138****8000") == "138****8000"


@pytest.mark.parametrize(
    ("name", "masked"),
    [
        ("张三明", "张*明"),
        ("张三", "张*"),
        ("欧阳小明", "欧**明"),
        ("司马相如君", "司***君"),
        ("阿卜杜·热合曼", "阿*****曼"),
        ("张", "*"),
        (" 王五 ", "王*"),
        ("张三、李四明", "张*、李*明"),
        ("张*明", "张*明"),
        ("张*", "张*"),
        ("", ""),
    ],
)
def test_mask_name(name: str, masked: str) -> None:
    assert mask_name(name) == masked


def test_guess_name_columns_from_the_header() -> None:
    header = ["序号", "村名", "户主姓名", "领取人", "身份证号", "金额", "收款人", "Name", "备注"]
    assert guess_name_columns(header) == [2, 3, 6, 7]


def test_mask_table_masks_numbers_everywhere_and_names_in_marked_columns() -> None:
    table = Table(
        header=("序号", "户主", "身份证号", "联系电话", "发放金额", "备注"),
        rows=(
            ("1", "张三明", "330327199001011232", "13800138000", "1,200.00", "渡龙村"),
            ("2", "李四", "11010519491231002X", "0577-64712345", "800.00", "代领人王五"),
        ),
    )
    assert mask_table(table, name_columns=[1]) == Table(
        header=("序号", "户主", "身份证号", "联系电话", "发放金额", "备注"),
        rows=(
            ("1", "张*明", "330327********1232", "138****8000", "1,200.00", "渡龙村"),
            ("2", "李*", "110105********002X", "0577-64712345", "800.00", "代领人王五"),
        ),
    )
    assert scan("t", "", mask_table(table, [1])) == []


def test_masked_data_is_still_personal_data() -> None:
    assert has_masked_data("t", "联系 138****8000", None)
    assert has_masked_data("t", "", Table(header=("户主",), rows=(("张*明",),)))
    assert has_masked_data("t", "", Table(header=("证件",), rows=(("330327********1232",),)))
    assert not has_masked_data("t", "本月**重点**工作", Table(header=("项目",), rows=(("修路",),)))
    assert not has_masked_data("t", "", Table(header=("备注",), rows=(("详见附件*",), ("*",))))


TZ = ZoneInfo("Asia/Shanghai")


@pytest.mark.parametrize(
    ("start", "expires"),
    [
        # Monday 10:00 local: Tue..Fri, Mon, Tue, Wed -> ends at Thursday 00:00 local.
        (datetime(2026, 11, 30, 10, 0, tzinfo=TZ), datetime(2026, 12, 10, 0, 0, tzinfo=TZ)),
        # Friday evening: the count starts on Monday.
        (datetime(2026, 12, 4, 20, 0, tzinfo=TZ), datetime(2026, 12, 16, 0, 0, tzinfo=TZ)),
        # Saturday: the same.
        (datetime(2026, 12, 5, 9, 0, tzinfo=TZ), datetime(2026, 12, 16, 0, 0, tzinfo=TZ)),
        # 20:00 UTC on Sunday is already Monday in China.
        (datetime(2026, 12, 6, 20, 0, tzinfo=UTC), datetime(2026, 12, 17, 0, 0, tzinfo=TZ)),
    ],
)
def test_seven_working_days(start: datetime, expires: datetime) -> None:
    result = working_days_after(start, 7, TZ)
    assert result == expires
    assert result.tzinfo is UTC
