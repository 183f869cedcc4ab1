/**
 * A stand-in job thread for test/unit/job-threads.test.ts: it speaks the job-thread protocol
 * without a cluster. A job whose prompt is "crash" kills the thread; any other job asks the main
 * thread to encode its prompt and finishes with a one-pixel image. Its load report lists the
 * replicas it was told about.
 */
import { parentPort } from 'node:worker_threads';
import type { FromJobThread, ToJobThread } from '../../coordinator/job-messages.ts';

const port = parentPort!;
const send = (m: FromJobThread) => port.postMessage(m);
const members = new Set<string>();
const encoded = new Map<number, (m: Extract<ToJobThread, { type: 'encoded' }>) => void>();

port.on('message', (m: ToJobThread) => {
  switch (m.type) {
    case 'membership':
      if (m.change.op === 'add') members.add(m.change.address);
      if (m.change.op === 'remove') members.delete(m.change.address);
      break;
    case 'job':
      if (m.request.prompt === 'crash') setImmediate(() => {
        throw new Error('a bug in a job thread');
      });
      else {
        encoded.set(m.id, (answer) => {
          if (answer.error) send({ type: 'failed', id: m.id, error: answer.error });
          else {
            send({ type: 'counts', evaluations: [[{ stage: 'base', expert: 'low', replica: 'r' }, 3]], retries: [], encodingHits: 1 });
            send({ type: 'done', id: m.id, result: { image: { dims: [1, 1, 1], data: new Float32Array([0.5]) }, seed: 1, width: 1, height: 1, stages: [], warnings: [] } });
          }
        });
        send({ type: 'encode', call: m.id, request: { prompt: m.request.prompt, style: null, paint: [], paintWeight: 1, paintRequired: false } });
      }
      break;
    case 'encoded':
      encoded.get(m.call)?.(m);
      break;
    case 'load':
      send({ type: 'load', call: m.call, nodes: [...members].map((address) => ({ address, outstanding: 0, completed: 1 })) });
      break;
    case 'cancel':
      break;
    case 'stop':
      port.close();
      break;
  }
});
