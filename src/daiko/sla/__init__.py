"""Service levels: business calendars, clocks computed from status history, scanning."""
