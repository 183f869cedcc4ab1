/**
 * A minimal valid pack for validation tests: two edm experts with closed-form Gaussian denoisers
 * (D = x / (1 + sigma^2)), no encoders. Tests write it, break one thing, and load it.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { GraphBuilder } from '../../packs/onnx/graph.ts';
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
