"""Facts every other package shares and nothing else: names on the wire and in Redis, the event
types of the contract, and the start-up check of the patched libraries. It imports no other
project package, so every package, the pure core included, may import it."""
