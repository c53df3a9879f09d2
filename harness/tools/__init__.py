"""Built on the grading API: the `kb` command line, `kb-sweep`, the results store and reports, the pytest
gate, and `kb lint`'s parent side."""
