"""The trusted parent: locates the files, starts the children, hands out seeds, judges what they measured and
writes the verdict. It never imports torch, the problem or the solution (tests/test_layout.py checks)."""
