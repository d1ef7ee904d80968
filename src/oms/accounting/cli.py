"""``oms accounting …``: connect a tenant to its accounting system, list and resend documents."""

from __future__ import annotations

import getpass
from typing import Annotated

import typer

from oms.accounting import queries, service
from oms.accounting.schemas import ConnectionIn
from oms.accounting.sinks.quickbooks import PRODUCTION_URL
from oms.accounting.sinks.registry import SinkName
from oms.core.cli import database, exit_on_app_error, print_json
from oms.core.context import Actor
from oms.core.paging import PageRequest

__all__ = ["TOKEN_VARIABLE", "accounting_app"]

# The token is read from this variable (or typed at the prompt), never from the command line
# history: an option value would be visible in ``ps`` and shell history.
TOKEN_VARIABLE = "QBO_ACCESS_TOKEN"  # noqa: S105 (a variable name, not a secret)

accounting_app = typer.Typer(
    help="Accounting sinks (QuickBooks Online): connect, show, documents, resend",
    no_args_is_help=True,
)
Tenant = Annotated[str, typer.Option(help="tenant id")]
Sink = Annotated[SinkName, typer.Option(help="the accounting system")]


@accounting_app.command("connect")
def connect(
    tenant: Tenant,
    realm: Annotated[str | None, typer.Option(help="QuickBooks company (realm) id")] = None,
    token: Annotated[
        str | None,
        typer.Option(
            envvar=TOKEN_VARIABLE,
            prompt=True,
            hide_input=True,
            show_envvar=True,
            help="OAuth 2.0 access token (stored sealed)",
        ),
    ] = None,
    sink: Sink = "quickbooks",
    base_url: Annotated[str, typer.Option(help="API base (the sandbox's for tests)")] = (
        PRODUCTION_URL
    ),
    item: Annotated[str, typer.Option(help="item (ItemRef) receipt lines book to")] = "1",
    refund_account: Annotated[
        str | None, typer.Option(help="account (DepositToAccountRef) refunds are paid from")
    ] = None,
) -> None:
    """Set the tenant's connection; prints it without the token."""
    given = ConnectionIn(
        sink=sink,
        company_id=realm,
        token=token,
        base_url=base_url,
        item_ref=item,
        account_ref=refund_account,
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
