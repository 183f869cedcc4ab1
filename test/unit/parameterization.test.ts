import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { GraphBuilder, attr } from '../../packs/onnx/graph.ts';
import type { Pack } from '../../common/pack/load.ts';
import type { DiscreteSchedule, ExpertSpec } from '../../common/pack/manifest.ts';
import { ExpertModel } from '../../common/runtime/expert.ts';
import { DiscreteSigmas } from '../../common/sampling/discrete-schedule.ts';
import { tempDir } from '../helpers/reference.ts';

const root = tempDir('parameterization');
after(() => root.remove());

const sdSchedule: DiscreteSchedule = { beta_schedule: 'scaled_linear', beta_start: 0.00085, beta_end: 0.012, timesteps: 1000 };

test('discrete sigmas match the known Stable Diffusion range, and sigma_to_t interpolates in log sigma', () => {
  const d = new DiscreteSigmas(sdSchedule);
  assert.ok(Math.abs(d.sigmaMin - 0.0292) < 1e-4, `sigma_min ${d.sigmaMin}`);
  assert.ok(Math.abs(d.sigmaMax - 14.6146) < 1e-3, `sigma_max ${d.sigmaMax}`);
  for (const k of [0, 1, 10, 500, 998, 999]) assert.ok(Math.abs(d.sigmaToT(d.sigmas[k]!) - k) < 1e-9, `t of sigma[${k}]`);
  const between = Math.exp((d.logSigmas[100]! + d.logSigmas[101]!) / 2);
  assert.ok(Math.abs(d.sigmaToT(between) - 100.5) < 1e-9);
  assert.equal(d.sigmaToT(d.sigmaMin / 2), 0, 'clamped below');
  assert.equal(d.sigmaToT(d.sigmaMax * 2), 999, 'clamped above');
  const linear = new DiscreteSigmas({ beta_schedule: 'linear', beta_start: 0.0001, beta_end: 0.02, timesteps: 1000 });
  // The first sigma is sqrt(beta_0 / (1 - beta_0)) exactly.
  assert.ok(Math.abs(linear.sigmaMin - Math.sqrt(0.0001 / 0.9999)) < 1e-15);
  assert.ok(linear.sigmaMax > 150 && linear.sigmaMax < 160, `DDPM linear sigma_max ${linear.sigmaMax}`);
});

/**
 * Data N(0, s^2) has D(x, sigma) = s^2 / (s^2 + sigma^2) x. These graphs are the exact eps and v
 * predictors of that data in k-diffusion's discrete parameterization (x_in = x / sqrt(sigma^2 + 1),
 * integer timestep -> sigma through the schedule's table), so the wrapper must give back D.
 */
const s2 = 0.5;
function gaussianPredictor(kind: 'eps' | 'v', sigmas: Float64Array): Uint8Array {
  const g = new GraphBuilder(kind);
  const xIn = g.input('x', 'float32', ['batch', 3, 2, 2]);
  const t = g.input('timestep', 'float32', ['batch']);
  const sigma = g.op('Unsqueeze', [g.op('Gather', [g.constant('sigmas', Float32Array.from(sigmas), [sigmas.length]), g.op('Cast', [g.op('Round', [t])], { to: attr.int(7) })]), g.ints([1, 2, 3])]);
  const sigma2 = g.op('Mul', [sigma, sigma]);
  const norm = g.op('Sqrt', [g.op('Add', [sigma2, g.scalar(1)])]);
  const x = g.op('Mul', [xIn, norm]);
  const D = g.op('Mul', [x, g.op('Div', [g.scalar(s2), g.op('Add', [sigma2, g.scalar(s2)])])]);
  const out =
    kind === 'eps'
      ? g.op('Div', [g.op('Sub', [x, D]), sigma])
      : g.op('Div', [g.op('Sub', [D, g.op('Div', [x, g.op('Add', [sigma2, g.scalar(1)])])]), g.op('Neg', [g.op('Div', [sigma, norm])])]);
  g.output(out, kind, 'float32', ['batch', 3, 2, 2]);
  return g.encode();
}

for (const kind of ['eps', 'v'] as const) {
  test(`the ${kind} wrapper turns the network's prediction into D(x, sigma)`, async () => {
    const discrete = new DiscreteSigmas(sdSchedule);
    writeFileSync(path.join(root.dir, `${kind}.onnx`), gaussianPredictor(kind, discrete.sigmas));
    const spec: ExpertSpec = { name: kind, model: `${kind}.onnx`, sigma_lo: 0, sigma_hi: null, parameterization: { type: kind, schedule: sdSchedule }, inputs: [] };
    const expert = await ExpertModel.load({ dir: root.dir } as Pack, spec);
    try {
      const sigmas = [discrete.sigmas[3]!, discrete.sigmas[400]!, discrete.sigmas[999]!];
      const x = Float32Array.from({ length: 3 * 12 }, (_, i) => Math.sin(i) * 3);
      const D = await expert.evaluate({ x: { dims: [3, 3, 2, 2], data: x }, sigma: sigmas, inputs: {} });
      for (let b = 0; b < 3; b++) {
        const scale = s2 / (s2 + sigmas[b]! ** 2);
        for (let j = b * 12; j < (b + 1) * 12; j++) assert.ok(Math.abs(D[j]! - scale * x[j]!) < 1e-4 * (1 + Math.abs(x[j]!)), `${kind} sigma ${sigmas[b]}: ${D[j]} vs ${scale * x[j]!}`);
      }
    } finally {
      await expert.release();
    }
  });
}
