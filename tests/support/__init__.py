"""Support code for tests: real third-party servers (Squid) and loopback sites to point them at."""
