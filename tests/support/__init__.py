"""Test support shared across test folders: the field's own tools (pywb, py-wacz, python-threatexchange)."""
