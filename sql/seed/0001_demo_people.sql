-- Demo people with fixed ids, the same in every environment where seeds run. They must match
-- packages/core/src/identity/demo-people.ts exactly (a test compares them with the database).
-- Idempotent: a re-run restores these values and changes nothing else. `VALUES(col)` is the
-- upsert form both MariaDB and MySQL 8.4 accept (MySQL's row alias is not MariaDB syntax).
INSERT INTO users (id, role, name, email, phone, created_at) VALUES
  ('c0000000-0000-4000-8000-000000000001', 'customer', 'Ada Okafor',     'ada.okafor@haul.example',     '+4915112345601', '2026-01-01 00:00:00.000'),
  ('c0000000-0000-4000-8000-000000000002', 'customer', 'Bruno Silva',    'bruno.silva@haul.example',    '+351912345602',  '2026-01-01 00:00:00.000'),
  ('c0000000-0000-4000-8000-000000000003', 'customer', 'Chen Wei',       'chen.wei@haul.example',       NULL,             '2026-01-01 00:00:00.000'),
  ('d0000000-0000-4000-8000-000000000001', 'driver',   'Dana Kowalski',  'dana.kowalski@haul.example',  '+48601234501',   '2026-01-01 00:00:00.000'),
  ('d0000000-0000-4000-8000-000000000002', 'driver',   'Emil Novak',     'emil.novak@haul.example',     '+420601234502',  '2026-01-01 00:00:00.000'),
  ('d0000000-0000-4000-8000-000000000003', 'driver',   'Farah Haddad',   'farah.haddad@haul.example',   '+33612345603',   '2026-01-01 00:00:00.000'),
  ('d0000000-0000-4000-8000-000000000004', 'driver',   'Gus Moreno',     'gus.moreno@haul.example',     '+34612345604',   '2026-01-01 00:00:00.000'),
  ('d0000000-0000-4000-8000-000000000005', 'driver',   'Hana Sato',      'hana.sato@haul.example',      '+819012345605',  '2026-01-01 00:00:00.000'),
  ('a0000000-0000-4000-8000-000000000001', 'operator', 'Ines Duarte',    'ines.duarte@haul.example',    '+4930123456701', '2026-01-01 00:00:00.000')
ON DUPLICATE KEY UPDATE
  role = VALUES(role), name = VALUES(name), email = VALUES(email), phone = VALUES(phone);

INSERT INTO trucks (id, driver_id, plate, class, capacity_kg, created_at) VALUES
  ('f0000000-0000-4000-8000-000000000001', 'd0000000-0000-4000-8000-000000000001', 'HAUL-001', 'van',           1200, '2026-01-01 00:00:00.000'),
  ('f0000000-0000-4000-8000-000000000002', 'd0000000-0000-4000-8000-000000000002', 'HAUL-002', 'box',           3500, '2026-01-01 00:00:00.000'),
  ('f0000000-0000-4000-8000-000000000003', 'd0000000-0000-4000-8000-000000000003', 'HAUL-003', 'refrigerated',  7500, '2026-01-01 00:00:00.000'),
  ('f0000000-0000-4000-8000-000000000004', 'd0000000-0000-4000-8000-000000000004', 'HAUL-004', 'flatbed',      12000, '2026-01-01 00:00:00.000'),
  ('f0000000-0000-4000-8000-000000000005', 'd0000000-0000-4000-8000-000000000005', 'HAUL-005', 'semi',         24000, '2026-01-01 00:00:00.000')
ON DUPLICATE KEY UPDATE
  driver_id = VALUES(driver_id), plate = VALUES(plate), class = VALUES(class), capacity_kg = VALUES(capacity_kg);
