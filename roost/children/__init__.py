"""What every child process of Roost shares: a stop flag and counters no dead process can
hold locked, dying with the parent, and clearing what a dead run left behind."""
