"""`python -m flowc.runtime` is the `flowc` command."""

import sys

from flowc.runtime.cli import main

sys.exit(main())
