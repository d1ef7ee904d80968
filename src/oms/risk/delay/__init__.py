"""Delay risk 12 h ahead: a calibrated LightGBM model per tenant, trained on its own history.

Offline use goes through ``oms risk delay train`` and ``oms risk delay predict`` (see
``docs/risk.md``): :mod:`.dataset` reads and checks the CSV files, :mod:`.features` builds the
features known at the cut-off (12 h before the promised delivery), :mod:`.weather` holds the
pluggable weather providers, :mod:`.model` trains, calibrates and stores the model,
:mod:`.evaluation` computes the model card's figures and :mod:`.flags` explains and flags.
"""
