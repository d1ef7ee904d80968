"""All tables of all domains, imported in one place for Alembic and the tests."""

from __future__ import annotations

from oms.accounting import models as accounting_models
from oms.alerts import models as alert_models
from oms.channels import models as channel_models
from oms.core import models as core_models
from oms.core.db import Base
from oms.feedback import models as feedback_models
from oms.finance import models as finance_models
from oms.finance.pulls import models as finance_pull_models
from oms.fulfilment import carrier_models
from oms.fulfilment import models as fulfilment_models
from oms.fulfilment.eta import models as eta_models
from oms.fulfilment.notify import models as notify_models
from oms.fulfilment.planning import models as planning_models
from oms.fulfilment.tracking import models as tracking_models
from oms.inventory import models as inventory_models
from oms.orders import models as order_models
from oms.payments import models as payment_models
from oms.refunds import models as refund_models
from oms.risk import models as risk_models
from oms.tickets import models as ticket_models
from oms.users import models as user_models
from oms.vouchers import models as voucher_models
from oms.webhooks import models as webhook_models

__all__ = ["metadata"]

# Importing the model modules registers their tables on Base.metadata.
_REGISTERED = (
    core_models,
    order_models,
    user_models,
    inventory_models,
    ticket_models,
    fulfilment_models,
    notify_models,
    tracking_models,
    carrier_models,
    planning_models,
    eta_models,
    channel_models,
    payment_models,
    refund_models,
    webhook_models,
    alert_models,
    finance_models,
    finance_pull_models,
    voucher_models,
    feedback_models,
    accounting_models,
    risk_models,
)
metadata = Base.metadata
