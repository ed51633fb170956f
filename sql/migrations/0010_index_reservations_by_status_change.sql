-- The reconciler's page: reservations of a status whose last change is older than its threshold
-- (and, but for PENDING, newer than its horizon), oldest first, without scanning the table.
CREATE INDEX reservations_by_status_change ON reservations (status, status_changed_at);
