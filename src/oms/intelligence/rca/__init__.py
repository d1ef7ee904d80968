"""Root-cause analysis of a refund-rate rise: R-Adtributor and RiskLoc, combined."""
