"""Cases (案件): the hand-off itself, from request to delivered work."""
