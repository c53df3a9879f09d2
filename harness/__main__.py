"""`python -m harness ...` is `kb ...`."""
import sys

from .tools.cli import main

sys.exit(main())
