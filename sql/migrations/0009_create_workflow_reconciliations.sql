-- The reconciler's memory (packages/core/src/reservation/reconciler.ts): per reservation, the last
-- version whose workflow execution it saw succeed (null while none has), and the execution it last
-- checked or started, so a settled reservation is looked at once and a retried execution keeps its
-- attempt number.
CREATE TABLE workflow_reconciliations (
  reservation_id CHAR(36) CHARACTER SET ascii COLLATE ascii_bin NOT NULL PRIMARY KEY,
  settled_version INT UNSIGNED NULL,
  execution_name VARCHAR(80) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  checked_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3) ON UPDATE CURRENT_TIMESTAMP(3),
  CONSTRAINT workflow_reconciliations_reservation FOREIGN KEY (reservation_id) REFERENCES reservations (id) ON DELETE CASCADE
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_unicode_ci;
