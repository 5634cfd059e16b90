"""`routing-analytics docs`: the dbt docs and the Great Expectations Data Docs, offline.

Both sites are written under <state dir>/docs and served on 127.0.0.1 only. The Data Docs
pages load Bootstrap, jQuery and Font Awesome from CDNs; with no internet they lose their
styling. The same libraries come from PyPI (xstatic packages, installed with the project):
they are copied next to the pages and every page is rewritten to use the local copies. The
remaining CDN tags (charts, table filters) only add extras and are removed, so that a page
never waits for a host it cannot reach.
"""

from __future__ import annotations

import functools
import http.server
import os
import re
import shutil
import sys
from collections.abc import Callable
from pathlib import Path

import xstatic.pkg.bootstrap
import xstatic.pkg.font_awesome
import xstatic.pkg.jquery

from routing_analytics.platform.config import Settings
from routing_analytics.platform.errors import TerminalError
from routing_analytics.warehouse.dbt import run_dbt
from routing_analytics.warehouse.relations import PUBLISHED_SCHEMA

VENDOR = "vendor"
# CDN address (its stable part) -> the local copy, relative to the vendor folder.
LOCAL_COPIES = {
    "bootstrap/4.3.1/css/bootstrap.min.css": "bootstrap/css/bootstrap.min.css",
    "bootstrap/4.3.1/js/bootstrap.min.js": "bootstrap/js/bootstrap.bundle.min.js",
    "jquery-3.7.1.min.js": "jquery/jquery.min.js",
    "font-awesome/6.6.0/css/all.min.css": "font-awesome/css/all.min.css",
}
# A script or link tag (with the closing tag of an empty script). Each attempt reads at most
# one bounded tag: linear on any page; a longer "tag" is not one GX writes, and stays as is.
TAG = re.compile(r"<(?:script|link)\b[^<>]{0,2000}>(?:[ \t\r\n]{0,100}</script>)?")
ADDRESS = re.compile(r"(?:src|href)=\"(https?://[^\"]*)\"")
REMOTE_IMAGES = "https://great-expectations-web-assets.s3.us-east-2.amazonaws.com/"
INDEX_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Routing analytics docs</title>
<link rel="stylesheet" href="data-docs/{vendor}/bootstrap/css/bootstrap.min.css"></head>
<body class="container py-4">
<h1>Routing analytics warehouse</h1>
<ul>
<li><a href="dbt/index.html">dbt docs</a>: every model, column, test and the lineage</li>
<li><a href="data-docs/index.html">Great Expectations Data Docs</a>: the contract of raw
and analytics, and the last validation</li>
</ul></body></html>
"""


def build_docs(settings: Settings) -> Path:
    """Generate both sites; returns the folder that holds them."""
    root = settings.state_dir / "docs"
    dbt_dir = root / "dbt"
    if run_dbt(settings, ["docs", "generate", "--target-path", str(dbt_dir), "--quiet"]) != 0:
        raise TerminalError("dbt docs generate failed; see its output")
    data_docs = root / "data-docs"
    shutil.rmtree(data_docs, ignore_errors=True)
    from routing_analytics.operations.expectations import validate  # noqa: PLC0415  (2 s import)

    validate(settings.database_url, PUBLISHED_SCHEMA, data_docs)
    make_offline(data_docs)
    (root / "index.html").write_text(INDEX_PAGE.format(vendor=VENDOR))
    return root


def make_offline(site: Path) -> None:
    """Copy the libraries into `site` and point every page at them."""
    vendor = site / VENDOR
    for name, package in (
        ("bootstrap", xstatic.pkg.bootstrap),
        ("jquery", xstatic.pkg.jquery),
        ("font-awesome", xstatic.pkg.font_awesome),
    ):
        shutil.copytree(package.BASE_DIR, vendor / name, dirs_exist_ok=True)
    for page in site.rglob("*.html"):
        prefix = Path(os.path.relpath(site, page.parent)).as_posix()
        page.write_text(offline_html(page.read_text(), prefix))


def offline_html(html: str, site_prefix: str) -> str:
    """The page with local copies for the CDN libraries and no other remote tag."""

    def local_or_none(match: re.Match[str]) -> str:
        tag = match.group(0)
        address = ADDRESS.search(tag)
        if address is None:
            return tag
        url = address.group(1)
        for remote, local in LOCAL_COPIES.items():
            if url.endswith(remote):
                path = f"{site_prefix}/{VENDOR}/{local}"
                if tag.startswith("<script"):
                    return f'<script src="{path}"></script>'
                return f'<link rel="stylesheet" href="{path}">'
        return ""

    html = TAG.sub(local_or_none, html)
    return html.replace(REMOTE_IMAGES, f"{site_prefix}/static/images/")


def serve(root: Path, port: int, on_ready: Callable[[tuple[str, int]], None] | None = None) -> None:
    """Serve `root` on 127.0.0.1 until interrupted (Ctrl-C)."""
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(root))
    with http.server.ThreadingHTTPServer(("127.0.0.1", port), handler) as server:
        host, bound_port = server.server_address[:2]
        host = host.decode() if isinstance(host, bytes) else host
        print(f"serving the docs on http://{host}:{bound_port}/ (Ctrl-C stops)", flush=True)
        if on_ready is not None:
            on_ready((str(host), int(bound_port)))
        try:
            server.serve_forever()
        except KeyboardInterrupt:
            print("stopped", file=sys.stderr)
