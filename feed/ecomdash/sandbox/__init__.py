"""A stand-in for the ecomdash API: same paths, headers, envelopes, errors and throttling."""
