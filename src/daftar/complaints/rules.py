"""What complaints registers with the engine (routing at filing)."""
