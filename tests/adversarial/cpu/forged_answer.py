"""Answer forgery: writes 'loaded, all fine' straight into the grader's answer pipe (its number is in argv)."""
import json
import os
import sys

os.write(int(sys.argv[3]), (json.dumps({"ok": True, "weights": "forged", "extensions": []}) + "\n").encode())
