"""The buyer's tracking page, ``/track/{token}``: a signed link, no login, zh-CN or English
(``?lang=``, else the browser's Accept-Language, else zh-CN), made for a phone.

It shows the progress bar, every parcel's scans (tenant's zone), its status and sub-status in
the console's words, the arrival window with its uncertainty, and the order's history in buyer
words (``fulfilment.tracking.buyer``). A forged, tampered, expired or dead link is a 404 page.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse

from oms.console import formatting, i18n
from oms.console.deps import Db
from oms.fulfilment.tracking import buyer

__all__ = ["page_locale", "router"]

router = APIRouter(prefix="/track", include_in_schema=False)


def page_locale(lang: str | None, accept_language: str | None) -> str:
    """``?lang=`` (``zh-CN``, ``zh``, ``en``) first, then the browser's first language oms
    speaks, then zh-CN."""
    wanted = [lang] if lang else []
    weighted: list[tuple[float, int, str]] = []
    for part in (accept_language or "").split(",")[:20]:
        tag, _, params = part.strip().partition(";")
        weight = _weight(params)
        if tag and weight > 0:
            weighted.append((-weight, len(weighted), tag))
    wanted += [tag for _, _, tag in sorted(weighted)]
    for tag in wanted:
        name = tag.strip().lower()
        if name.startswith("en"):
            return "en"
        if name.startswith("zh"):
            return "zh-CN"
    return i18n.DEFAULT_LOCALE


def _weight(params: str) -> float:
    name, _, value = params.strip().partition("=")
    if name.strip() != "q":
        return 1.0
    try:
        return float(value)
    except ValueError:
        return 0.0


@router.get("/{token}", response_class=HTMLResponse)
def tracking_page(
    request: Request, db: Db, token: str, lang: Annotated[str | None, Query(max_length=16)] = None
) -> HTMLResponse:
    """The order's tracking as its buyer sees it; 404 for a link that is not genuine."""
    locale = page_locale(lang, request.headers.get("accept-language"))
    view = buyer.tracking_page(db, token)
    gettext = i18n.translations(locale).gettext
    html = (
        i18n.environment(locale)
        .get_template("track.html")
        .render(
            view=view,
            locale=locale,
            token=token,
            LANGUAGE_NAMES=i18n.LANGUAGE_NAMES,
            LOCALES=i18n.LOCALES,
            STEP_LABELS=i18n.BUYER_STEP_LABELS,
            EVENT_LABELS=i18n.BUYER_EVENT_LABELS,
            SOURCE_LABELS=i18n.BUYER_SOURCE_LABELS,
            TRACKING_STATUS_LABELS=i18n.TRACKING_STATUS_LABELS,
            TRACKING_SUB_STATUS_LABELS=i18n.TRACKING_SUB_STATUS_LABELS,
            local_time=formatting.local_time,
            eta_words=lambda s: (
                formatting.eta_words(s.eta_from, s.eta_to, view.now, view.timezone, locale, gettext)
                if view is not None
                else ""
            ),
        )
    )
    headers = {"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"}
    return HTMLResponse(html, status_code=200 if view else 404, headers=headers)
