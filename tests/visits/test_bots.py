"""Previewers, crawlers and scripts are not visits; residents' browsers, in-app ones included, are.

Every pattern in :data:`doorplate.visits.bots.PATTERNS` has a real user agent here, and every
real browser below must pass all of them.
"""

from __future__ import annotations

import re

import pytest
from flask.testing import FlaskClient

from doorplate.visits import bots

from .conftest import Plates, open_plate, visits

BOTS = {
    r"WhatsApp/": "WhatsApp/2.23.20.0 A",
    r"TelegramBot": "TelegramBot (like TwitterBot)",
    r"Slackbot": "Slackbot-LinkExpanding 1.0 (+https://api.slack.com/robots)",
    r"Slack-ImgProxy": "Slack-ImgProxy (+https://api.slack.com/robots)",
    r"facebookexternalhit": "facebookexternalhit/1.1 "
    "(+http://www.facebook.com/externalhit_uatext.php)",
    r"Facebot": "facebookexternalhit/1.1 Facebot Twitterbot/1.0",  # iMessage
    r"facebookcatalog": "facebookcatalog/1.0",
    r"meta-externalagent": "meta-externalagent/1.1",
    r"Twitterbot": "Twitterbot/1.0",
    r"Discordbot": "Mozilla/5.0 (compatible; Discordbot/2.0; +https://discordapp.com)",
    r"LinkedInBot": "LinkedInBot/1.0 (compatible; Mozilla/5.0; Jakarta Commons-HttpClient/3.1)",
    r"SkypeUriPreview": "Mozilla/5.0 (Windows NT 6.1; WOW64) SkypeUriPreview Preview/0.5",
    r"redditbot": "Mozilla/5.0 (compatible; redditbot/1.0; +http://www.reddit.com/feedback)",
    r"Pinterestbot": "Mozilla/5.0 (compatible; Pinterestbot/1.0; "
    "+http://www.pinterest.com/bot.html)",
    r"vkShare": "Mozilla/5.0 (compatible; vkShare; +http://vk.com/dev/Share)",
    r"Embedly": "Mozilla/5.0 (compatible; Embedly/0.2; +http://support.embed.ly/)",
    r"Iframely": "Iframely/1.3.1 (+https://iframely.com/docs/about)",
    r"DingTalkBot": "DingTalkBot-LinkService/1.0",
    r"Googlebot": "Mozilla/5.0 (Linux; Android 6.0.1; Nexus 5X Build/MMB29P) AppleWebKit/537.36 "
    "(KHTML, like Gecko) Chrome/120.0.6099.216 Mobile Safari/537.36 (compatible; Googlebot/2.1; "
    "+http://www.google.com/bot.html)",
    r"Google-InspectionTool": "Mozilla/5.0 (compatible; Google-InspectionTool/1.0;)",
    r"GoogleOther": "GoogleOther",
    r"AdsBot-Google": "AdsBot-Google (+http://www.google.com/adsbot.html)",
    r"Mediapartners-Google": "Mediapartners-Google",
    r"Feedfetcher-Google": "FeedFetcher-Google; (+http://www.google.com/feedfetcher.html)",
    r"APIs-Google": "APIs-Google (+https://developers.google.com/webmasters/APIs-Google.html)",
    r"bingbot": "Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)",
    r"BingPreview": "Mozilla/5.0 (Windows NT 6.1; WOW64) AppleWebKit/534+ (KHTML, like Gecko) "
    "BingPreview/1.0b",
    r"msnbot": "msnbot/2.0b (+http://search.msn.com/msnbot.htm)",
    r"Baiduspider": "Mozilla/5.0 (compatible; Baiduspider/2.0; "
    "+http://www.baidu.com/search/spider.html)",
    r"Yandex\w*Bot": "Mozilla/5.0 (compatible; YandexMobileBot/3.0; +http://yandex.com/bots)",
    r"YandexImages": "Mozilla/5.0 (compatible; YandexImages/3.0; +http://yandex.com/bots)",
    r"Sogou[\w -]*spider": "Sogou web spider/4.0"
    "(+http://www.sogou.com/docs/help/webmasters.htm#07)",
    r"360Spider": "Mozilla/5.0 (Windows NT 6.1; WOW64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/50.0.2661.102 Safari/537.36; 360Spider",
    r"HaosouSpider": "Mozilla/5.0 (Windows NT 6.1; WOW64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/50.0.2661.102 Safari/537.36; HaosouSpider",
    r"Bytespider": "Mozilla/5.0 (Linux; Android 5.0) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Mobile Safari/537.36 (compatible; Bytespider; spider-feedback@bytedance.com)",
    r"YisouSpider": "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 "
    "(KHTML, like Gecko) Chrome/69.0.3497.81 YisouSpider/5.0 Safari/537.36",
    r"PetalBot": "Mozilla/5.0 (Linux; Android 7.0;) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Mobile Safari/537.36 (compatible; PetalBot;+https://webmaster.petalsearch.com/site/petalbot)",
    r"Applebot": "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/17.0 Safari/605.1.15 (Applebot/0.1)",
    r"DuckDuckBot": "DuckDuckBot/1.1; (+http://duckduckgo.com/duckduckbot.html)",
    r"Slurp": "Mozilla/5.0 (compatible; Yahoo! Slurp; http://help.yahoo.com/help/us/ysearch/slurp)",
    r"AhrefsBot": "Mozilla/5.0 (compatible; AhrefsBot/7.0; +http://ahrefs.com/robot/)",
    r"SemrushBot": "Mozilla/5.0 (compatible; SemrushBot/7~bl; +http://www.semrush.com/bot.html)",
    r"MJ12bot": "Mozilla/5.0 (compatible; MJ12bot/v1.4.8; http://mj12bot.com/)",
    r"DotBot": "Mozilla/5.0 (compatible; DotBot/1.2; help@moz.com)",
    r"GPTBot": "Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko); compatible; GPTBot/1.2",
    r"ChatGPT-User": "Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko); compatible; "
    "ChatGPT-User/1.0",
    r"OAI-SearchBot": "Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko); compatible; "
    "OAI-SearchBot/1.0",
    r"ClaudeBot": "Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko; compatible; ClaudeBot/1.0; "
    "claudebot@anthropic.com)",
    r"Claude-User": "Claude-User/1.0",
    r"PerplexityBot": "Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko; compatible; "
    "PerplexityBot/1.0)",
    r"CCBot": "CCBot/2.0 (https://commoncrawl.org/faq/)",
    r"Amazonbot": "Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko; compatible; Amazonbot/0.1) "
    "Chrome/119.0.6045.214 Safari/537.36",
    r"curl/": "curl/8.5.0",
    r"Wget/": "Wget/1.21.4",
    r"python-requests": "python-requests/2.32.3",
    r"python-urllib": "Python-urllib/3.11",
    r"python-httpx": "python-httpx/0.27.0",
    r"aiohttp": "Python/3.11 aiohttp/3.9.5",
    r"Go-http-client": "Go-http-client/1.1",
    r"okhttp": "okhttp/4.12.0",
    r"Java/": "Java/17.0.2",
    r"Apache-HttpClient": "Apache-HttpClient/4.5.14",
    r"libwww-perl": "libwww-perl/6.72",
    r"node-fetch": "node-fetch/1.0",
    r"axios/": "axios/1.6.8",
    r"Scrapy": "Scrapy/2.11.0",
    r"HeadlessChrome": "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "HeadlessChrome/120.0.6099.109 Safari/537.36",
    r"PhantomJS": "Mozilla/5.0 (Unknown; Linux x86_64) AppleWebKit/538.1 (KHTML, like Gecko) "
    "PhantomJS/2.1.1 Safari/538.1",
    r"Lighthouse": "Mozilla/5.0 (Linux; Android 11; moto g power (2022)) AppleWebKit/537.36 "
    "(KHTML, like Gecko) Chrome/119.0.0.0 Mobile Safari/537.36 Chrome-Lighthouse",
    r"spider": "EasouSpider",
    r"crawler": "ExampleCrawler/2.0",
    r"\+https?://": "Mozilla/5.0 (compatible; SomeFetcher/1.0; +https://fetcher.example.com)",
}

RESIDENTS = {
    "wechat-android": "Mozilla/5.0 (Linux; Android 12; V2134A Build/SP1A.210812.003; wv) "
    "AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/107.0.5304.141 Mobile "
    "Safari/537.36 XWEB/5023 MMWEBSDK/20230202 MMWEBID/2585 MicroMessenger/8.0.33.2320"
    "(0x2800213B) WeChat/arm64 Weixin NetType/4G Language/zh_CN ABI/arm64",
    "wechat-ios": "Mozilla/5.0 (iPhone; CPU iPhone OS 16_3 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Mobile/15E148 MicroMessenger/8.0.34(0x18002231) NetType/4G "
    "Language/zh_CN",
    "wecom": "Mozilla/5.0 (Linux; Android 11; M2012K11AC Build/RKQ1.200826.002; wv) "
    "AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/86.0.4240.99 XWEB/4317 "
    "MMWEBSDK/20220903 Mobile Safari/537.36 wxwork/4.1.0 MicroMessenger/7.0.1 NetType/WIFI "
    "Language/zh Lang/zh ColorScheme/Light",
    "qq-in-app": "Mozilla/5.0 (Linux; Android 13; PGT-AN10 Build/HONORPGT-AN10; wv) "
    "AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/89.0.4389.72 MQQBrowser/6.2 "
    "TBS/046701 Mobile Safari/537.36 V1_AND_SQ_8.9.78_4548_YYB_D QQ/8.9.78.12275 NetType/4G "
    "WebP/0.3.0 AppId/537175315 Pixel/1200 StatusBarHeight/108 SimpleUISwitch/0 QQTheme/1000",
    "qq-browser": "Mozilla/5.0 (Linux; U; Android 12; zh-cn; PFJM10 Build/SP1A.210812.016) "
    "AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/109.0.5414.86 MQQBrowser/14.2 "
    "Mobile Safari/537.36 COVC/046701",
    "mobile-safari": "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1",
    "chrome-android": "Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/124.0.0.0 Mobile Safari/537.36",
    "huawei": "Mozilla/5.0 (Linux; Android 12; HarmonyOS; NOH-AN00; HMSCore 6.11.0.302) "
    "AppleWebKit/537.36 (KHTML, like Gecko) Chrome/99.0.4844.88 HuaweiBrowser/14.0.2.311 Mobile "
    "Safari/537.36",
    "uc": "Mozilla/5.0 (Linux; U; Android 11; zh-CN; M2102J2SC Build/RKQ1.200826.002) "
    "AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/78.0.3904.108 "
    "UCBrowser/15.3.6.1226 Mobile Safari/537.36",
    "baidu-app": "Mozilla/5.0 (Linux; Android 10; ELE-AL00 Build/HUAWEIELE-AL00; wv) "
    "AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/76.0.3809.89 Mobile "
    "Safari/537.36 T7/13.32 SP-engine/2.70.0 baiduboxapp/13.32.0.10 (Baidu; P1 10) NABar/1.0",
    "quark": "Mozilla/5.0 (Linux; U; Android 13; zh-CN; 22081212C Build/TKQ1.220829.002) "
    "AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/100.0.4896.58 Quark/6.4.5.320 "
    "Mobile Safari/537.36",
    "sogou-browser": "Mozilla/5.0 (Linux; Android 10; PCT-AL10) AppleWebKit/537.36 "
    "(KHTML, like Gecko) Version/4.0 Chrome/68.0.3440.106 Mobile Safari/537.36 "
    "SogouMobileBrowser/5.28.14",
    "dingtalk": "Mozilla/5.0 (Linux; U; Android 12; zh-CN; V2183A Build/SP1A.210812.003) "
    "AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/69.0.3497.100 UWS/3.22.2.59 "
    "Mobile Safari/537.36 AliApp(DingTalk/7.0.40) com.alibaba.android.rimet/31136735",
    "miui": "Mozilla/5.0 (Linux; U; Android 13; zh-cn; 2206122SC Build/TKQ1.220829.002) "
    "AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/109.0.5414.118 Mobile "
    "Safari/537.36 XiaoMi/MiuiBrowser/17.7.220724 swan-mibrowser",
    "douyin": "Mozilla/5.0 (Linux; Android 12; ELS-AN00; wv) AppleWebKit/537.36 "
    "(KHTML, like Gecko) Version/4.0 Chrome/91.0.4472.114 Mobile Safari/537.36 aweme_230400 "
    "JsSdk/1.0 NetType/WIFI AppName/aweme app_version/23.4.0 BytedanceWebview/d8a21c6",
    "cubot-phone": "Mozilla/5.0 (Linux; Android 11; CUBOT NOTE 20) AppleWebKit/537.36 "
    "(KHTML, like Gecko) Chrome/120.0.0.0 Mobile Safari/537.36",
}


def test_every_pattern_has_a_real_user_agent_here() -> None:
    assert set(BOTS) == set(bots.PATTERNS)
    for pattern, user_agent in BOTS.items():
        assert re.search(pattern, user_agent, re.IGNORECASE), pattern


@pytest.mark.parametrize("user_agent", BOTS.values(), ids=BOTS.keys())
def test_previewers_crawlers_and_scripts_are_not_visits(
    client: FlaskClient, plates: Plates, user_agent: str
) -> None:
    assert open_plate(client, plates.tokens[0], user_agent=user_agent).status_code == 200
    assert visits() == []


@pytest.mark.parametrize("user_agent", RESIDENTS.values(), ids=RESIDENTS.keys())
def test_residents_browsers_are_visits(
    client: FlaskClient, plates: Plates, user_agent: str
) -> None:
    assert not bots.is_bot(user_agent)
    open_plate(client, plates.tokens[0], user_agent=user_agent)
    assert len(visits()) == 1
