"""Public pages: the site's front door, the page behind every plate's QR code, and the village's
posts (home, category lists, search, one post).

Everything below the plate page is addressed by the village's public code (``/v/<code>/...``):
a village's content is the same for all its households, so a link a resident shares carries no
plate token and reveals no address. None of these pages reads a household's name, phone or
count, or anything about bookings. Search engines are asked to stay away from all of them.
"""

from __future__ import annotations

from typing import Any

from flask import (
    Blueprint,
    abort,
    current_app,
    g,
    render_template,
    request,
    send_from_directory,
    url_for,
)
from flask.typing import ResponseReturnValue
from markupsafe import Markup
from werkzeug.exceptions import NotFound
from werkzeug.wrappers import Response

from doorplate import bounds, ratelimit
from doorplate.db import db, in_transaction, reading
from doorplate.i18n import chosen_lang
from doorplate.places import registry
from doorplate.places.models import Village
from doorplate.plates import service as plates
from doorplate.publications import attachments
from doorplate.publications import service as publications
from doorplate.publications.models import CATEGORY_LABELS, Category, Post
from doorplate.resident import content, page_cache, post_html
from doorplate.resident.preferences import large_text
from doorplate.search.service import find_posts as search_posts
from doorplate.security import csp_nonce
from doorplate.staff.access import load_current_staff
from doorplate.staff.models import StaffUser
from doorplate.staff.service import scope_of
from doorplate.visits import queue as visit_queue

bp = Blueprint("resident", __name__)


@bp.after_request
def _no_index(response: Response) -> Response:
    """Resident pages are for the household at the door, never for search engines."""
    response.headers["X-Robots-Tag"] = "noindex, nofollow"
    return response


@bp.context_processor
def _labels() -> dict[str, Any]:
    return {
        "categories": list(Category),  # home page order: 村务 党务 财务 政策 公示 通知
        "category_labels": CATEGORY_LABELS,
        "level_tags": content.LEVEL_TAGS,
        "per_category": content.LATEST_PER_CATEGORY,
    }


bp.add_app_template_filter(content.tel_uri)
bp.add_app_template_filter(post_html.keep_time_ranges)
bp.add_app_template_filter(post_html.is_total)


@bp.app_context_processor
def _content_lang() -> dict[str, Markup]:
    """``{{ zh }}`` on an element of Chinese content (a title, a post, a village's name): on the
    English interface it says ``lang="zh-CN"``, so a screen reader or read-aloud uses a Chinese
    voice for it; on the Chinese one the page's own language already does."""
    return {"zh": Markup("") if chosen_lang() == "zh" else Markup(' lang="zh-CN"')}


@bp.errorhandler(NotFound)
def _not_found(_error: NotFound) -> ResponseReturnValue:
    """An unknown village, category or post, or one not (or no longer) shown: one neutral page,
    with the village's call button and home when the address names a village."""
    code = (request.view_args or {}).get("code")
    village = registry.village_by_code(code) if isinstance(code, str) else None
    return render_template("resident/not_found.html", village=village), 404


@bp.get("/")
def index() -> str:
    """What someone who types the bare address sees: what this is and how to use their plate."""
    return render_template("resident/index.html", county_name=current_app.config["COUNTY_NAME"])


@bp.get("/favicon.ico")
def favicon() -> Response:
    """The site's icon where every browser asks for it (an SVG, a few hundred bytes), kept by
    browsers for a week instead of a 404 on every first visit."""
    response = send_from_directory(
        current_app.static_folder or "static", "favicon.svg", mimetype="image/svg+xml"
    )
    response.cache_control.public = True
    response.cache_control.max_age = 7 * 24 * 3600
    return response


@bp.get("/p/<path:token>")
@bp.get("/P/<path:token>")  # registered first, so url_for builds the uppercase form plates print
def plate(token: str) -> ResponseReturnValue:
    """The household's landing page: its address above its village's home.

    Unknown tokens all get the same 404 page, whatever was guessed (nothing is echoed back);
    a revoked plate gets a neutral 410. Staff of the plate's village who open it are offered to
    mark it installed, which is how plates get checked off door by door. The visit is recorded
    once the page has rendered, so only a 200 counts; staff checking plates are not visitors.

    This is the page a county-wide notice sends hundreds of scans a second to: one query reads
    the plate (without taking SQLite's write lock), the village's page comes from
    :mod:`~doorplate.resident.page_cache` filled with the household's values, and the visit is
    queued for :mod:`~doorplate.visits.queue` to record within a quarter of a second.
    """
    with reading():
        try:
            scanned = plates.scan(token)
        except plates.PlateRevoked as revoked:
            ratelimit.check(ratelimit.PLATE_LOOKUPS)
            village = registry.village_by_id(revoked.village_id) if revoked.village_id else None
            return render_template("resident/plate_gone.html", lang_next="/", village=village), 410
        except plates.PlateNotFound:
            ratelimit.check(ratelimit.PLATE_LOOKUPS)
            return render_template("resident/plate_unknown.html", lang_next="/"), 404
        load_current_staff()
        headers: dict[str, str] = {}
        if g.staff is None:
            key = (scanned.village_id, chosen_lang(), large_text())
            skeleton = page_cache.cached(key) or page_cache.keep(key, _village_skeleton(scanned))
            page = _fill(skeleton, scanned)
        else:
            page, may_install = _staff_plate_page(scanned, g.staff)
            # The install form posts to the console, and over HTTPS Flask-WTF refuses a post
            # without a same-site Referer; "same-origin" still sends nothing to other sites.
            if may_install:
                headers["Referrer-Policy"] = "same-origin"
    visit_queue.record_scan(
        scanned,
        method=request.method,
        staff=g.staff is not None,
        remote_addr=request.remote_addr,
        user_agent=request.headers.get("User-Agent", ""),
    )
    if in_transaction():  # the visit was recorded in the request
        db.session.commit()
    return page, 200, headers


def _village_skeleton(scanned: plates.Scanned) -> page_cache.Skeleton:
    """The village's plate page, rendered with placeholders for the household's values."""
    village = registry.village_by_id(scanned.village_id)
    return page_cache.render_with_placeholders(
        _render_plate_page, village=village, may_install=False, plate=None
    )


def _fill(skeleton: page_cache.Skeleton, scanned: plates.Scanned) -> str:
    return skeleton.fill(address=scanned.address, token=scanned.token, nonce=csp_nonce())


def _staff_plate_page(scanned: plates.Scanned, staff: StaffUser) -> tuple[str, bool]:
    """The page as staff see it, rendered afresh: their village's plates offer installation."""
    found = plates.plate_in_scope(scope_of(staff), scanned.plate_id)
    page = _render_plate_page(
        address=scanned.address,
        token=scanned.token,
        village=registry.village_by_id(scanned.village_id),
        may_install=found is not None,
        plate=found,
    )
    return page, found is not None


def _render_plate_page(*, address: str, token: str, village: Village, **context: Any) -> str:
    return render_template(
        "resident/plate.html",
        address=address,
        lang_next=url_for("resident.plate", token=token),
        services_url=url_for("bookings.services", token=token),
        village=village,
        latest=publications.latest_by_category(village, per_category=content.LATEST_PER_CATEGORY),
        **context,
    )


@bp.get("/v/<code>/")
def village_home(code: str) -> str:
    """The village's home without an address: what a shared link or a typed code opens.

    Not a plate scan, so no visit is recorded.
    """
    village = _village(code)
    latest = publications.latest_by_category(village, per_category=content.LATEST_PER_CATEGORY)
    return render_template("resident/village.html", village=village, latest=latest)


@bp.get("/v/<code>/c/<category>")
def category(code: str, category: str) -> str:
    """All of one category's posts the village sees, newest first, a page at a time."""
    village = _village(code)
    try:
        chosen = Category(category)
    except ValueError:
        abort(404)
    page = _page_number()
    found = publications.visible_posts(
        village, category=chosen, page=page, per_page=content.PER_PAGE
    )
    pager = _pager(page, found.total)
    return render_template(
        "resident/category.html", village=village, category=chosen, posts=found.posts, pager=pager
    )


@bp.get("/v/<code>/search")
def search(code: str) -> str:
    """Posts the village sees that match the words typed, best first (a plain GET form).

    Finding nothing is no dead end: the page offers the village's categories that have posts
    and the village office's phone.
    """
    village = _village(code)
    query = content.search_text(request.args.get("q"))
    page = _page_number()
    found = search_posts(village, query, page=page, per_page=content.PER_PAGE) if query else None
    suggested = []
    if found is not None and not found.total:
        with_posts = publications.latest_by_category(village, per_category=1)
        suggested = [category for category in Category if category in with_posts]
    return render_template(
        "resident/search.html",
        village=village,
        query=query,
        posts=found.posts if found else [],
        pager=_pager(page, found.total) if found else None,
        suggested=suggested,
    )


@bp.get("/v/<code>/posts/<int:post_id>")
def post(code: str, post_id: int) -> str:
    """One post as the village sees it; a draft, a scheduled or expired post, or another
    village's, is a 404 like an unknown id."""
    village = _village(code)
    found = publications.visible_post(village, post_id)
    if found is None:
        abort(404)
    table = found.table
    return render_template(
        "resident/post.html",
        village=village,
        post=found,
        body=post_html.for_phone(
            found.body_html,
            post_html.labels_for(found.title),
            village.office_phone,
            attachments.phone_sizes(list(found.attachments)),
        ),
        images=_photos_not_in_the_text(found),
        table=table,
        numeric=content.numeric_columns(table) if table else frozenset(),
        last_day=content.last_day(found),
    )


def _photos_not_in_the_text(post: Post) -> dict[int, tuple[int, int]]:
    """The sizes of the post's pictures to show below its text: those the text does not show
    already (``![…](/posts/<post>/files/<n>)``)."""
    return {
        file_id: size
        for file_id, size in attachments.phone_sizes(list(post.attachments)).items()
        if f'src="/posts/{post.id}/files/{file_id}"' not in post.body_html
    }


def _village(code: str) -> Village:
    village = registry.village_by_code(code)
    if village is None:
        abort(404)
    return village


def _page_number() -> int:
    """The page asked for; one that cannot be a page of any list is a 404, like one past the
    last (:func:`_pager`)."""
    try:
        return bounds.page_number(request.args)
    except bounds.BadInput:
        abort(404)


def _pager(page: int, total: int) -> content.Pager:
    """The pager, or a 404 for a page past the last (an old link after posts came down)."""
    pager = content.Pager(page=page, total=total)
    if page > pager.pages:
        abort(404)
    return pager
