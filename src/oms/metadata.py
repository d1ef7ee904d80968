"""All tables of all domains, imported in one place for Alembic and the tests."""

from __future__ import annotations

from oms.core import models as core_models
from oms.core.db import Base
from oms.fulfillment import models as fulfillment_models
from oms.inventory import models as inventory_models
from oms.orders import models as order_models
from oms.tickets import models as ticket_models
from oms.users import models as user_models

__all__ = ["metadata"]

# Importing the model modules registers their tables on Base.metadata.
_REGISTERED = (
    core_models,
    order_models,
    user_models,
    inventory_models,
    ticket_models,
    fulfillment_models,
)
metadata = Base.metadata
