"""Order intelligence: one order across every system, health, alerts and BI feeds."""
