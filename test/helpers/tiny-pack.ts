/**
 * A minimal valid pack for validation tests: two edm experts with closed-form Gaussian denoisers
 * (D = x / (1 + sigma^2)), no encoders. Tests write it, break one thing, and load it.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { GraphBuilder, attr } from '../../packs/onnx/graph.ts';
import { MANIFEST_FILE, PACK_FORMAT, type PackManifest } from '../../common/pack/manifest.ts';

export function gaussianExpertOnnx(size: number, extraInputs: string[] = []): Uint8Array {
  const g = new GraphBuilder('gaussian');
  const x = g.input('x', 'float32', ['batch', 3, size, size]);
  const sigma = g.input('sigma', 'float32', ['batch']);
  for (const name of extraInputs) g.input(name, 'float32', ['batch', 4]);
  const scale = g.op('Unsqueeze', [g.op('Add', [g.op('Mul', [sigma, sigma]), g.scalar(1)]), g.ints([1, 2, 3])]);
  g.output(g.op('Div', [x, scale]), 'denoised', 'float32', ['batch', 3, size, size]);
  return g.encode();
}

export function tinyManifest(): PackManifest {
  return {
    format: PACK_FORMAT,
    name: 'tiny',
    encoders: [],
    base: {
      channels: 3,
      size: 8,
      experts: [
        { name: 'high', model: 'high.onnx', sigma_lo: 1, sigma_hi: null, parameterization: { type: 'edm' }, inputs: [] },
        { name: 'low', model: 'low.onnx', sigma_lo: 0, sigma_hi: 1, parameterization: { type: 'edm' }, inputs: [] },
      ],
    },
    super_resolution: [],
    defaults: { sampler: 'euler', steps: 4, sigma_min: 0.002, sigma_max: 80, rho: 7, guidance: 1, paint_weight: 1 },
  };
}

/** Writes the tiny pack into `dir`, letting the caller change the manifest JSON first. */
export function writeTinyPack(dir: string, edit: (manifest: Record<string, any>) => void = () => {}): void {
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, 'high.onnx'), gaussianExpertOnnx(8));
  writeFileSync(path.join(dir, 'low.onnx'), gaussianExpertOnnx(8));
  const manifest = JSON.parse(JSON.stringify(tinyManifest()));
  edit(manifest);
  writeFileSync(path.join(dir, MANIFEST_FILE), JSON.stringify(manifest, null, 2));
}

/**
 * The Gaussian denoiser of gaussianExpertOnnx after a long, useless computation that depends on x
 * (so onnxruntime cannot fold it away): `matmuls` products of 1024x1024 matrices, about 0.1 s
 * each here. For tests of what a node does while a model runs.
 */
export function slowExpertOnnx(size: number, matmuls: number): Uint8Array {
  const n = 1024;
  const g = new GraphBuilder('slow-gaussian');
  const x = g.input('x', 'float32', ['batch', 3, size, size]);
  const sigma = g.input('sigma', 'float32', ['batch']);
  const weights = Float32Array.from({ length: n * n }, (_, i) => Math.sin(i * 12.9898) / Math.sqrt(n));
  const w = g.constant('w', weights, [n, n]);
  // h0 = w * (1 + 0 * sum(x)): a matrix the runtime only knows once x is given.
  let h = g.op('Mul', [w, g.op('Add', [g.scalar(1), g.op('Mul', [g.op('ReduceSum', [x], { keepdims: attr.int(0) }), g.scalar(0)])])]);
  for (let i = 0; i < matmuls; i++) h = g.op('MatMul', [h, w]);
  const nothing = g.op('Mul', [g.op('ReduceSum', [h], { keepdims: attr.int(0) }), g.scalar(0)]);
  const scale = g.op('Unsqueeze', [g.op('Add', [g.op('Mul', [sigma, sigma]), g.scalar(1)]), g.ints([1, 2, 3])]);
  g.output(g.op('Add', [g.op('Div', [x, scale]), nothing]), 'denoised', 'float32', ['batch', 3, size, size]);
  return g.encode();
}

/**
 * An SR expert (edm) that is the exact denoiser of the prior N(up(low_res), 1): D = (x + sigma^2
 * up(low_res)) / (1 + sigma^2), with low_res [B, 3, from, from] upsampled to `size`.
 */
export function gaussianSrOnnx(from: number, size: number): Uint8Array {
  const g = new GraphBuilder('gaussian-sr');
  const x = g.input('x', 'float32', ['batch', 3, size, size]);
  const sigma = g.input('sigma', 'float32', ['batch']);
  const low = g.input('low_res', 'float32', ['batch', 3, from, from]);
  const up = g.op('Resize', [low, '', g.floats([1, 1, size / from, size / from])], { mode: attr.string('nearest') });
  const s2 = g.op('Unsqueeze', [g.op('Mul', [sigma, sigma]), g.ints([1, 2, 3])]);
  g.output(g.op('Div', [g.op('Add', [x, g.op('Mul', [up, s2])]), g.op('Add', [s2, g.scalar(1)])]), 'denoised', 'float32', ['batch', 3, size, size]);
  return g.encode();
}
