"""Console users: accounts, passwords, sessions and lock-out."""
