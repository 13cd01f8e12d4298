from __future__ import annotations

import sys
from pathlib import Path

# The test layers share factories in tests/support.
sys.path.insert(0, str(Path(__file__).parent))
