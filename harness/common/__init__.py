"""Plain values and pure functions both sides share: settings, the verdict, statistics, tolerance, seeds.
Nothing here imports torch or starts a process."""
