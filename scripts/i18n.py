"""Keep the message catalogues in step with the code: extract, update, fill English, compile.

Usage: ``python scripts/i18n.py`` from the project root. Source strings are English, so the English
catalogue's translations are the source strings themselves; translators edit the Chinese one
(``doorplate/translations/zh_Hans_CN/LC_MESSAGES/messages.po``) and run this again.
"""

from __future__ import annotations

from pathlib import Path

from babel.messages.frontend import CommandLineInterface
from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parent.parent
TRANSLATIONS = ROOT / "doorplate" / "translations"
POT = ROOT / "build" / "messages.pot"
LOCALES = ("zh_Hans_CN", "en")


def pybabel(*args: str) -> None:
    CommandLineInterface().run(["pybabel", "-q", *args])


def fill_english() -> None:
    """English msgstr = msgid, so the English catalogue is complete by construction."""
    path = TRANSLATIONS / "en" / "LC_MESSAGES" / "messages.po"
    with path.open("rb") as f:
        catalog = read_po(f, locale="en")
    for message in catalog:
        if not message.id:
            continue
        if isinstance(message.id, str) and not message.string:
            message.string = message.id
        elif not isinstance(message.id, str) and not all(message.string):
            message.string = tuple(message.id)
        message.flags.discard("fuzzy")
    with path.open("wb") as f:
        write_po(f, catalog, width=100)


def main() -> None:
    POT.parent.mkdir(exist_ok=True)
    pybabel(
        "extract",
        "-F",
        str(ROOT / "babel.cfg"),
        "-k",
        "_l",
        "--no-location",
        "--sort-output",
        "-o",
        str(POT),
        str(ROOT),
    )
    for locale in LOCALES:
        po = TRANSLATIONS / locale / "LC_MESSAGES" / "messages.po"
        if po.exists():
            pybabel(
                "update",
                "-i",
                str(POT),
                "-d",
                str(TRANSLATIONS),
                "-l",
                locale,
                "-w",
                "100",
                "--no-fuzzy-matching",
            )
        else:
            pybabel("init", "-i", str(POT), "-d", str(TRANSLATIONS), "-l", locale, "-w", "100")
    fill_english()
    pybabel("compile", "-d", str(TRANSLATIONS), "--statistics")


if __name__ == "__main__":
    main()
