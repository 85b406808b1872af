"""`make bench`: GridLink's HTTP and in-process figures, each with a baseline of the same run."""
