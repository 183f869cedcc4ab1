import { rmSync } from 'node:fs';
import { writeTestExport } from './packs/test-exports/build.ts';
import { loadPack } from './common/pack/load.ts';
import { InProcessPipeline } from './common/runtime/in-process.ts';
import { encodePng } from './common/image.ts';
import { writeFileSync } from 'node:fs';
for (const [name, o] of [['opt', {}], ['legacy', { layout: 'legacy' }], ['fp16', { precision: 'fp16', timestep: 'int64' }], ['v', { prediction: 'v_prediction', timestep: 'float-batch' }]] as const) {
  const dir = `/tmp/exp-${name}`;
  rmSync(dir, { recursive: true, force: true });
  writeTestExport(dir, 'test/fixtures/clip', o as any);
  const pack = loadPack(dir);
  console.log(name, pack.source, pack.hash.slice(0, 8), JSON.stringify(pack.manifest.base.latent), pack.manifest.defaults.sigma_min, pack.manifest.defaults.sigma_max);
  const p = await InProcessPipeline.load(pack);
  const t = performance.now();
  const r = await p.generate({ prompt: 'a photo of a cat', seed: 1, steps: 6, ...(name === 'legacy' ? { width: 128, height: 64 } : { width: 64, height: 96 }) });
  console.log(' ', r.width, r.height, r.image.dims, r.stages.map(s => `${s.stage} ${s.ms.toFixed(0)}`).join(', '), (performance.now()-t).toFixed(0), 'ms', r.image.data.slice(0,3));
  writeFileSync(`/tmp/exp-${name}.png`, await encodePng(r.image));
  await p.release();
}
