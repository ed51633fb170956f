-- The operator's list of every reservation is sorted by pickup time: (window_start, id) is its keyset.
CREATE INDEX reservations_by_pickup_time ON reservations (window_start, id);
