"""The shared kernel: storage, clock, ids, money, errors, auth, audit and jobs."""
