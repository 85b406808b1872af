"""Getting the word out: the in-app inbox and Web Push."""
