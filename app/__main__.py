"""`python -m app`: the same entry as the `undo-studio` console script."""

import sys

from app.cli import main

if __name__ == "__main__":
    sys.exit(main())
