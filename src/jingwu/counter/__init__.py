"""Citizen services (便民服务): catalogue, slots and bookings, the walk-in queue, service cases
with their first handler and deadline, figures, capacity planning and the 15-minute circle."""
