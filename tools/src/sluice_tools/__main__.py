from __future__ import annotations

import sys

from sluice_tools.cli.main import main

sys.exit(main())
