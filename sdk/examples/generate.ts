/**
 * A runnable SDK example: generate an image on a running cluster, printing progress.
 *
 *   npx ediff cluster up --port 50051 &          # or any running coordinator
 *   npx tsx sdk/examples/generate.ts 127.0.0.1:50051 "a red circle on a blue background" out.png
 */
import { writeFileSync } from 'node:fs';
import { EdiffClient, EdiffError } from '../client.ts';

const [address = '127.0.0.1:50051', prompt = 'a red circle on a blue background', output = 'out.png'] = process.argv.slice(2);
const client = new EdiffClient(address);
const abort = new AbortController();
process.once('SIGINT', () => abort.abort()); // Ctrl-C cancels the job on the cluster too

try {
  const pipeline = await client.describePipeline();
  console.log(`pack ${pipeline.pack}: experts ${pipeline.experts.map((e) => `${e.name} [${e.sigmaLo}, ${e.sigmaHi ?? 'inf'})`).join(', ')}`);
  for await (const event of client.generate({ prompt, size: 256, seed: 1 }, { signal: abort.signal })) {
    if (event.type === 'evaluation' && event.evaluation % 10 === 0) console.log(`${event.evaluation}/${event.evaluations} ${event.stage} sigma ${event.sigma.toFixed(3)} -> ${event.expert} at ${event.replica}`);
    if (event.type === 'result') {
      writeFileSync(output, event.png);
      console.log(`wrote ${output}: ${event.width}x${event.height}, seed ${event.seed}, ${event.stages.map((s) => `${s.stage} ${s.ms.toFixed(0)} ms`).join(', ')}`);
    }
  }
} catch (error) {
  console.error(error instanceof EdiffError ? `${error.codeName}: ${error.details}` : error);
  process.exitCode = 1;
} finally {
  client.close();
}
