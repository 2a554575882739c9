"""Generic training over a method's phases: events, early stopping, seeding, device."""
