"""Tests of hotline.locate (hosting location)."""
