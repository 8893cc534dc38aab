"""Instruction data builders, LoRA training and evaluation, GeoFM pretraining (to come)."""
