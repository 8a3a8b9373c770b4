"""Helpers and fixtures shared by the test tiers (imported as `support.*`, never a test module)."""
