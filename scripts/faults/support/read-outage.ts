/** Kills one server under query-API load and counts 5xx: the read side must keep answering. */
import { killServer, loadUntil, sleep, startFaultCloud, startServers, type FaultRow, type ServerName } from "./fault-run.js";
import { isServerFailure, postReservation, queryRead, reservationIdOf, type Reply } from "./load.js";

export async function readsThroughOutage(fault: string, tried: string, server: ServerName): Promise<FaultRow> {
  const cloud = await startFaultCloud(fault);
  try {
    const ids: string[] = [];
    for (let index = 0; index < 10; index++) {
      const reply = await postReservation(cloud, index);
      if (reply.status === 202) ids.push(reservationIdOf(reply));
    }
    const replies: Reply[] = [];
    let stop = false;
    const load = loadUntil(8, () => stop, async (index) => {
      replies.push(await queryRead(cloud, index, ids));
      await sleep(20);
    });
    try {
      await sleep(2000);
      await killServer(server);
      await sleep(8000);
    } finally {
      stop = true;
      await load;
      await startServers();
    }
    const failures = replies.filter(isServerFailure);
    const sample = failures[0];
    return {
      fault,
      tried,
      requests: replies.length,
      fiveHundreds: failures.length,
      lost: 0,
      pass: replies.length > 0 && failures.length === 0,
      ...(sample ? { note: `e.g. ${sample.status} ${sample.body.slice(0, 120)}` } : {}),
    };
  } finally {
    await cloud.stop();
  }
}
