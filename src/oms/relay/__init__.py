"""The event relay: domain events from the outbox to a broker (NATS JetStream), in order.

``oms relay`` reads the outbox rows it has not passed yet, publishes the domain events among
them, and marks the rows only once the broker has acknowledged them. One relay publishes at a
time (a lease); others wait as standbys.
"""
