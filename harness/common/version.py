"""The grader's version, declared here once (pyproject.toml reads it): `kb --version`, every verdict and record."""

VERSION = "0.2.0"
