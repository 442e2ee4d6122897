"""Allow `python -m envwizard`."""

import sys

from envwizard.cli import main

sys.exit(main())
