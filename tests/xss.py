"""A corpus of XSS payloads and a checker for what could run in HTML, shared by every test that
pushes staff-written content (Markdown, table cells, titles) through to a page.

``problems`` parses the HTML the way a browser tokenises it (entities decoded, case folded) and
reports elements that run or load things, event handlers, styles and unsafe URLs. Pages that
legitimately hold forms or styles (the console) are compared against the same page without the
payloads: see ``new_problems``.
"""

from __future__ import annotations

import re
from collections import Counter
from html.parser import HTMLParser

FORBIDDEN_ELEMENTS = {
    "script", "iframe", "frame", "frameset", "object", "embed", "applet", "form", "input",
    "button", "textarea", "select", "style", "link", "meta", "base", "svg", "math", "template",
    "video", "audio", "source", "noscript", "xmp", "plaintext", "marquee",
}  # fmt: skip
URL_ATTRIBUTES = {"href", "src", "action", "formaction", "xlink:href", "background", "poster"}
SCHEME = re.compile(r"^([a-z][a-z0-9+.-]*):")

XSS_CORPUS = [
    "<script>alert(1)</script>",
    "<SCRIPT SRC=https://evil.example/x.js></SCRIPT>",
    "<scr<script>ipt>alert(1)</scr</script>ipt>",
    '<script type="text/javascript">document.cookie</script>',
    "<img src=x onerror=alert(1)>",
    '<img src="x" onerror="alert(1)">',
    "<IMG SRC=javascript:alert('XSS')>",
    "<img src=JaVaScRiPt:alert(1)>",
    '<img src="jav&#x09;ascript:alert(1)">',
    '<img src="&#106;&#97;&#118;&#97;&#115;&#99;&#114;&#105;&#112;&#116;&#58;alert(1)">',
    '<img src="data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+">',
    "<img src=http://insecure.example/a.png>",
    "<img src=//evil.example/a.png>",
    '<img """><script>alert(1)</script>">',
    "<img src=x:alert(alt) onerror=eval(src) alt=0>",
    '<a href="javascript:alert(1)">x</a>',
    '<a href="JAVASCRIPT:alert(1)">x</a>',
    '<a href=" javascript:alert(1)">x</a>',
    '<a href="java\tscript:alert(1)">x</a>',
    '<a href="jav&#x61;script:alert(1)">x</a>',
    '<a href="&#x6A;avascript&colon;alert(1)">x</a>',
    '<a href="vbscript:msgbox(1)">x</a>',
    '<a href="data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==">x</a>',
    '<a href="file:///etc/passwd">x</a>',
    '<a href="https://ok.example" onclick="alert(1)" onmouseover="alert(2)">x</a>',
    '<a href="https://ok.example" target="_blank" style="color:red">x</a>',
    "[click](javascript:alert(1))",
    "[click](JaVaScRiPt:alert(1))",
    "[click](jav&#x61;script:alert(1))",
    "[click](vbscript:msgbox(1))",
    "[click](data:text/html,<script>alert(1)</script>)",
    "[click](<javascript:alert(1)>)",
    '[click](https://ok.example "title" onclick=alert(1))',
    "![img](javascript:alert(1))",
    "![img](data:image/png;base64,iVBORw0KGgo=)",
    "![img](http://insecure.example/a.png)",
    "[ref]: javascript:alert(1)\n\n[ref]",
    "<javascript:alert(1)>",
    "<svg onload=alert(1)>",
    "<svg><script>alert(1)</script></svg>",
    '<svg><a xlink:href="javascript:alert(1)"><text>x</text></a></svg>',
    "<math><mtext><table><mglyph><style>"
    '<img src=x onerror="alert(1)">'
    "</style></mglyph></table></mtext></math>",
    '<math href="javascript:alert(1)">x</math>',
    "<iframe src=https://evil.example></iframe>",
    "<iframe srcdoc='<script>alert(1)</script>'></iframe>",
    "<object data=https://evil.example/x.swf></object>",
    "<embed src=https://evil.example/x.swf>",
    '<form action="https://evil.example"><input name=p><button>go</button></form>',
    '<button formaction="javascript:alert(1)">x</button>',
    "<style>body{background:url(javascript:alert(1))}</style>",
    '<p style="background:url(javascript:alert(1))">x</p>',
    '<div style="width: expression(alert(1))">x</div>',
    '<body onload="alert(1)">',
    '<details open ontoggle="alert(1)">x</details>',
    '<video><source onerror="alert(1)"></video>',
    "<!--<img src=x onerror=alert(1)>-->",
    "<!-- --!><img src=x onerror=alert(1)> -->",
    "<![CDATA[<script>alert(1)</script>]]>",
    '<noscript><p title="</noscript><img src=x onerror=alert(1)>"></noscript>',
    '<meta http-equiv="refresh" content="0;url=javascript:alert(1)">',
    '<base href="javascript:alert(1)//">',
    '<link rel="stylesheet" href="https://evil.example/x.css">',
    "<table background=javascript:alert(1)><tr><td>x</td></tr></table>",
    '<input type="image" src="javascript:alert(1)">',
    "<marquee onstart=alert(1)>x</marquee>",
    "<template><script>alert(1)</script></template>",
    "<xmp><script>alert(1)</script></xmp>",
    '<a href="https://ok.example"><img src=x onerror=alert(1)></a>',
    "| h |\n|---|\n| <img src=x onerror=alert(1)> |",
    "> <script>alert(1)</script>",
    "- [x](javascript:alert(1))\n- <a href=javascript:alert(2)>y</a>",
    "```\n<script>alert(1)</script>\n```",
    '<h1 onclick="alert(1)">heading</h1>',
    "<td style=color:red>x</td>",
    '<abbr title="x" onmouseover="alert(1)">x</abbr>',
    '<a href="ftp://files.example/a.exe">x</a>',
    "[mail](mailto:someone@example.cn)",
    '<a href="sms:10086?body=x">x</a>',
]


class _Collector(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.elements: list[tuple[str, list[tuple[str, str | None]]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.elements.append((tag, attrs))

    handle_startendtag = handle_starttag


def problems(html: str) -> list[str]:
    """What in ``html`` could run script, load an unsafe resource, or restyle the page."""
    parser = _Collector()
    parser.feed(html)
    parser.close()
    found = []
    for tag, attrs in parser.elements:
        if tag in FORBIDDEN_ELEMENTS:
            found.append(f"element {tag}")
        for name, value in attrs:
            if name.startswith("on") or name in ("style", "srcdoc", "formaction"):
                found.append(f"attribute {name} on {tag}")
            if name in URL_ATTRIBUTES and value is not None:
                compact = "".join(ch for ch in value if ch.isprintable() and not ch.isspace())
                scheme = SCHEME.match(compact.lower())
                allowed = ("https",) if tag == "img" else ("http", "https")
                if scheme and scheme.group(1) not in allowed:
                    found.append(f"{name}={value!r} on {tag}")
                if tag == "img" and not scheme and compact.startswith("//"):
                    found.append(f"{name}={value!r} on {tag}")
    return found


def new_problems(html: str, baseline: str) -> list[str]:
    """The problems in ``html`` that the same page without the payloads (``baseline``) lacks."""
    return sorted((Counter(problems(html)) - Counter(problems(baseline))).elements())
