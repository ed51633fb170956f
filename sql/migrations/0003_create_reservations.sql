-- A customer's reservation of a driver and their truck for a half-open window [window_start, window_end),
-- in UTC. Written PENDING by POST /reservations; the workflow's PersistReservation decides CONFIRMED or
-- REJECTED under a lock on the driver's users row. Every write bumps `version`, which the query cache
-- uses as a floor so a lagging replica cannot re-cache an older row.
-- The generated, constant *_role columns pair each id with the role it must have in users (see trucks).
CREATE TABLE reservations (
  id                CHAR(36) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  customer_id       CHAR(36) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  customer_role     ENUM('customer', 'driver', 'operator') AS ('customer') STORED,
  driver_id         CHAR(36) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  driver_role       ENUM('customer', 'driver', 'operator') AS ('driver') STORED,
  status            ENUM('PENDING', 'CONFIRMED', 'REJECTED', 'FAILED', 'CANCELLED', 'COMPLETED') NOT NULL DEFAULT 'PENDING',
  -- Why it was REJECTED or FAILED (e.g. "overlaps reservation <id>").
  status_reason     VARCHAR(500) NULL,
  -- When status last changed: the occurredAt of the notification that change causes.
  status_changed_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
  pickup_lat        DOUBLE NOT NULL,
  pickup_lon        DOUBLE NOT NULL,
  pickup_address    VARCHAR(300) NOT NULL,
  dropoff_lat       DOUBLE NOT NULL,
  dropoff_lon       DOUBLE NOT NULL,
  dropoff_address   VARCHAR(300) NOT NULL,
  window_start      DATETIME(3) NOT NULL,
  window_end        DATETIME(3) NOT NULL,
  cargo_weight_kg   DECIMAL(10, 3) NOT NULL,
  cargo_description VARCHAR(500) NOT NULL,
  version           INT UNSIGNED NOT NULL DEFAULT 1,
  -- sha256 of the accepted request: the same reservation id with other details is refused.
  request_hash      CHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  -- The request that created it, to find its logs and its workflow execution.
  correlation_id    VARCHAR(128) NULL,
  created_at        DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
  updated_at        DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3) ON UPDATE CURRENT_TIMESTAMP(3),
  PRIMARY KEY (id),
  -- The overlap check and a driver's schedule.
  KEY reservations_driver_window (driver_id, window_start),
  -- A customer's reservations, by window.
  KEY reservations_customer_window (customer_id, window_start),
  CONSTRAINT reservations_customer_fk FOREIGN KEY (customer_id, customer_role) REFERENCES users (id, role)
    ON DELETE RESTRICT ON UPDATE RESTRICT,
  CONSTRAINT reservations_driver_fk FOREIGN KEY (driver_id, driver_role) REFERENCES users (id, role)
    ON DELETE RESTRICT ON UPDATE RESTRICT,
  CONSTRAINT reservations_id_is_uuid CHECK (id REGEXP '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$'),
  CONSTRAINT reservations_window_not_empty CHECK (window_end > window_start),
  CONSTRAINT reservations_pickup_lat_range CHECK (pickup_lat BETWEEN -90 AND 90),
  CONSTRAINT reservations_pickup_lon_range CHECK (pickup_lon BETWEEN -180 AND 180),
  CONSTRAINT reservations_dropoff_lat_range CHECK (dropoff_lat BETWEEN -90 AND 90),
  CONSTRAINT reservations_dropoff_lon_range CHECK (dropoff_lon BETWEEN -180 AND 180),
  CONSTRAINT reservations_cargo_weight_positive CHECK (cargo_weight_kg > 0),
  CONSTRAINT reservations_version_positive CHECK (version >= 1),
  CONSTRAINT reservations_decided_has_reason CHECK (status NOT IN ('REJECTED', 'FAILED') OR status_reason IS NOT NULL)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_unicode_ci;
