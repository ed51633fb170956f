-- decide_reservation (0006) again, now counting IN_TRANSIT reservations as holding their driver: a driver
-- on the road is busy for the rest of that window. It also returns picked_up_at and delivered_at (0007).
--
-- Two statements, but safe to run again after a failure halfway: the DROP is IF EXISTS. MySQL has no
-- CREATE OR REPLACE PROCEDURE.
--
-- A driver's CONFIRMED and IN_TRANSIT windows are disjoint from one another (each was CONFIRMED here, under
-- the driver's lock, and IN_TRANSIT only comes from CONFIRMED), so within each status the latest-starting
-- window before the new one's end is the only one that can reach into it: one index dive per status
-- (reservations_driver_confirmed_schedule: driver_id, status, window_start).
-- [a, b) and [c, d) overlap iff c < b and a < d.
DROP PROCEDURE IF EXISTS decide_reservation;

CREATE PROCEDURE decide_reservation(IN p_reservation_id CHAR(36) CHARACTER SET ascii)
  MODIFIES SQL DATA
  SQL SECURITY INVOKER
BEGIN
  DECLARE v_status VARCHAR(16) DEFAULT NULL;
  DECLARE v_driver_id CHAR(36) CHARACTER SET ascii;
  DECLARE v_start, v_end, v_other_start, v_other_end DATETIME(3);
  DECLARE v_other_id CHAR(36) CHARACTER SET ascii DEFAULT NULL;
  DECLARE CONTINUE HANDLER FOR NOT FOUND BEGIN END;
  DECLARE EXIT HANDLER FOR SQLEXCEPTION
  BEGIN
    ROLLBACK;
    RESIGNAL;
  END;

  START TRANSACTION;
  SELECT r.status, r.driver_id, r.window_start, r.window_end INTO v_status, v_driver_id, v_start, v_end
    FROM reservations r JOIN users d ON d.id = r.driver_id
   WHERE r.id = p_reservation_id
     FOR UPDATE;
  IF v_status = 'PENDING' THEN
    SELECT id, window_start, window_end INTO v_other_id, v_other_start, v_other_end
      FROM reservations
     WHERE driver_id = v_driver_id AND status = 'CONFIRMED' AND window_start < v_end
     ORDER BY window_start DESC
     LIMIT 1;
    IF v_other_id IS NULL OR v_other_end <= v_start THEN
      -- NOT FOUND leaves the variables as they were: clear the CONFIRMED candidate first.
      SET v_other_id = NULL;
      SELECT id, window_start, window_end INTO v_other_id, v_other_start, v_other_end
        FROM reservations
       WHERE driver_id = v_driver_id AND status = 'IN_TRANSIT' AND window_start < v_end
       ORDER BY window_start DESC
       LIMIT 1;
    END IF;
    IF v_other_id IS NOT NULL AND v_other_end > v_start THEN
      UPDATE reservations
         SET status = 'REJECTED',
             status_reason = CONCAT('overlaps reservation ', v_other_id,
               ' [', DATE_FORMAT(v_other_start, '%Y-%m-%dT%H:%i:%s.'), LPAD(MICROSECOND(v_other_start) DIV 1000, 3, '0'), 'Z',
               ', ', DATE_FORMAT(v_other_end, '%Y-%m-%dT%H:%i:%s.'), LPAD(MICROSECOND(v_other_end) DIV 1000, 3, '0'), 'Z)'),
             status_changed_at = CURRENT_TIMESTAMP(3),
             version = version + 1
       WHERE id = p_reservation_id;
    ELSE
      UPDATE reservations
         SET status = 'CONFIRMED', status_reason = NULL, status_changed_at = CURRENT_TIMESTAMP(3), version = version + 1
       WHERE id = p_reservation_id;
    END IF;
  END IF;
  COMMIT;

  SELECT id, customer_id, driver_id, status, status_reason, status_changed_at, picked_up_at, delivered_at,
         pickup_lat, pickup_lon, pickup_address, dropoff_lat, dropoff_lon, dropoff_address,
         window_start, window_end, cargo_weight_kg, cargo_description, version, request_hash,
         correlation_id, created_at, updated_at
    FROM reservations
   WHERE id = p_reservation_id;
END
