-- A driver's CONFIRMED windows never overlap one another (PersistReservation confirms only under the
-- driver's lock, after checking), so the one with the latest start before a new window's end is the
-- only one that can reach into it. This index finds that one with a single dive, however long the
-- driver's schedule, instead of scanning the days before the window.
CREATE INDEX reservations_driver_confirmed_schedule ON reservations (driver_id, status, window_start);
