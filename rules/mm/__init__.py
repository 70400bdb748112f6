"""The mm rule pack: the fork-time rmap duplication API across its three eras."""
