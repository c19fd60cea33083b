"""Data files shipped with hotline.locate (RDAP bootstrap snapshot, CDN and platform lists)."""
