"""Support code for tests: real third-party servers and tools (Squid, pywb, py-wacz, python-threatexchange)
and the loopback sites to point them at."""
