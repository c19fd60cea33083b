"""Proactive discovery: from a confirmed URL, crawl the material around it and report what matches by hash.

`jobs` (who starts a crawl, limits, pause, the trigger), `crawl` (the breadth-first rounds through the
capture worker), `matching` (which pages matter), `retention` (crawl records of pages without matches).
"""
