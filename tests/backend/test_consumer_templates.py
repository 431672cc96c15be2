"""The consumer pages' templates (product page, refusals, scan page, label sheets): every value they show is escaped and
its spoofing characters shown, in both languages; the words come from the catalogue.

The product page is rendered from a view model whose every text from outside (names, lot, serial, places, reasons,
steps, ids, the supply tree's labels...) is a distinct hostile value: markup, quotes and a right-to-left override.
Each must appear on the page escaped, with the override written out (``\\u202E``), never as it came: a template
printing one of them with ``|safe`` (or a value built as markup) fails here. The pages behind HTTP are checked in
tests/backend/test_product_page.py and, as a person sees them, in tests/web.
"""

from __future__ import annotations

import dataclasses
import re
from datetime import UTC, datetime
from html import escape

import pytest
from fastapi.testclient import TestClient

from backend.core.errors import P_, ProblemError
from backend.pages.templating import render
from backend.services import product_html as ph
from backend.services.labels import SignedLabel, label_sheet
from backend.services.product_page import OrgLabel
from backend.services.qr import CodeKey
from backend.services.scans import Checked, ScanStats
from supplychain.i18n import Lang
from supplychain.registry import BusinessRole
from tests.backend.test_qr import bearer

LANGS: tuple[Lang, ...] = ("zh-CN", "en")
HTML = {"Accept": "text/html"}
WHEN = datetime(2026, 11, 21, 2, 32, tzinfo=UTC)
MS = int(WHEN.timestamp() * 1000)


class Hostile:
    """Distinct hostile texts: ``next()`` gives one, ``shown`` lists how each must appear on a page."""

    def __init__(self) -> None:
        self.values: list[str] = []

    def __call__(self) -> str:
        value = f"<b{len(self.values)}>\"'&\u202eX"
        self.values.append(value)
        return value

    def expected(self, value: str) -> str:
        """Escaped as Jinja2 does (``&#34;``, ``&#39;``), the override written out."""
        return (
            escape(value.replace("\u202e", "\\u202E"), quote=True).replace("&quot;", "&#34;").replace("&#x27;", "&#39;")
        )

    def check(self, page: str) -> None:
        missing = [value for value in self.values if self.expected(value) not in page]
        assert not missing, f"not shown escaped: {missing}"
        assert "\u202e" not in page
        assert not re.search(r"<b\d", page), "a value was printed as markup"


def _view(h: Hostile) -> ph.ProductView:
    """A product page with every section and every text from outside hostile."""
    checked = Checked("copied", "regulator", MS)
    scans = ScanStats(scans=9, places=7, first_at=MS, serial=True, blocks=12, days=4, checked=checked)
    badge = ph.Badge(h(), "ok", 22, 40, 80)
    lapsed = ph.Badge(h(), "lapsed", 22, 60, 80)
    tree = ph.SupplyTree(
        360,
        200,
        (
            ph.TreeNode("serial", "product", h(), h(), 6, 6, 15, (), None),
            ph.TreeNode("lot", "green", h(), h(), 22, 50, 59, (badge, lapsed), "M12 21V59H23"),
        ),
    )
    chip = ph.Chip("ok", h())
    return ph.ProductView(
        name=h(),
        gtin=h(),
        lot=h(),
        serial=h(),
        recalled=True,
        product_name=h(),
        name_note=h(),
        made_at=WHEN,
        maker=h(),
        signed_by=h(),
        signed_version=3,
        recall=ph.RecallView(h(), MS, h()),
        verdict=ph.VerdictView("failed", "bad", h(), problems=h(), stale_minutes=5, truncated=True),
        cloned=ph.ClonedView(True, who=h(), at=MS),
        lapses=(
            ph.LapseView("after", h(), h(), h(), h(), h(), h(), h()),
            ph.LapseView("before", h(), h(), h(), h(), h(), h(), h()),
        ),
        damaged=(ph.DamagedView(h(), h(), h()),),
        damaged_count=1,
        authenticity=ph.AuthenticityView(
            issued_by=h(),
            issued_at=MS,
            scans=scans,
            count="9",
            first_now=True,
            lot_code=True,
            cleared_by=h(),
            cleared_at=MS,
            rule=ph.ScanRule(30, 12, 3, 4),
        ),
        journey=(ph.StepView("production", h(), h(), h(), WHEN, h(), h(), h()),),
        tree=tree,
        tree_rows=2,
        tree_left_out=3,
        green=ph.GreenView(True, h(), 37.5, h(), h(), h()),
        verification=(
            ph.CheckedStep(h(), h(), h(), h(), WHEN, (chip,)),
            ph.CheckedStep(h(), h(), None, "not shown: the record does not read", None, ()),
        ),
        summarised=ph.SummarisedView(2, 1, "1,000", (ph.LeftOut(h(), h(), h(), MS, h(), h(), ph.Chip("bad", h())),), 4),
        bundle_href=h(),
        bundle_name=h(),
        command=h(),
        chain_id=31337,
        registry=h(),
        trace_href=h(),
        links_href=h(),
        uri=h(),
    )


@pytest.mark.parametrize("lang", LANGS)
def test_every_value_of_the_product_page_is_escaped_and_shown(lang: Lang) -> None:
    h = Hostile()
    view = _view(h)
    page = render("product.html", lang, view=view)
    h.check(page)
    assert page.count('<g class="node"') == 2 and page.count('<g class="badge') == 2
    assert f'<html lang="{lang}">' in page


@pytest.mark.parametrize("lang", LANGS)
def test_the_spread_hint_and_a_verified_page_in_each_language(lang: Lang) -> None:
    h = Hostile()
    view = _view(h)
    spread = ph.ClonedView(False, days=30, active=4, blocks=12, scans="9+", places=7, first_at=MS)
    verified = ph.VerdictView("verified", "ok", "verified", records=6, organisations=3)
    page = render(
        "product.html", lang, view=_replace(view, cloned=spread, verdict=verified, recall=None, recalled=False)
    )
    words = {
        "zh-CN": [
            "已验证：每一步都有有效签名并已锚定在区块链上",
            "6 条记录，由 3 家企业",
            "可能是被复制的二维码",
            "（共 9+ 次，来自 7 个网络）",
            "流通历程",
            "供应链来源",
            "投入品绿色占比",
            "自己验证",
            "北京时间",
        ],
        "en": [
            "Verified: every step is validly signed",
            "6 records, signed by 3 organisations",
            "Possibly a copied code",
            "(9+ look-ups from 7 networks)",
            "Journey",
            "Where it came from",
            "Green share of its inputs",
            "Verify it yourself",
            "China Standard Time",
        ],
    }[lang]
    for word in words:
        assert word in page, word
    other = "Journey" if lang == "zh-CN" else "流通历程"
    assert other not in page
    assert f"<title>{h.expected(view.name)} · {'产品溯源' if lang == 'zh-CN' else 'Product trace'}</title>" in page


def _replace(view: ph.ProductView, **changes: object) -> ph.ProductView:
    return dataclasses.replace(view, **changes)  # type: ignore[arg-type]


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("status", [404, 400, 500])
def test_refusal_pages_escape_the_link_the_issuer_and_the_problem(lang: Lang, status: int) -> None:
    h = Hostile()
    uri, org, detail = h(), h(), h()
    exc = ProblemError(detail, status=status, id=uri)
    issuer = OrgLabel("6901234000017", {lang: org}, BusinessRole(0), registered=True)
    page = ph.render_refusal_page(exc, lang, issuer=issuer, path="/unused")
    shown = [uri, org] if status == 404 else [detail]
    h.values = shown
    h.check(page)
    heading = {404: ("未找到该产品码", "Code not found"), 400: ("链接无效", "Invalid link")}.get(status)
    expected = (
        heading[lang == "en"] if heading else ("出错了 (500)" if lang == "zh-CN" else "Something went wrong (500)")
    )
    assert f"<h1>{expected}</h1>" in page and f"<title>{expected}</title>" in page


@pytest.mark.parametrize("lang", LANGS)
def test_the_scan_page_escapes_its_paths(lang: Lang) -> None:
    h = Hostile()
    page = ph.render_scan_page(lang, script=h(), decoder=h(), wasm=h())
    h.check(page)
    assert (
        'data-msg-not-dl="这不是商品的 GS1 数字链接，不会打开：' if lang == "zh-CN" else "data-msg-opening="
    ) in page


def test_a_label_sheet_escapes_every_value() -> None:
    h = Hostile()
    name, signer, title = h(), h(), h()
    lot, serial = "<i>\"'&", "<u>"  # all in GS1 character set 82: a lot or serial may hold them
    codes = [(CodeKey("06901234000108", lot, f"{serial}{n}"), f"https://qr.example.cn/{n}?<x>") for n in range(30)]
    sheet = "".join(label_sheet(codes, product_name=name, title=title, signed_by=SignedLabel(name, signer, 1)))
    h.check(sheet)
    assert '<div class="v">&lt;i&gt;&#34;&#39;&amp;</div>' in sheet and '<div class="v">&lt;u&gt;29</div>' in sheet
    assert sheet.count('<section class="sheet">') == 2 and sheet.count('<div class="label">') == 30
    assert "<title>https://qr.example.cn/0?&lt;x&gt;</title>" in sheet
    assert '<body class="labels">' in sheet and 'class="lang"' not in sheet  # no header on paper


def test_a_label_sheet_streams_page_by_page() -> None:
    made: list[int] = []

    def codes() -> object:
        for n in range(200):
            made.append(n)
            yield CodeKey("06901234000108", "L1", f"{n:04d}"), f"https://qr.example.cn/{n}"

    chunks = label_sheet(codes())  # type: ignore[arg-type]
    first = next(chunks)
    assert first.startswith("<!DOCTYPE html>") and len(made) < 200  # sent before every label was made
    rest = "".join(chunks)
    assert len(made) == 200 and (first + rest).count('<div class="label">') == 200


def test_an_english_label_sheet_has_no_second_language() -> None:
    sheet = "".join(label_sheet([(CodeKey("06901234000108", "L1", "S1"), "https://qr.example.cn/1")], lang="en"))
    assert '<div class="k">GTIN</div>' in sheet and "<small>" not in sheet and '<html lang="en">' in sheet


# --- over HTTP: what reaches a page from the link, the profile, the store ---


def test_a_never_issued_link_with_markup_is_shown_escaped(client: TestClient) -> None:
    for lang, content_language in (("zh", "zh-CN"), ("zh-CN", "zh-CN"), ("en", "en"), ("en-US", "en"), ("x", "zh-CN")):
        answer = client.get("/01/06901234000306/21/%3Cscript%3E1", params={"lang": lang}, headers=HTML)
        assert answer.status_code == 404 and answer.headers["content-language"] == content_language
        assert f'<html lang="{content_language}">' in answer.text
        assert "<script" not in answer.text and "/21/%3Cscript%3E1</p>" in answer.text  # the link as it was asked


def test_an_invalid_link_with_a_bidi_control_is_shown_escaped(client: TestClient) -> None:
    answer = client.get("/01/06901234000306/21/%E2%80%AE%3Cb%3E", headers=HTML)
    assert answer.status_code == 400 and "链接无效" in answer.text
    assert "\u202e" not in answer.text and "<b>" not in answer.text and "&lt;b&gt;" in answer.text


def test_labels_show_a_hostile_name_escaped(client: TestClient, tokens: dict[str, str]) -> None:
    headers = bearer(tokens, "manufacturer")
    issued = client.post(
        "/qr/issue", json={"gtin": "06901234000108", "lot": "L<1>", "serials": ["S1"]}, headers=headers
    )
    assert issued.status_code in (200, 201), issued.text
    name = '<img src=x onerror=alert(1)>"\u202e'
    sheet = client.get(
        "/qr/labels", params={"gtin": "06901234000108", "lot": "L<1>", "productName": name}, headers=headers
    )
    assert sheet.status_code == 200, sheet.text
    assert "<img" not in sheet.text and "\u202e" not in sheet.text
    assert "&lt;img src=x onerror=alert(1)&gt;&#34;\\u202E" in sheet.text
    assert '<div class="v">L&lt;1&gt;</div>' in sheet.text


@pytest.mark.parametrize("lang", LANGS)
def test_the_verdict_says_how_deep_the_anchors_are(lang: Lang) -> None:
    from backend.services.product_page import AnchorDepth

    view = _view(Hostile())
    pending = ph.VerdictView("verified", "ok", "verified", records=3, organisations=1, depth=AnchorDepth(3, 1, 1))
    final = ph.VerdictView("verified", "ok", "verified", records=3, organisations=1, depth=AnchorDepth(3, 3, None))
    unknown = ph.VerdictView("verified", "ok", "verified", records=3, organisations=1)
    shown = {
        name: render("product.html", lang, view=_replace(view, verdict=verdict, recall=None, recalled=False))
        for name, verdict in (("pending", pending), ("final", final), ("unknown", unknown))
    }
    assert 'id="anchor-depth" data-final="false"' in shown["pending"]
    assert ("已锚定，目前 1 个确认" if lang == "zh-CN" else "Anchored, 1 confirmation so far") in shown["pending"]
    assert 'id="anchor-depth" data-final="true"' in shown["final"]
    assert ("锚定已最终确认" if lang == "zh-CN" else "Anchors final") in shown["final"]
    assert "anchor-depth" not in shown["unknown"]


def test_a_refusals_problem_is_in_the_pages_language_or_marked_english() -> None:
    """The detail of a refused link is said in the page's language where the catalogue has it; a parser's own
    English words are marked ``lang="en"`` on a Chinese page."""
    exc = ProblemError(P_("{uri} was not issued here", uri="https://id.example/01/1"), status=500)
    chinese, english = (ph.render_refusal_page(exc, lang, path="/x") for lang in LANGS)
    assert "<p>本平台未签发 https://id.example/01/1</p>" in chinese
    assert "<p>https://id.example/01/1 was not issued here</p>" in english
    parser = ProblemError("AI 10 is too long", status=400)
    assert '<p lang="en">AI 10 is too long</p>' in ph.render_refusal_page(parser, "zh-CN", path="/x")
    assert "<p>AI 10 is too long</p>" in ph.render_refusal_page(parser, "en", path="/x")
