/**
 * Kills Redis (the query cache) under query-API load.
 * Promise: 0 x 5xx: a cache that is down is a miss, not an error.
 *   npx tsx scripts/faults/redis.ts
 */
import { runFault, withIsolatedServers } from "./support/fault-run.js";
import { readsThroughOutage } from "./support/read-outage.js";

const tried = "Redis killed under query load";
runFault("redis", tried, () => withIsolatedServers(() => readsThroughOutage("redis", tried, "redis")));
