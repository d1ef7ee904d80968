"""Order intelligence: cross-system links, KPI cube, anomaly alerts with their root cause."""
