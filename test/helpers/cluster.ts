/** A real embedded cluster for integration tests (child processes on loopback ports). */
import { ensureBuiltPack } from '../../packs/cache.ts';
import { loadPack, type Pack } from '../../common/pack/load.ts';
import { EdiffClient } from '../../sdk/client.ts';
import { startLocalCluster, type LocalCluster } from '../../sdk/local-cluster.ts';
import { tempDir } from './reference.ts';

export interface TestCluster {
  pack: Pack;
  cluster: LocalCluster;
  client: EdiffClient;
  stop(): Promise<void>;
}

/** Builds the named pack into a temporary cache and starts a cluster serving it. */
export async function startTestCluster(packName: string, coordinatorArgs: string[] = []): Promise<TestCluster> {
  const cache = tempDir(`cluster-${packName}`);
  const pack = loadPack(ensureBuiltPack(packName, cache.dir));
  const lines: string[] = [];
  const cluster = await startLocalCluster({ pack: pack.dir, coordinatorArgs, log: (line) => lines.push(line) }).catch((error) => {
    cache.remove();
    throw error;
  });
  const client = new EdiffClient(cluster.address);
  return {
    pack,
    cluster,
    client,
    stop: async () => {
      client.close();
      await cluster.stop();
      cache.remove();
      if (process.env.EDIFF_TEST_LOGS) console.error(lines.join('\n'));
    },
  };
}

/** Sum of a metric's samples (all label sets) on a process's /metrics endpoint. */
export async function metricSum(metricsAddress: string, name: string, labels: Record<string, string> = {}): Promise<number> {
  const text = await (await fetch(`http://${metricsAddress}/metrics`)).text();
  let sum = 0;
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    if (!Object.entries(labels).every(([k, v]) => line.includes(`${k}="${v}"`))) continue;
    sum += Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return sum;
}
