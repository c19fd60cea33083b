"""`python -m hotline`: the same command as `hotline`."""

from cli import main

main()
