"""Matching for the product: imported hash lists (lists.py) and the process-wide match index over list
entries and assessed items (index.py), built on fingerprints/ (which knows nothing of the database)."""
