"""`python -m digest.cli`, as the `digest` console script."""

from digest.cli import main

main()
