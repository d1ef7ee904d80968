"""The feedback page a customer opens from a link: no login, Chinese by default, ?lang=en."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

from fastapi import APIRouter, Form, Query
from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, select_autoescape

from oms.feedback import queries, service
from oms.feedback.schemas import PageState, PageView
from oms.http.deps import Db

__all__ = ["router"]

router = APIRouter(prefix="/feedback", tags=["feedback"], include_in_schema=False)
_ENV = Environment(
    loader=FileSystemLoader(Path(__file__).parent / "templates"), autoescape=select_autoescape()
)
Lang = Annotated[Literal["zh", "en"], Query()]
Answer = Annotated[Literal["yes", "no"], Form()]
_TEXT = {
    "zh": {
        "title": "退款服务评价",
        "order": "订单",
        "handled_promptly": "处理及时",
        "arrived_fast": "到账快",
        "yes": "是",
        "no": "否",
        "submit": "提交",
        "recorded": "感谢您的评价。",
        "already_recorded": "您的评价已记录。无需重复提交。",
        "invalid": "评价链接无效或已过期。",
    },
    "en": {
        "title": "How was your refund?",
        "order": "Order",
        "handled_promptly": "Handled promptly",
        "arrived_fast": "Money arrived fast",
        "yes": "Yes",
        "no": "No",
        "submit": "Send",
        "recorded": "Thank you for your feedback!",
        "already_recorded": "Your feedback was already recorded.",
        "invalid": "This feedback link is not valid or has expired.",
    },
}


def _render(view: PageView, lang: str, status: int = 200) -> HTMLResponse:
    text = _TEXT[lang]
    questions = [(field, text[field]) for field in ("handled_promptly", "arrived_fast")]
    html = _ENV.get_template("feedback.html").render(
        view=view, lang=lang, t=text, questions=questions
    )
    return HTMLResponse(html, status_code=404 if view.state == PageState.INVALID else status)


@router.get("/{token}")
def show(token: str, db: Db, lang: Lang = "zh") -> HTMLResponse:
    """The two questions, or why the link cannot be answered."""
    return _render(queries.feedback_page(db, token), lang)


@router.post("/{token}")
def answer(
    token: str, db: Db, handled_promptly: Answer, arrived_fast: Answer, lang: Lang = "zh"
) -> HTMLResponse:
    """Record the answer once; a repeated post says it was already recorded."""
    view = service.answer_feedback(
        db,
        token,
        is_handled_promptly=handled_promptly == "yes",
        is_arrived_fast=arrived_fast == "yes",
    )
    return _render(view, lang, 201 if view.state == PageState.RECORDED else 200)
