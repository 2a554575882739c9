import sys

from crossrec.cli import main

sys.exit(main())
