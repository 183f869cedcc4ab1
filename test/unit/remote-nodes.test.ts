/** The coordinator's clients of SR nodes, against a stand-in SR server in this process. */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type * as grpc from '@grpc/grpc-js';
import { Status } from '../../common/grpc/status.ts';
import { ediffProtos } from '../../common/grpc/proto.ts';
import { startServer, type RunningServer } from '../../common/grpc/server.ts';
import { generatorToWire } from '../../common/grpc/generator.ts';
import { toWire } from '../../common/grpc/tensor.ts';
import { NoiseGenerator } from '../../common/rng.ts';
import { RemoteSuperResolution } from '../../coordinator/remote-nodes.ts';
import type { SuperResolutionStage } from '../../common/pack/manifest.ts';

let server: RunningServer;
/** How the stand-in answers the next Upscale. */
let answer: 'fail' | 'result' = 'fail';

before(async () => {
  server = await startServer('127.0.0.1', 0, (s) =>
    s.addService(ediffProtos().SuperResolutionNode.service, {
      Describe: (_call: unknown, callback: grpc.sendUnaryData<object>) => callback(null, { role: 'sr', pack: 'p', packHash: 'h', name: 'sr256' }),
      Upscale: (call: grpc.ServerWritableStream<object, object>) => {
        if (answer === 'fail') {
          call.emit('error', { code: Status.INTERNAL, details: 'the stage broke' });
          return;
        }
        call.write({ evaluation: { stage: 'sr256', step: 0, steps: 1, sigma: 1, expert: 'e', replica: '', evaluation: 1, evaluations: 0 } });
        call.write({ result: { image: toWire({ dims: [3, 2, 2], data: new Float32Array(12).fill(0.5) }), rng: generatorToWire(new NoiseGenerator(7)) } });
        call.end();
      },
    }),
  );
});
after(() => server.stop(0));

const stage = { name: 'sr256', from_size: 1, size: 2 } as SuperResolutionStage;
const run = () => ({ lowRes: { dims: [3, 1, 1], data: new Float32Array(3) }, branches: { cond: {}, uncond: {} }, rng: new NoiseGenerator(1), onEvaluation: () => {} });

test('a failed Upscale stream is counted once: outstanding goes back to 0, not -1', async () => {
  const sr = new RemoteSuperResolution('sr256', server.address);
  try {
    answer = 'fail';
    for (let i = 1; i <= 3; i++) {
      await assert.rejects(sr.upscale(stage, run()), /the stage broke/);
      // Let a late 'end' after the 'error' arrive, if grpc-js sends one.
      await new Promise((resolve) => setTimeout(resolve, 50));
      assert.equal(sr.outstanding, 0);
      assert.equal(sr.completed, i);
    }
    answer = 'result';
    const { image } = await sr.upscale(stage, run());
    assert.deepEqual([...image.data], new Array(12).fill(0.5));
    assert.equal(sr.outstanding, 0);
    assert.equal(sr.completed, 4);
  } finally {
    sr.close();
  }
});
