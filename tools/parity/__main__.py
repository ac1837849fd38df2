"""`python -m tools.parity [DIR]`: print one line per compared output and `N passed, M failed`."""

import sys

from tools.parity.runner import main

sys.exit(main(sys.argv[1] if len(sys.argv) > 1 else None))
