-- Each driver drives exactly one truck, and a truck belongs to a user whose role is driver:
-- the foreign key pairs driver_id with a generated, constant driver_role, so the database itself
-- refuses a truck for a customer and refuses changing the role of a driver who has a truck.
CREATE TABLE trucks (
  id          CHAR(36) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  driver_id   CHAR(36) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  driver_role ENUM('customer', 'driver', 'operator') AS ('driver') STORED,
  -- Registration plate as printed, unique case-insensitively.
  plate       VARCHAR(15) NOT NULL,
  -- van < box < refrigerated < flatbed < semi, roughly by size; capacity_kg is the payload.
  class       ENUM('van', 'box', 'flatbed', 'refrigerated', 'semi') NOT NULL,
  capacity_kg INT NOT NULL,
  created_at  DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
  updated_at  DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3) ON UPDATE CURRENT_TIMESTAMP(3),
  PRIMARY KEY (id),
  UNIQUE KEY trucks_driver_unique (driver_id),
  UNIQUE KEY trucks_plate_unique (plate),
  KEY trucks_class_capacity (class, capacity_kg),
  CONSTRAINT trucks_driver_fk FOREIGN KEY (driver_id, driver_role) REFERENCES users (id, role)
    ON DELETE RESTRICT ON UPDATE RESTRICT,
  CONSTRAINT trucks_id_is_uuid CHECK (id REGEXP '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$'),
  CONSTRAINT trucks_plate_shape CHECK (plate REGEXP '^[A-Za-z0-9][A-Za-z0-9 -]*[A-Za-z0-9]$'),
  CONSTRAINT trucks_capacity_positive CHECK (capacity_kg > 0)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_unicode_ci;
