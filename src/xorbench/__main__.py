"""python -m xorbench: the command line."""
import sys

from xorbench.bench.cli import main

sys.exit(main())
