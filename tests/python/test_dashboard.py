"""The ROI dashboard in a real browser: headless Chromium (Debian's, which `make test`
installs when missing), driven by Playwright, signs in with tenant A's token, waits for
the charts, and finds the API's figures for A on the page and none of tenant B's.
Screenshots at desktop and phone width go to target/ for a person to look at."""

from __future__ import annotations

import re
import shutil
from decimal import Decimal
from pathlib import Path

import httpx
import pytest
from conftest import Service
from playwright.sync_api import sync_playwright

pytestmark = pytest.mark.integration

CHROMIUM = "/usr/bin/chromium"
# Without these, Chromium tries to reach Google's hosts on this closed network.
CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SCREENSHOTS = Path(__file__).resolve().parents[2] / "target"


def shown_amount(text: str) -> Decimal:
    """'$1,234.56', '-$0.52' or '52 %' as the number it shows."""
    return Decimal(re.sub(r"[$,%\s]", "", text))


@pytest.fixture(scope="module")
def browser():
    if shutil.which(CHROMIUM) is None:
        pytest.fail(f"{CHROMIUM} is missing: `make test` installs Debian's chromium package")
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        yield launched
        launched.close()


def signed_in_page(browser, service: Service, tenant: str, width: int):
    page = browser.new_page(viewport={"width": width, "height": 900})
    page.goto(service.base_url + "/")
    page.fill("#token", service.token(tenant))
    page.click("button[type=submit]")
    page.wait_for_selector("body[data-charts-ready=true]", timeout=30_000)
    return page


def api(service: Service, path: str, tenant: str, **params: object) -> dict:
    answer = service.get(path, tenant, **params)
    assert answer.status_code == 200, answer.text
    return answer.json()


@pytest.mark.parametrize("width", [1280, 390])
def test_the_dashboard_shows_the_apis_figures_of_its_tenant_only(browser, service, width):
    owner, other = service.tenants[0], service.tenants[1]
    page = signed_in_page(browser, service, owner, width)
    SCREENSHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"dashboard-{width}px.png"), full_page=True)

    def figure(name: str) -> str:
        return page.inner_text(f"[data-figure={name}]").strip()

    savings = api(service, "/v1/savings", owner)
    roi = api(service, "/v1/roi", owner, days=30)
    providers = api(service, "/v1/providers", owner, days=7)
    assert figure("tenant") == owner
    assert figure("savings_headline") == savings["headline"]
    assert shown_amount(figure("savings_baseline")) == Decimal(savings["baseline_usd"])
    for name in ("total_cost", "baseline_cost", "total_savings", "savings_percentage"):
        assert shown_amount(figure(f"roi_{name}")) == Decimal(roi[name]), name
    assert int(figure("roi_tasks_completed")) == roi["tasks_completed"]
    assert figure("roi_most_efficient_provider") == roi["snapshot"]["most_efficient_provider"]
    table = [
        [cell.strip() for cell in line.split("\t")]
        for line in page.inner_text("[data-figure=providers] tbody").strip().splitlines()
    ]
    assert [(row[0], int(row[1]), shown_amount(row[2]), shown_amount(row[5])) for row in table] == [
        (
            row["provider"],
            row["tasks"],
            Decimal(row["success_rate_percentage"]),
            Decimal(row["avg_cost_usd"]),
        )
        for row in providers["rows"]
    ]
    # Five charts drawn, the page fits the screen, the token is out of the scripts' reach.
    assert page.locator(".plot .main-svg").count() >= 5
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    assert page.evaluate("document.cookie") == ""

    html = page.content()
    assert other not in html
    others_savings = api(service, "/v1/savings", other)["headline"]
    assert others_savings != savings["headline"]
    assert others_savings not in html
    page.close()


def test_a_bad_token_gets_the_sign_in_form_again(browser, service):
    page = browser.new_page()
    page.goto(service.base_url + "/")
    page.fill("#token", "not-a-token")
    page.click("button[type=submit]")
    assert "This token was not accepted" in page.inner_text("[role=alert]")
    assert page.locator("[data-figure]").count() == 0
    page.close()
    plain = httpx.get(service.base_url + "/", timeout=30)
    assert plain.status_code == 200
    assert "data-figure" not in plain.text
    assert "script-src 'self'" in plain.headers["content-security-policy"]
