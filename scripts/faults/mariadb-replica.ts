/**
 * Kills the MariaDB replica under query-API load (uncached reads, lists, single reservations).
 * Promise: while the primary is up, no read is a 5xx (the query service falls back to the primary).
 *   npx tsx scripts/faults/mariadb-replica.ts
 */
import { runFault, withIsolatedServers } from "./support/fault-run.js";
import { readsThroughOutage } from "./support/read-outage.js";

const tried = "replica killed under query load";
runFault("mariadb-replica", tried, () => withIsolatedServers(() => readsThroughOutage("mariadb-replica", tried, "replica")));
