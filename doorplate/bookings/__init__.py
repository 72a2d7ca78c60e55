"""Services, slots, bookings and requests (预约办理, 报事报修)."""
