"""`routing-analytics docs`: both sites generated, and the Data Docs need no internet."""

from __future__ import annotations

import re
import subprocess
import sys
import threading
import urllib.request

import pytest

from routing_analytics.operations.docs import offline_html, serve

REMOTE_TAG = re.compile(r"<(?:script|link)[^>]*(?:src|href)=\"https?://", re.IGNORECASE)


@pytest.mark.integration
def test_docs_generates_both_sites_that_load_nothing_from_the_internet(warehouse, tmp_path):
    env = {**warehouse.env, "ANALYTICS_STATE_DIR": str(tmp_path)}
    result = subprocess.run(
        [sys.executable, "-m", "routing_analytics", "docs", "--no-serve"],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    root = tmp_path / "docs"
    assert (root / "dbt" / "index.html").is_file()
    assert (root / "dbt" / "catalog.json").is_file()
    pages = list((root / "data-docs").rglob("*.html"))
    assert len(pages) > 1
    for page in pages:
        html = page.read_text()
        assert REMOTE_TAG.search(html) is None, page
        for local in re.findall(r"(?:src|href)=\"([^\"]*vendor/[^\"]*)\"", html):
            assert (page.parent / local).resolve().is_file(), (page, local)
    assert "bootstrap.min.css" in pages[0].read_text()


def test_offline_html_keeps_the_libraries_it_has_and_drops_other_remote_tags():
    page = (
        '<link rel="stylesheet" href="https://maxcdn.bootstrapcdn.com/bootstrap/4.3.1/css/'
        'bootstrap.min.css"/>\n<script src="https://cdn.jsdelivr.net/npm/vega@5"></script>\n'
        '<script src="https://code.jquery.com/jquery-3.7.1.min.js"></script>\n'
        '<img src="https://great-expectations-web-assets.s3.us-east-2.amazonaws.com/logo.png">'
    )
    assert offline_html(page, "../..").splitlines() == [
        '<link rel="stylesheet" href="../../vendor/bootstrap/css/bootstrap.min.css">',
        "",
        '<script src="../../vendor/jquery/jquery.min.js"></script>',
        '<img src="../../static/images/logo.png">',
    ]


def test_offline_html_is_linear_on_a_hostile_page():
    page = "<script " + 'src="https://' * 200_000
    assert offline_html(page, ".") == page


def test_serve_answers_on_localhost_only(tmp_path):
    (tmp_path / "index.html").write_text("hello")
    ready = threading.Event()
    address: list[tuple[str, int]] = []

    def on_ready(bound: tuple[str, int]) -> None:
        address.append(bound)
        ready.set()

    server = threading.Thread(target=serve, args=(tmp_path, 0, on_ready), daemon=True)
    server.start()
    assert ready.wait(10)
    host, port = address[0]
    assert host == "127.0.0.1"
    with urllib.request.urlopen(f"http://{host}:{port}/index.html", timeout=10) as response:
        assert response.read() == b"hello"
