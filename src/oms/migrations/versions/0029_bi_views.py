"""bi_views: SQL views for BI tools under row-level security (PostgreSQL only)

Revision ID: 0029_bi_views
Revises: 0028
Create Date: 2026-12-03 14:10:00

Schema ``bi`` holds one ``security_invoker`` view per published dataset (the columns of the
change feeds: no buyer names, phones, streets, IPs or devices). A tenant's read-only role is
named ``oms_bi_<tenant id without dashes>`` (``oms bi grant``); ``bi.current_tenant()`` reads
the tenant back from ``current_user``, which a session cannot change. Row-level security on the
base tables limits such a role to its tenant; every other role (the application's own, which
owns the tables and so bypasses it anyway, or a separate application role) sees every row.
On SQLite this migration does nothing.
"""

from __future__ import annotations

from alembic import op

revision = "0029_bi_views"
down_revision = "0028"
branch_labels = None
depends_on = None

_TABLES = ("orders", "order_lines", "payments", "refunds", "shipments")

_CURRENT_TENANT = r"""
CREATE FUNCTION bi.current_tenant() RETURNS text LANGUAGE sql STABLE PARALLEL SAFE AS $$
  SELECT CASE WHEN current_user ~ '^oms_bi_[0-9a-f]{32}$' THEN
    regexp_replace(substr(current_user, 8),
                   '^(.{8})(.{4})(.{4})(.{4})(.{12})$', '\1-\2-\3-\4-\5')
  END
$$
"""

_VIEWS = {
    "orders": """
SELECT o.tenant_id, o.id AS order_id, o.order_no, o.channel, o.external_id,
       CASE WHEN o.status = 'pending_payment' AND o.payment_due_at <= now()
            THEN 'cancelled' ELSE o.status END AS status,
       o.currency, o.subtotal, o.shipping_fee, o.discount, o.total, o.buyer_id,
       o.shipping_address ->> 'province' AS province, o.shipping_address ->> 'city' AS city,
       o.stock_shortage, o.placed_at, o.paid_at, o.shipped_at, o.delivered_at, o.completed_at,
       o.cancelled_at, o.closed_at, o.updated_at
FROM public.orders o""",
    "order_lines": """
SELECT l.tenant_id, l.order_id, l.line_no, o.order_no, o.channel, l.sku, l.name, l.qty,
       l.unit_price, l.line_total, l.short_qty, o.placed_at, o.updated_at
FROM public.order_lines l
JOIN public.orders o ON o.tenant_id = l.tenant_id AND o.id = l.order_id""",
    "payments": """
SELECT p.tenant_id, p.id AS payment_id, p.order_id, p.order_no, p.gateway, p.trade_no,
       p.status, p.amount, p.currency, p.gateway_paid_at, p.settled_at, p.created_at,
       p.updated_at
FROM public.payments p""",
    "refunds": """
SELECT r.tenant_id, r.id AS refund_id, r.order_id, r.order_no, r.channel, r.buyer_id,
       r.status, r.reason, r.scope, r.amount, r.currency, r.gateway, r.requested_at,
       r.refunded_at, r.failed_at, r.updated_at
FROM public.refunds r""",
    "shipments": """
SELECT s.tenant_id, s.id AS shipment_id, s.order_id, s.warehouse, s.carrier, s.tracking_no,
       s.status, s.tracking_status, s.tracking_sub_status, s.shipped_at, s.last_scan_at,
       s.eta_from, s.eta_to, s.created_at
FROM public.shipments s""",
}


def _postgres() -> bool:
    return op.get_bind().dialect.name == "postgresql"


def upgrade() -> None:
    if not _postgres():
        return
    op.execute("CREATE SCHEMA bi")
    op.execute(_CURRENT_TENANT)
    for table in _TABLES:
        op.execute(f"ALTER TABLE public.{table} ENABLE ROW LEVEL SECURITY")
        # As scalar subqueries the tenant is an InitPlan, computed once per statement rather
        # than per row (the function would otherwise be inlined into the row filter).
        op.execute(
            f"CREATE POLICY bi_tenant ON public.{table} USING "
            "((SELECT bi.current_tenant()) IS NULL OR tenant_id = (SELECT bi.current_tenant()))"
        )
    for name, body in _VIEWS.items():
        op.execute(f"CREATE VIEW bi.{name} WITH (security_invoker = true) AS {body}")


def downgrade() -> None:
    if not _postgres():
        return
    for name in _VIEWS:
        op.execute(f"DROP VIEW bi.{name}")
    for table in _TABLES:
        op.execute(f"DROP POLICY bi_tenant ON public.{table}")
        op.execute(f"ALTER TABLE public.{table} DISABLE ROW LEVEL SECURITY")
    op.execute("DROP FUNCTION bi.current_tenant()")
    op.execute("DROP SCHEMA bi")
