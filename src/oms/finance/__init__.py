"""Finance: bank statements, expected money movements and the matching engine."""
