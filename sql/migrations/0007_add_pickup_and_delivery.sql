-- Pickup and delivery (issue 10): the assigned driver marks the cargo picked up (CONFIRMED -> IN_TRANSIT)
-- and delivered (IN_TRANSIT -> COMPLETED); the row keeps when each happened, in UTC.
-- IN_TRANSIT goes at the end of the ENUM: appending keeps the stored values of the others as they are.
-- One ALTER, so the file is one DDL statement.
ALTER TABLE reservations
  MODIFY COLUMN status ENUM('PENDING', 'CONFIRMED', 'REJECTED', 'FAILED', 'CANCELLED', 'COMPLETED', 'IN_TRANSIT') NOT NULL DEFAULT 'PENDING',
  ADD COLUMN picked_up_at DATETIME(3) NULL AFTER status_changed_at,
  ADD COLUMN delivered_at DATETIME(3) NULL AFTER picked_up_at,
  ADD CONSTRAINT reservations_in_transit_has_pickup CHECK (status <> 'IN_TRANSIT' OR picked_up_at IS NOT NULL),
  ADD CONSTRAINT reservations_delivery_completes CHECK (delivered_at IS NULL OR (status = 'COMPLETED' AND picked_up_at IS NOT NULL));
