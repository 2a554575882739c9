"""Scheduling: the one loop that runs the runs (`scheduler`) over a launcher of runs/ (local
child processes or Ray tasks), and the executor seam that the app and the CLI submit through."""
