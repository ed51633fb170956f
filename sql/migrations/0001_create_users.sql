-- Everyone who signs in: customers reserve trucks, drivers drive them, operators run the service.
-- `id` is the identity provider's subject (Cognito `sub`, a lowercase UUID); all times are UTC.
-- SQL that both MariaDB 10.11 (local) and MySQL 8.4 (RDS) accept. CHECK names are unique per
-- schema in MySQL, hence the table prefix.
CREATE TABLE users (
  id         CHAR(36) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  role       ENUM('customer', 'driver', 'operator') NOT NULL,
  name       VARCHAR(200) NOT NULL,
  email      VARCHAR(254) NOT NULL,
  phone      VARCHAR(16) NULL,
  created_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
  updated_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3) ON UPDATE CURRENT_TIMESTAMP(3),
  PRIMARY KEY (id),
  -- Unique case-insensitively (the table's collation is _ci).
  UNIQUE KEY users_email_unique (email),
  -- Lets child tables require a role with a composite foreign key (see trucks.driver_role).
  UNIQUE KEY users_id_role_unique (id, role),
  CONSTRAINT users_id_is_uuid CHECK (id REGEXP '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$'),
  CONSTRAINT users_name_not_blank CHECK (CHAR_LENGTH(TRIM(name)) > 0),
  CONSTRAINT users_email_has_at CHECK (email LIKE '_%@_%'),
  -- E.164, e.g. +4915112345601.
  CONSTRAINT users_phone_is_e164 CHECK (phone IS NULL OR phone REGEXP '^[+][1-9][0-9]{6,14}$')
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_unicode_ci;
