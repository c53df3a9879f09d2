"""The processes that run beside solution code, or load the problem: reference, build, solution and lint
(main.py's table), the rules and the timer they use, and the `kb serve` fork server. They import torch."""
