"""``oms accounting …``: connect a tenant to its accounting system, list and resend documents."""

from __future__ import annotations

import getpass
from datetime import date
from pathlib import Path
from typing import Annotated

import typer

from oms.accounting import exports, queries, service
from oms.accounting.schemas import ConnectionIn
from oms.accounting.sinks import quickbooks, u8
from oms.accounting.sinks.files import write_voucher_file
from oms.accounting.sinks.registry import SinkName
from oms.core.cli import database, exit_on_app_error, print_json
from oms.core.context import Actor
from oms.core.paging import PageRequest

__all__ = ["SECRET_VARIABLE", "TOKEN_VARIABLE", "accounting_app"]

# The token is read from this variable (or typed at the prompt), never from the command line
# history: an option value would be visible in ``ps`` and shell history.
TOKEN_VARIABLE = "QBO_ACCESS_TOKEN"  # noqa: S105 (a variable name, not a secret)
REFRESH_VARIABLE = "QBO_REFRESH_TOKEN"
CLIENT_SECRET_VARIABLE = "QBO_CLIENT_SECRET"  # noqa: S105 (a variable name)
SECRET_VARIABLE = "ERP_APP_SECRET"  # noqa: S105 (Kingdee app secret, U8 app secret)
_URLS = {
    "quickbooks": quickbooks.PRODUCTION_URL,
    "kingdee": "https://api.kingdee.com/galaxyapi/",
    "u8": u8.PRODUCTION_URL,
}

accounting_app = typer.Typer(
    help="Accounting sinks (QuickBooks Online, Kingdee, U8): connect, show, documents, resend",
    no_args_is_help=True,
)
Tenant = Annotated[str, typer.Option(help="tenant id")]
Sink = Annotated[SinkName, typer.Option(help="the accounting system")]


@accounting_app.command("connect")
def connect(
    tenant: Tenant,
    realm: Annotated[
        str | None,
        typer.Option(
            "--realm",
            "--company",
            help="company: QuickBooks realm id, Kingdee data centre (acctId), U8 to_account",
        ),
    ] = None,
    token: Annotated[
        str | None,
        typer.Option(
            envvar=[TOKEN_VARIABLE, SECRET_VARIABLE],
            prompt=True,
            hide_input=True,
            show_envvar=True,
            help="QuickBooks access token, Kingdee app secret (or password), U8 app secret;"
            " stored sealed",
        ),
    ] = None,
    sink: Sink = "quickbooks",
    base_url: Annotated[
        str | None, typer.Option(help="API base (default: the sink's public one)")
    ] = None,
    item: Annotated[str, typer.Option(help="item (ItemRef) receipt lines book to")] = "1",
    refund_account: Annotated[
        str | None, typer.Option(help="account (DepositToAccountRef) refunds are paid from")
    ] = None,
    refresh_token: Annotated[
        str | None,
        typer.Option(
            envvar=REFRESH_VARIABLE,
            show_envvar=True,
            hidden=True,
            help="QuickBooks OAuth refresh token (stored sealed; read from the variable)",
        ),
    ] = None,
    client_secret: Annotated[
        str | None,
        typer.Option(
            envvar=CLIENT_SECRET_VARIABLE,
            show_envvar=True,
            hidden=True,
            help="QuickBooks OAuth client secret (stored sealed; read from the variable)",
        ),
    ] = None,
    setting: Annotated[
        list[str] | None,
        typer.Option(
            "--set", help="a sink setting KEY=VALUE (repeat): user, app_id, account_book, …"
        ),
    ] = None,
) -> None:
    """Set the tenant's connection; prints it without the token."""
    given = ConnectionIn(
        sink=sink,
        company_id=realm,
        token=token,
        base_url=base_url or _URLS[sink],
        item_ref=item,
        account_ref=refund_account,
        settings=_settings(setting or []),
        refresh_token=refresh_token,
        client_secret=client_secret,
    )
    with exit_on_app_error():
        out = service.connect_sink(database(), tenant_id=tenant, given=given)
    print_json(out)


@accounting_app.command("show")
def show(tenant: Tenant, sink: Sink = "quickbooks") -> None:
    """Show the tenant's connection without its token."""
    with exit_on_app_error():
        print_json(queries.get_connection(database(), tenant, sink))


@accounting_app.command("documents")
def documents(
    tenant: Tenant,
    status: Annotated[str | None, typer.Option(help="pending, sent or rejected")] = None,
    limit: Annotated[int, typer.Option(min=1, max=200)] = 50,
    cursor: Annotated[str | None, typer.Option(help="next_cursor of the previous page")] = None,
) -> None:
    """List the documents sent (or to send), newest first."""
    with exit_on_app_error():
        page = queries.document_page(
            database(), tenant_id=tenant, status=status, page=PageRequest(limit, cursor)
        )
    print_json(page)


@accounting_app.command("resend")
def resend(tenant: Tenant, document: Annotated[str, typer.Option(help="document id")]) -> None:
    """Send a rejected document again under the same id (never a second document)."""
    actor = Actor(tenant_id=tenant, principal=f"cli:{getpass.getuser()}", role="finance")
    with exit_on_app_error():
        print_json(service.resend_document(database(), actor, document_id=document))


@accounting_app.command("export")
def export(
    tenant: Tenant,
    out: Annotated[Path, typer.Option(help="file: .xlsx/.csv (kingdee), .txt/.csv (u8)")],
    sink: Annotated[str, typer.Option(help="kingdee or u8 (a delivery=file connection)")],
    since: Annotated[str | None, typer.Option(help="first day, YYYY-MM-DD")] = None,
    until: Annotated[str | None, typer.Option(help="last day, YYYY-MM-DD")] = None,
    again: Annotated[str | None, typer.Option(help="write this export id's vouchers again")] = None,
) -> None:
    """Write the pending vouchers of a file-delivery connection as the system's import file.

    Each document is exported once (it becomes sent); ``--again EXPORT_ID`` rewrites an export.
    """
    if sink not in ("kingdee", "u8"):
        raise typer.BadParameter("kingdee or u8", param_hint="--sink")
    if out.suffix.lower() not in {"kingdee": (".xlsx", ".csv"), "u8": (".txt", ".csv")}[sink]:
        raise typer.BadParameter(f"not a {sink} import file: {out.name}", param_hint="--out")
    actor = Actor(tenant_id=tenant, principal=f"cli:{getpass.getuser()}", role="finance")
    with exit_on_app_error():
        taken = exports.export_vouchers(
            database(),
            actor,
            sink=sink,
            since=_day(since, date.min),
            until=_day(until, date.max),
            again=again,
        )
    entries = write_voucher_file(sink, taken.vouchers, taken.settings, out)
    print_json(
        {
            "export_id": taken.export_id,
            "vouchers": len(taken.vouchers),
            "entries": entries,
            "file": str(out),
        }
    )


def _day(text: str | None, default: date) -> date:
    if text is None:
        return default
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise typer.BadParameter(f"{text!r} is not YYYY-MM-DD") from None


def _settings(pairs: list[str]) -> dict[str, str]:
    settings = {}
    for pair in pairs:
        key, is_pair, value = pair.partition("=")
        if not is_pair or not key.strip():
            raise typer.BadParameter(f"{pair!r} is not KEY=VALUE", param_hint="--set")
        settings[key.strip()] = value.strip()
    return settings
