"""Bot detection: crawlers, previewers and HTTP libraries are flagged; phones and in-app browsers never are."""

import re

import pytest
from crawleruseragents import CRAWLER_USER_AGENTS_DATA

from campaigns.bots import (
    ADDED_PREFIXES,
    ADDED_WORDS,
    EXCLUDED_LIST_PATTERNS,
    LONGEST_REMEMBERED_AGENT,
    is_bot,
    matches_a_bot,
    words_and_rest,
)

# Real user agents of people: phones, desktop browsers and the in-app browsers campaign clicks come from.
PEOPLE = {
    "iPhone Safari": "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
                     "Version/17.5 Mobile/15E148 Safari/604.1",
    "iPhone Chrome": "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
                     "CriOS/126.0.6478.54 Mobile/15E148 Safari/604.1",
    "Android Chrome, reduced": "Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) "
                               "Chrome/126.0.0.0 Mobile Safari/537.36",
    "Galaxy S23 Chrome": "Mozilla/5.0 (Linux; Android 14; SM-S918B) AppleWebKit/537.36 (KHTML, like Gecko) "
                         "Chrome/124.0.6367.82 Mobile Safari/537.36",
    "Samsung Internet": "Mozilla/5.0 (Linux; Android 13; SAMSUNG SM-A536B) AppleWebKit/537.36 (KHTML, like Gecko) "
                        "SamsungBrowser/24.0 Chrome/117.0.0.0 Mobile Safari/537.36",
    "CUBOT phone": "Mozilla/5.0 (Linux; Android 11; CUBOT NOTE 20 PRO) AppleWebKit/537.36 (KHTML, like Gecko) "
                   "Chrome/140.0.0.0 Mobile Safari/537.36",
    "CUBOT phone, older": "Mozilla/5.0 (Linux; Android 9; CUBOT_X19 Build/PPR1.180610.011) AppleWebKit/537.36 "
                          "(KHTML, like Gecko) Chrome/100.0.0.0 Mobile Safari/537.36",
    "Windows Chrome": "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
                      "Chrome/126.0.0.0 Safari/537.36",
    "Windows Firefox": "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:127.0) Gecko/20100101 Firefox/127.0",
    "Mac Safari": "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) "
                  "Version/17.5 Safari/605.1.15",
    "Facebook iOS": "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
                    "Mobile/15E148 [FBAN/FBIOS;FBAV/468.0.0.39.107;FBBV/612218843;FBDV/iPhone15,2;FBMD/iPhone;"
                    "FBSN/iOS;FBSV/17.5;FBSS/3;FBID/phone;FBLC/en_US;FBOP/5;FBRV/614011281]",
    "Facebook Android": "Mozilla/5.0 (Linux; Android 14; Pixel 8 Build/AP1A.240505.005; wv) AppleWebKit/537.36 "
                        "(KHTML, like Gecko) Version/4.0 Chrome/125.0.6422.53 Mobile Safari/537.36 "
                        "[FB_IAB/FB4A;FBAV/466.0.0.44.109;]",
    "Facebook iOS, MetaIAB": "Mozilla/5.0 (iPhone; CPU iPhone OS 18_6_2 like Mac OS X) AppleWebKit/605.1.15 "
                             "(KHTML, like Gecko) Mobile/22G100 Safari/604.1 MetaIAB Facebook",
    "Facebook Android, MetaIAB": "Mozilla/5.0 (Linux; Android 16; Pixel 10 Pro XL Build/CP1A.260305.018; wv) "
                                 "AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/146.0.7680.174 "
                                 "Mobile Safari/537.36 MetaIAB Facebook",
    "Messenger Android": "Mozilla/5.0 (Linux; Android 11; RMX1931 Build/RKQ1.200928.002; wv) AppleWebKit/537.36 "
                         "(KHTML, like Gecko) Version/4.0 Chrome/93.0.4577.82 Mobile Safari/537.36 "
                         "[FB_IAB/Orca-Android;FBAV/331.0.0.15.119;]",
    "Instagram iOS": "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
                     "Mobile/15E148 Instagram 334.0.4.32.98 (iPhone15,2; iOS 17_5; en_US; en; scale=3.00; 1179x2556; "
                     "604495221)",
    "Instagram Android": "Mozilla/5.0 (Linux; Android 13; SM-G991B Build/TP1A.220624.014; wv) AppleWebKit/537.36 "
                         "(KHTML, like Gecko) Version/4.0 Chrome/124.0.6367.179 Mobile Safari/537.36 Instagram "
                         "331.0.0.37.90 Android (33/13; 420dpi; 1080x2400; samsung; SM-G991B; o1s; exynos2100; "
                         "en_GB; 601420827)",
    "Instagram Android on build AP3A.240617.008": "Mozilla/5.0 (Linux; Android 15; CPH2557 Build/AP3A.240617.008; wv) "
                                                  "AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 "
                                                  "Chrome/142.0.7444.142 Mobile Safari/537.36 Instagram "
                                                  "406.0.0.58.159 Android (35/15; 480dpi; 1080x2400; OPPO; CPH2557; "
                                                  "OP573DL1; mt6833; en_MY; 822918295; IABMV/1) NV/1",
    "Pinterest iOS": "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
                     "Mobile/15E148 [Pinterest/iOS]",
    "Pinterest Android": "Mozilla/5.0 (Linux; Android 12; SM-A525F Build/SP1A.210812.016; wv) AppleWebKit/537.36 "
                         "(KHTML, like Gecko) Version/4.0 Chrome/124.0.6367.113 Mobile Safari/537.36 "
                         "[Pinterest/Android]",
    "X for iPhone": "Mozilla/5.0 (iPhone; CPU iPhone OS 16_6 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
                    "Mobile/15E148 Twitter for iPhone/10.3",
    "X for Android": "Mozilla/5.0 (Linux; Android 13; Pixel 7 Build/TQ3A.230805.001; wv) AppleWebKit/537.36 "
                     "(KHTML, like Gecko) Version/4.0 Chrome/115.0.5790.166 Mobile Safari/537.36 TwitterAndroid",
    "KakaoTalk iOS": "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
                     "Mobile/15E148 KAKAOTALK 10.8.5",
    "KakaoTalk Android": "Mozilla/5.0 (Linux; Android 14; SM-S911N Build/UP1A.231005.007; wv) AppleWebKit/537.36 "
                         "(KHTML, like Gecko) Version/4.0 Chrome/125.0.6422.165 Mobile Safari/537.36;KAKAOTALK "
                         "2410430",
    "LINE iOS": "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
                "Mobile/15E148 Safari Line/14.9.0",
    "LINE Android": "Mozilla/5.0 (Linux; Android 13; SO-51C Build/64.1.C.0.93; wv) AppleWebKit/537.36 "
                    "(KHTML, like Gecko) Version/4.0 Chrome/124.0.6367.179 Mobile Safari/537.36 Line/14.8.1/IAB",
    "NAVER app iOS": "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
                     "Mobile/15E148 NAVER(inapp; search; 2000; 12.6.3; 15PRO)",
    "Snapchat iOS": "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
                    "Mobile/15E148 Snapchat/13.0.0.40 (like Safari/8617.2.4.10.8, panda)",
    "WeChat iOS": "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
                  "Mobile/15E148 MicroMessenger/8.0.49(0x18003137) NetType/WIFI Language/en",
}

BOTS = {
    "Facebook previewer": "facebookexternalhit/1.1 (+http://www.facebook.com/externalhit_uatext.php)",
    "Facebook catalog": "facebookcatalog/1.0",
    "Facebot": "Facebot",
    "Meta crawler": "meta-externalagent/1.1 (+https://developers.facebook.com/docs/sharing/webmasters/crawler)",
    "X previewer": "Twitterbot/1.0",
    "Slack unfurler": "Slackbot-LinkExpanding 1.0 (+https://api.slack.com/robots)",
    "Slackbot": "Slackbot 1.0 (+https://api.slack.com/robots)",
    "Discord": "Mozilla/5.0 (compatible; Discordbot/2.0; +https://discordapp.com)",
    "Telegram": "TelegramBot (like TwitterBot)",
    "WhatsApp previewer": "WhatsApp/2.23.20.0",
    "WhatsApp previewer, Android": "WhatsApp/2.2412.54 A",
    "LinkedIn": "LinkedInBot/1.0 (compatible; Mozilla/5.0; Apache-HttpClient +http://www.linkedin.com)",
    "Skype": "Mozilla/5.0 (Windows NT 6.1; WOW64) SkypeUriPreview Preview/0.5 skype-url-preview@microsoft.com",
    "Iframely": "Iframely/1.3.1 (+https://iframely.com/docs/about)",
    "Embedly": "Mozilla/5.0 (compatible; Embedly/0.2; +http://support.embed.ly/)",
    "Reddit": "Mozilla/5.0 (compatible; redditbot/1.0; +http://www.reddit.com/feedback)",
    "Applebot": "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_5) AppleWebKit/605.1.15 (KHTML, like Gecko) "
                "Version/13.1.1 Safari/605.1.15 (Applebot/0.1; +http://www.apple.com/go/applebot)",
    "KakaoTalk scraper": "facebookexternalhit/1.1; kakaotalk-scrap/1.0; +https://devtalk.kakao.com/t/scrap/33984",
    "Naver Yeti": "Mozilla/5.0 (compatible; Yeti/1.1; +http://naver.me/bot)",
    "Daum": "Mozilla/5.0 (compatible; Daum/4.1; +http://cs.daum.net/faq/15/4118.html?faqId=28966)",
    "LINE previewer": "facebookexternalhit/1.1;line-poker/1.0",
    "LINE crawler": "Mozilla/5.0 (compatible; Linespider/1.1; +https://lin.ee/4dwXkTH)",
    "Pinterest crawler": "Pinterestbot/1.0 (+http://www.pinterest.com/bot.html)",
    "Googlebot": "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
    "Bingbot": "Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)",
    "Headless Chrome": "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
                       "HeadlessChrome/125.0.0.0 Safari/537.36",
    "curl": "curl/8.5.0",
    "python-requests": "python-requests/2.32.0",
    "Go": "Go-http-client/1.1",
    "Wget": "Wget/1.21.4",
    "OkHttp": "okhttp/4.12.0",
    "httpx": "python-httpx/0.27.0",
    "urllib": "Python-urllib/3.11",
    "axios": "axios/1.7.2",
    "Java": "Java/17.0.10",
    "Perl": "libwww-perl/6.72",
    "empty": "",
}


@pytest.mark.parametrize("agent", PEOPLE.values(), ids=PEOPLE.keys())
def test_it_never_flags_people(agent):
    assert not is_bot(agent), "a person's click would lose its credit"


@pytest.mark.parametrize("agent", BOTS.values(), ids=BOTS.keys())
def test_it_flags_crawlers_previewers_and_http_libraries(agent):
    assert is_bot(agent)


def test_it_answers_the_same_for_long_agents_it_does_not_remember():
    padding = " x" * LONGEST_REMEMBERED_AGENT
    assert not is_bot(PEOPLE["iPhone Safari"] + padding)
    assert is_bot(PEOPLE["iPhone Safari"] + padding + " Googlebot/2.1")


def test_it_means_the_same_as_the_list_joined_plainly():
    """The trie is only a faster form: on every example the list gives, it agrees with the plain alternation."""
    patterns = [entry["pattern"] for entry in CRAWLER_USER_AGENTS_DATA
                if entry["pattern"] not in EXCLUDED_LIST_PATTERNS]
    plain = re.compile("|".join([*patterns, *map(re.escape, ADDED_WORDS),
                                 *(f"^{re.escape(prefix)}" for prefix in ADDED_PREFIXES)]))
    examples = [agent for entry in CRAWLER_USER_AGENTS_DATA for agent in entry.get("instances", [])]
    disagreements = [agent for agent in [*examples, *PEOPLE.values(), *BOTS.values()]
                     if agent and (plain.search(agent) is not None) != matches_a_bot(agent)]
    assert disagreements == []


def test_every_list_example_is_flagged_except_the_in_app_browsers_we_exclude():
    examples = [agent for entry in CRAWLER_USER_AGENTS_DATA for agent in entry.get("instances", [])]
    assert {agent for agent in examples if not is_bot(agent)} == {
        PEOPLE["Facebook Android, MetaIAB"], PEOPLE["Instagram Android on build AP3A.240617.008"]}


@pytest.mark.parametrize(("pattern", "words", "rest"), [
    ("Googlebot\\/", ["Googlebot/"], ""),
    ("[wW]get", ["wget", "Wget"], ""),
    ("Ahrefs(Bot|SiteAudit)", ["AhrefsBot", "AhrefsSiteAudit"], ""),
    ("Chirp|gotosocial", ["Chirp", "gotosocial"], ""),
    ("BlogTraffic\\/\\d\\.\\d+ Feed-Fetcher", ["BlogTraffic/"], "\\d\\.\\d+ Feed-Fetcher"),
    ("SSL Labs$", ["SSL Labs"], "$"),
    ("ab?c", ["a"], "b?c"),
    ("AdsBot-Google([^-]|$)", [""], "AdsBot-Google([^-]|$)"),
    ("(?i)bot", [""], "(?i)bot"),
])
def test_it_splits_list_patterns_into_plain_words_and_the_rest(pattern, words, rest):
    assert words_and_rest(pattern) == (words, rest)
