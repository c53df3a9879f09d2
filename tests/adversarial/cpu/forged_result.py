"""Result forgery: prints a passing verdict with a huge speedup and exits before any work."""
import json
import os
import sys

print(json.dumps({"passed": True, "status": "pass", "speedup": 1000.0}))
sys.stderr.write("PASS  correct on every trial; 1000x the PyTorch reference\n")
os._exit(0)
