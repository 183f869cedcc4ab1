import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { karrasSigmas } from '../../common/sampling/schedule.ts';
import { SAMPLERS, type Denoiser, type SamplerName, type SamplerState, evaluationCount } from '../../common/sampling/samplers.ts';
import { NoiseGenerator } from '../../common/rng.ts';

// Reference vectors computed by k-diffusion (see test/fixtures/ref/README.md).
const refDir = new URL('../fixtures/ref/', import.meta.url);
const readRef = (name: string) => JSON.parse(readFileSync(new URL(name, refDir), 'utf8'));
const inputs = readRef('inputs.json') as { Y: number[][]; z: number[] };
const karras = readRef('karras_sigmas.json').k_diffusion_get_sigmas_karras as Record<string, { float64: { n: number; sigma_min: number; sigma_max: number; rho: number; sigmas: number[] } }>;
const samplers = readRef('samplers.json').plain as Record<string, { model_calls_sigma_expert: [number, null][]; x_at_model_calls: number[][]; x_final: number[] }>;

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  assert.equal(a.length, b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

/** The ideal denoiser of the reference's 5-point data set, exactly as the reference defines it. */
function idealDenoiser(Y: number[][]): (x: Float64Array, sigma: number) => Float64Array {
  return (x, sigma) => {
    const logits = Y.map((y) => {
      let d2 = 0;
      for (let j = 0; j < y.length; j++) d2 += (x[j]! - y[j]!) ** 2;
      return -d2 / (2 * sigma * sigma);
    });
    const top = Math.max(...logits);
    const w = logits.map((l) => Math.exp(l - top));
    const total = w.reduce((a, b) => a + b, 0);
    const out = new Float64Array(x.length);
    Y.forEach((y, i) => {
      for (let j = 0; j < y.length; j++) out[j]! += (w[i]! / total) * y[j]!;
    });
    return out;
  };
}

test('karras schedule matches k-diffusion get_sigmas_karras in float64', () => {
  for (const [key, entry] of Object.entries(karras)) {
    const { n, sigma_min, sigma_max, rho, sigmas } = entry.float64;
    const ours = karrasSigmas(n, sigma_min, sigma_max, rho);
    assert.equal(ours.length, n + 1, key);
    assert.equal(ours[n], 0, `${key}: trailing zero`);
    assert.ok(maxAbsDiff(ours, sigmas) < 1e-12, `${key}: ${maxAbsDiff(ours, sigmas)}`);
  }
});

for (const [name, sampler] of [['euler_n10', 'euler'], ['heun_n10', 'heun']] as const) {
  test(`${sampler} matches k-diffusion's trajectory and result to 1e-9`, async () => {
    const ref = samplers[name]!;
    const D = idealDenoiser(inputs.Y);
    const calls: { sigma: number; x: Float64Array }[] = [];
    const model: Denoiser = async (x, sigma) => {
      calls.push({ sigma, x: Float64Array.from(x) });
      return D(x, sigma);
    };
    const sigmas = karrasSigmas(10, 0.002, 80, 7);
    const xT = Float64Array.from(inputs.z, (z) => 80 * z);
    const out = await SAMPLERS[sampler](model, xT, sigmas);
    assert.equal(calls.length, ref.model_calls_sigma_expert.length);
    assert.equal(calls.length, evaluationCount(sampler, 10));
    calls.forEach((call, k) => {
      assert.ok(Math.abs(call.sigma - ref.model_calls_sigma_expert[k]![0]) < 1e-12, `sigma of call ${k}`);
      const diff = maxAbsDiff(call.x, ref.x_at_model_calls[k]!);
      assert.ok(diff < 1e-9, `x at call ${k} differs by ${diff}`);
    });
    const diff = maxAbsDiff(out, ref.x_final);
    assert.ok(diff < 1e-9, `x_final differs by ${diff}`);
    assert.deepEqual(Array.from(xT.slice(0, 3)), inputs.z.slice(0, 3).map((z) => 80 * z), 'input not mutated');
  });
}

/**
 * Gaussian data N(0, s^2 I) has the exact denoiser s^2 / (s^2 + sigma^2) x, and the probability
 * flow ODE has the closed-form solution x(sigma) = x_T sqrt(s^2 + sigma^2) / sqrt(s^2 + sigma_T^2).
 */
const s2 = 0.25;
const gaussian: Denoiser = async (x, sigma) => x.map((v) => (s2 / (s2 + sigma * sigma)) * v);

async function odeError(sampler: SamplerName, steps: number): Promise<number> {
  const sigmas = karrasSigmas(steps, 0.002, 80, 7);
  const xT = Float64Array.from({ length: 16 }, (_, i) => 80 * Math.sin(i + 1));
  const out = await SAMPLERS[sampler](gaussian, xT, sigmas);
  const exact = xT.map((v) => (v * Math.sqrt(s2)) / Math.sqrt(s2 + 80 * 80));
  return maxAbsDiff(out, exact);
}

test('dpmpp-2m converges at second order and euler at first order on a Gaussian ODE', async () => {
  // Observed order = log2(error(n) / error(2n)).
  const order = async (sampler: SamplerName) => Math.log2((await odeError(sampler, 40)) / (await odeError(sampler, 80)));
  const dpm = await order('dpmpp-2m');
  const euler = await order('euler');
  const heun = await order('heun');
  assert.ok(dpm > 1.7, `dpmpp-2m order ${dpm}`);
  assert.ok(euler > 0.8 && euler < 1.3, `euler order ${euler}`);
  assert.ok(heun > 1.7, `heun order ${heun}`);
});

test('euler-a samples the data distribution: Gaussian data keep variance s^2 as steps grow', async () => {
  // Euler-a is first order: its variance bias shrinks with the step size (measured: 0.189 at 40
  // steps, 0.233 at 160, 0.240 at 640 for s^2 = 0.25).
  const varianceAfter = async (steps: number) => {
    const rng = new NoiseGenerator(7);
    const n = 4000;
    const xT = rng.normals(n).map((z) => 80 * z);
    const out = await SAMPLERS['euler-a'](gaussian, xT, karrasSigmas(steps, 0.002, 80, 7), { noise: (k) => rng.normals(k) });
    return out.reduce((acc, v) => acc + v * v, 0) / n;
  };
  const coarse = Math.abs((await varianceAfter(40)) - s2);
  const fine = Math.abs((await varianceAfter(640)) - s2);
  assert.ok(fine < 0.02, `variance off by ${fine} at 640 steps`);
  assert.ok(fine < coarse / 3, `bias must shrink with steps: ${coarse} -> ${fine}`);
});

test('churn draws noise and reaches sigma_hat = sigma * (1 + gamma)', async () => {
  const seen: number[] = [];
  const model: Denoiser = async (x, sigma) => {
    seen.push(sigma);
    return gaussian(x, sigma, { step: 0 });
  };
  const rng = new NoiseGenerator(3);
  const sigmas = karrasSigmas(10, 0.002, 80, 7);
  await SAMPLERS.heun(model, new Float64Array(8).fill(1), sigmas, { sChurn: 5, sTmin: 0.05, sTmax: 50, noise: (k) => rng.normals(k) });
  const gamma = Math.min(5 / 10, Math.SQRT2 - 1);
  assert.equal(seen[0], 80, 'sigma 80 is above sTmax: no churn');
  assert.ok(Math.abs(seen[2]! - sigmas[1]! * (1 + gamma)) < 1e-12, 'churned sigma_hat');
  await assert.rejects(SAMPLERS.heun(model, new Float64Array(8), sigmas, { sChurn: 5 }), /needs a noise source/);
});

test('the noise generator is reproducible from the seed', () => {
  const a = new NoiseGenerator(42).normals(1000);
  const b = new NoiseGenerator(42).normals(1000);
  const c = new NoiseGenerator(43).normals(1000);
  assert.deepEqual(a, b);
  assert.notDeepEqual(a, c);
  const mean = a.reduce((x, y) => x + y, 0) / a.length;
  const variance = a.reduce((x, y) => x + (y - mean) ** 2, 0) / a.length;
  assert.ok(Math.abs(mean) < 0.1 && Math.abs(variance - 1) < 0.1, `mean ${mean} variance ${variance}`);
  assert.throws(() => new NoiseGenerator(-1), /seed must be an integer/);
  assert.throws(() => new NoiseGenerator(2 ** 32), /seed must be an integer/);
});

test('a generator continued from its state draws the same stream', () => {
  const whole = new NoiseGenerator(5);
  const head = whole.normals(7); // odd: leaves a Box-Muller spare behind
  const state = whole.state();
  const rest = whole.normals(10);
  const resumed = new NoiseGenerator(state);
  assert.deepEqual(resumed.normals(10), rest);
  assert.equal(head.length, 7);
});

test('every sampler resumed from a checkpoint (its state and the generator state of that moment) gives the bits of an uninterrupted run', async () => {
  const n = 48;
  const sigmas = karrasSigmas(9, 0.02, 40);
  // A nonlinear denoiser of x and sigma, returning float32 as the wire does.
  const model: Denoiser = async (x, sigma) => Float32Array.from(x, (v, j) => Math.tanh(v / (1 + sigma * sigma)) + 0.01 * Math.sin(j + sigma));
  for (const name of Object.keys(SAMPLERS) as SamplerName[]) {
    const churn = name === 'euler' || name === 'heun' ? { sChurn: 4 } : {};
    const x0 = new NoiseGenerator(11).normals(n).map((v) => v * sigmas[0]!);
    for (const at of [1, 4, 8]) {
      const rng = new NoiseGenerator(5);
      let saved: { state: SamplerState; rng: ReturnType<NoiseGenerator['state']> } | null = null;
      const whole = await SAMPLERS[name](model, x0, sigmas, {
        ...churn,
        noise: (k) => rng.normals(k),
        // A checkpoint is a copy: through JSON, as a store would keep it.
        onCheckpoint: (s) => {
          if (s.step === at) saved = JSON.parse(JSON.stringify({ state: { step: s.step, x: Array.from(s.x), previousDenoised: s.previousDenoised && Array.from(s.previousDenoised) }, rng: rng.state() }));
        },
      });
      assert.ok(saved, `${name}: a checkpoint after step ${at}`);
      const { state, rng: rngState } = saved as unknown as { state: { step: number; x: number[]; previousDenoised: number[] | null }; rng: ReturnType<NoiseGenerator['state']> };
      const resumedRng = new NoiseGenerator(rngState);
      const resumed = await SAMPLERS[name](model, x0, sigmas, {
        ...churn,
        noise: (k) => resumedRng.normals(k),
        resume: { step: state.step, x: Float64Array.from(state.x), previousDenoised: state.previousDenoised && Float64Array.from(state.previousDenoised) },
      });
      assert.deepEqual(Array.from(resumed), Array.from(whole), `${name} resumed after step ${at}`);
    }
  }
});
