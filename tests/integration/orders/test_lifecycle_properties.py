"""Stateful property test of the order lifecycle against the real service layer.

A Hypothesis state machine places orders and throws lifecycle events at them: every event,
from several sources and roles, with occurred_at times that are sometimes older than before,
sometimes with an expected_version, while the clock moves (sometimes past the payment
deadline). A small model predicts each outcome, and after every step the stored order and its
timeline are read back and checked against the model and against the transition table.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from oms.core.audit import Outcome
from oms.core.auth import ROLE_PERMISSIONS, Role
from oms.core.clock import ManualClock
from oms.core.errors import AppError
from oms.core.uow import Database
from oms.orders import queries, service
from oms.orders.schemas import OrderEventIn, OrderOut, TimelineEntry
from oms.orders.states import (
    EVENT_PERMISSION,
    SYSTEM_EVENTS,
    TRANSITIONS,
    OrderEvent,
    OrderStatus,
    allowed_events,
)
from tests.fixtures.orders import order_create
from tests.fixtures.tenants import TenantKeys

TIMEOUT_SOURCE = "system:payment-timeout"
CHANNEL = "tmall"
CREATE_SOURCE = f"channel:{CHANNEL}"
PAYMENT_TIMEOUT = timedelta(seconds=900)  # create_tenant's default
SOURCES = ["api", CREATE_SOURCE, "psp:alipay", "wms:cainiao"]
ROLES = [str(role) for role in Role]
MAX_ORDERS = 3
# Events that end an order (or nearly): picked less often so orders live longer.
ENDINGS = {OrderEvent.CANCEL, OrderEvent.PAYMENT_TIMEOUT, OrderEvent.CLOSE}

# Distinct external ids across every example of every run in this process.
_external_ids = itertools.count(1)


@dataclass(frozen=True)
class Expected:
    """One timeline entry as the model predicts it."""

    event: str
    outcome: str
    source: str | None
    from_status: str | None
    to_status: str | None
    version_after: int | None
    error_code: str | None = None


@dataclass
class ModelOrder:
    """What the model expects one order to be."""

    id: str
    external_id: str | None
    payment_due_at: datetime
    status: OrderStatus = OrderStatus.PENDING_PAYMENT
    version: int = 1
    # (event, source, occurred_at) of every applied entry, the create included.
    applied: list[tuple[str, str | None, datetime]] = field(default_factory=list)
    timeline: list[Expected] = field(default_factory=list)
    attempts: int = 0  # calls made by the test that must each leave one entry
    timeouts: int = 0  # entries the system adds on its own

    def add(self, entry: Expected) -> None:
        self.timeline.append(entry)


def _offsets() -> st.SearchStrategy[timedelta | None]:
    seconds = st.one_of(
        st.sampled_from([-3600, -60, -1, 0, 1, 60]),
        st.integers(min_value=-7200, max_value=300),
    )
    millis = st.sampled_from([0, 0, 0, 1, 500, 999])
    return st.none() | st.builds(
        lambda s, ms: timedelta(seconds=s, milliseconds=ms), seconds, millis
    )


@dataclass(frozen=True)
class Command:
    """How an event is sent: by whom, from which source, when, against which version."""

    source: str
    offset: timedelta | None  # occurred_at relative to now; None sends no occurred_at
    version_choice: str  # "none", "current" (what the client last saw) or "other"
    other_version: int
    role: str


def _commands() -> st.SearchStrategy[Command]:
    return st.builds(
        Command,
        source=st.sampled_from(SOURCES),
        offset=_offsets(),
        version_choice=st.sampled_from(["none", "none", "current", "other"]),
        other_version=st.integers(min_value=1, max_value=12),
        # Mostly roles that may do everything, so orders get somewhere; sometimes any role.
        role=st.sampled_from(["admin", "integration", "admin", "integration", *ROLES]),
    )


class LifecycleMachine(RuleBasedStateMachine):
    """Places orders, applies events, moves the clock; checks the stored truth each step."""

    orders = Bundle("orders")

    def __init__(self, db: Database, clock: ManualClock, tenant: TenantKeys) -> None:
        super().__init__()
        self.db = db
        self.clock = clock
        self.tenant = tenant
        self.model: dict[str, ModelOrder] = {}

    # ---- the model ---------------------------------------------------------------------

    def _materialise(self, order: ModelOrder, now: datetime) -> None:
        """Every write on an unpaid order past its deadline first records the timeout."""
        if order.status != OrderStatus.PENDING_PAYMENT or order.payment_due_at > now:
            return
        order.status = OrderStatus.CANCELLED
        order.version += 1
        order.applied.append(
            (str(OrderEvent.PAYMENT_TIMEOUT), TIMEOUT_SOURCE, order.payment_due_at)
        )
        order.timeouts += 1
        order.add(
            Expected(
                event=str(OrderEvent.PAYMENT_TIMEOUT),
                outcome=Outcome.APPLIED,
                source=TIMEOUT_SOURCE,
                from_status=str(OrderStatus.PENDING_PAYMENT),
                to_status=str(OrderStatus.CANCELLED),
                version_after=order.version,
            )
        )

    def _predict(
        self,
        order: ModelOrder,
        role: str,
        event: OrderEvent,
        source: str,
        occurred_at: datetime | None,
        expected_version: int | None,
    ) -> tuple[str, str | None]:
        """(outcome, error code) the service should decide, following its documented rules.

        ``occurred_at`` None: the event is stamped at receipt and is never stale.
        """
        if event in SYSTEM_EVENTS:  # no role here is the system
            return Outcome.REJECTED, "ERR_AUTH_FORBIDDEN"
        if role not in ROLE_PERMISSIONS[EVENT_PERMISSION[event]]:
            return Outcome.REJECTED, "ERR_AUTH_FORBIDDEN"
        legal = order.status in TRANSITIONS[event]
        in_effect = order.status in TRANSITIONS[event].values() or any(
            applied_event == event for applied_event, _, _ in order.applied
        )
        if not legal and in_effect:
            return Outcome.DUPLICATE, None
        times = [when for _, src, when in order.applied if src == source]
        if occurred_at is not None and times and occurred_at < max(times):
            return Outcome.STALE, None
        if not legal:
            return Outcome.REJECTED, "ERR_ORDER_ILLEGAL_TRANSITION"
        changes = [when for applied_event, _, when in order.applied if applied_event != "create"]
        if occurred_at is not None and changes and occurred_at < changes[-1]:
            return Outcome.CONFLICT, "ERR_ORDER_STALE_EVENT"
        if expected_version is not None and expected_version != order.version:
            return Outcome.REJECTED, "ERR_ORDER_VERSION_MISMATCH"
        return Outcome.APPLIED, None

    # ---- rules -------------------------------------------------------------------------

    def _place(self, external_id: str | None, placed_back: int | None) -> ModelOrder:
        now = self.clock.now()
        placed_at = None if placed_back is None else now - timedelta(seconds=placed_back)
        data = order_create(channel=CHANNEL, external_id=external_id, placed_at=placed_at)
        placed = service.place_order(self.db, self.tenant.actor("integration"), data)
        assert placed.created
        order = ModelOrder(
            id=placed.order.id, external_id=external_id, payment_due_at=now + PAYMENT_TIMEOUT
        )
        order.applied.append(("create", CREATE_SOURCE, placed_at or now))
        order.attempts += 1
        order.add(
            Expected(
                event="create",
                outcome=Outcome.APPLIED,
                source=CREATE_SOURCE,
                from_status=None,
                to_status=str(OrderStatus.PENDING_PAYMENT),
                version_after=1,
            )
        )
        assert placed.order.status == OrderStatus.PENDING_PAYMENT
        assert placed.order.version == 1
        assert placed.order.payment_due_at == order.payment_due_at
        self.model[order.id] = order
        return order

    @initialize(target=orders, placed_back=st.none() | st.integers(0, 3600))
    def first_order(self, placed_back: int | None) -> str:
        return self._place(f"ext-{next(_external_ids)}", placed_back).id

    @precondition(lambda self: len(self.model) < MAX_ORDERS)
    @rule(
        target=orders,
        with_external_id=st.booleans(),
        placed_back=st.none() | st.integers(0, 3600),
    )
    def place_order(self, with_external_id: bool, placed_back: int | None) -> str:
        external_id = f"ext-{next(_external_ids)}" if with_external_id else None
        return self._place(external_id, placed_back).id

    @precondition(lambda self: len(self.model) >= MAX_ORDERS)
    @rule(order_id=orders)
    def place_same_external_id_again(self, order_id: str) -> None:
        """A redelivered create: the existing order answers and the attempt is recorded."""
        order = self.model[order_id]
        if order.external_id is None:
            return
        data = order_create(channel=CHANNEL, external_id=order.external_id)
        placed = service.place_order(self.db, self.tenant.actor("integration"), data)
        assert not placed.created
        assert placed.order.id == order_id
        order.attempts += 1
        order.add(
            Expected(
                event="create",
                outcome=Outcome.DUPLICATE,
                source=CREATE_SOURCE,
                from_status=str(order.status),
                to_status=None,
                version_after=order.version,
            )
        )

    @rule(
        order_id=orders,
        data=st.data(),
        commands=st.lists(_commands(), min_size=1, max_size=4),
    )
    def apply_legal_events(
        self, order_id: str, data: st.DataObject, commands: list[Command]
    ) -> None:
        """A run of events the table allows from where the order is, mostly moving it on.

        The invariants are checked after each event of the run, not only at its end.
        """
        for command in commands:
            legal = allowed_events(self.model[order_id].status)
            if not legal:
                return
            onward = [e for e in legal if e not in ENDINGS] or legal
            event = data.draw(st.sampled_from(onward) | st.sampled_from(legal), label="event")
            self._apply(order_id, event, command)
            self.stored_order_and_timeline_agree()

    @rule(order_id=orders, event=st.sampled_from(list(OrderEvent)), command=_commands())
    def apply_any_event(self, order_id: str, event: OrderEvent, command: Command) -> None:
        """Any event at all: mostly illegal, duplicate or stale here."""
        self._apply(order_id, event, command)

    def _apply(self, order_id: str, event: OrderEvent, command: Command) -> None:
        source, offset, role = command.source, command.offset, command.role
        order = self.model[order_id]
        now = self.clock.now()
        # "current" is the version the client last saw, before any timeout this call makes due.
        expected_version = {
            "none": None,
            "current": order.version,
            "other": command.other_version,
        }[command.version_choice]
        occurred_at = None if offset is None else now + offset
        event_in = OrderEventIn(
            event=event,
            source=source,
            occurred_at=occurred_at,
            expected_version=expected_version,
        )

        self._materialise(order, now)
        from_status = order.status
        outcome, error_code = self._predict(
            order, role, event, source, occurred_at, expected_version
        )
        order.attempts += 1

        what = (
            f"{event} by {role} from {from_status} (source {source}, at {occurred_at}, "
            f"expected_version {expected_version})"
        )
        refused: str | None = None  # a refusal is an answer, not a failure of the test
        try:
            result = service.apply_event(self.db, self.tenant.actor(role), order_id, event_in)
        except AppError as error:
            refused = error.code
        if refused is not None:
            assert outcome in {Outcome.REJECTED, Outcome.CONFLICT}, f"{what}: {refused}"
            assert error_code == refused, f"{what}: {refused}"
        else:
            assert (result.outcome, None) == (outcome, error_code), what
            assert result.duplicate == (outcome == Outcome.DUPLICATE)
            assert result.stale == (outcome == Outcome.STALE)
            assert result.order.version == order.version + (outcome == Outcome.APPLIED)

        if outcome == Outcome.APPLIED:
            to_status = TRANSITIONS[event][from_status]
            order.status = to_status
            order.version += 1
            order.applied.append((str(event), source, occurred_at or now))
            order.add(
                Expected(
                    event=str(event),
                    outcome=outcome,
                    source=source,
                    from_status=str(from_status),
                    to_status=str(to_status),
                    version_after=order.version,
                )
            )
        else:
            order.add(
                Expected(
                    event=str(event),
                    outcome=outcome,
                    source=source,
                    from_status=str(from_status),
                    to_status=None,
                    version_after=order.version,
                    error_code=error_code,
                )
            )

    @rule(
        delta=st.sampled_from([1, 1, 5, 30, 60, 120, 300, 600, 899, 900, 901, 3600]),
        run_jobs=st.booleans(),
    )
    def advance_clock(self, delta: int, run_jobs: bool) -> None:
        """Time passes, sometimes past a payment deadline; sometimes the timeout jobs run."""
        now = self.clock.advance(timedelta(seconds=delta))
        if not run_jobs:
            return
        for order in self.model.values():
            before = order.timeouts
            self._materialise(order, now)
            changed = service.apply_payment_timeout(
                self.db, tenant_id=self.tenant.tenant_id, order_id=order.id
            )
            assert changed == (order.timeouts > before)

    # ---- invariants --------------------------------------------------------------------

    @invariant()
    def stored_order_and_timeline_agree(self) -> None:
        for order in self.model.values():
            stored = queries.get_order(self.db, self.tenant.tenant_id, order.id)
            timeline = queries.order_timeline(self.db, self.tenant.tenant_id, order.id)
            _check_order(order, stored, timeline, self.clock.now())


def _check_order(
    order: ModelOrder, stored: OrderOut, timeline: list[TimelineEntry], now: datetime
) -> None:
    applied = [e for e in timeline if e.outcome == Outcome.APPLIED]
    creates = [e for e in applied if e.event == "create"]
    transitions = [e for e in applied if e.event != "create"]

    # (a) the version counts the applied transitions.
    assert len(creates) == 1
    assert stored.version == 1 + len(transitions), (stored.version, _summary(timeline))

    # (b) every attempt leaves exactly one entry; the system adds only its timeouts.
    timeouts = [e for e in timeline if e.source == TIMEOUT_SOURCE]
    assert all(
        e.event == OrderEvent.PAYMENT_TIMEOUT and e.outcome == Outcome.APPLIED for e in timeouts
    )
    assert len(timeline) == order.attempts + len(timeouts), _summary(timeline)
    assert len(timeouts) == order.timeouts
    assert len({e.id for e in timeline}) == len(timeline)

    # (c) applied entries follow the table and chain from pending_payment.
    assert creates[0] is applied[0]
    assert creates[0].to_status == OrderStatus.PENDING_PAYMENT
    current = str(OrderStatus.PENDING_PAYMENT)
    for entry in transitions:
        assert entry.from_status == current, _summary(timeline)
        allowed = TRANSITIONS[OrderEvent(entry.event)]
        assert OrderStatus(entry.from_status) in allowed, _summary(timeline)
        assert entry.to_status == allowed[OrderStatus(entry.from_status)], _summary(timeline)
        current = entry.to_status
    for entry in timeline:
        if entry.outcome != Outcome.APPLIED:
            assert entry.to_status is None, _summary(timeline)

    # (d) the order shows where the applied chain ends, payment deadline applied on read.
    overdue = current == OrderStatus.PENDING_PAYMENT and order.payment_due_at <= now
    assert stored.timeout_pending == overdue
    assert stored.status == (OrderStatus.CANCELLED if overdue else OrderStatus(current))

    # And the whole timeline is what the model predicted, in order.
    got = [
        Expected(
            event=e.event,
            outcome=e.outcome,
            source=e.source,
            from_status=e.from_status,
            to_status=e.to_status,
            version_after=e.version_after,
            error_code=e.error_code,
        )
        for e in timeline
    ]
    assert got == order.timeline
    assert stored.version == order.version
    assert current == order.status


def _summary(timeline: list[TimelineEntry]) -> list[str]:
    return [
        f"{e.event}:{e.outcome}:{e.from_status}->{e.to_status}@v{e.version_after}[{e.source}]"
        for e in timeline
    ]


def test_order_lifecycle_state_machine(
    db: Database, clock: ManualClock, tenant: TenantKeys
) -> None:
    """Random sequences of lifecycle commands keep version, timeline and status consistent.

    Every attempt is recorded once, applied entries chain through the transition table, and
    the stored order ends where its applied history says, on SQLite and on PostgreSQL.
    """
    run_state_machine_as_test(
        lambda: LifecycleMachine(db, clock, tenant),  # type: ignore[arg-type,return-value]
        settings=settings(
            max_examples=25,
            stateful_step_count=15,
            deadline=None,
            derandomize=True,
            suppress_health_check=[HealthCheck.function_scoped_fixture],
        ),
    )
