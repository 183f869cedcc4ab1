/** Tiny Stable Diffusion exports (packs/test-exports) written into temporary folders for tests. */
import { fileURLToPath } from 'node:url';
import { writeTestExport, type TestExportOptions } from '../../packs/test-exports/build.ts';
import { tempDir } from './reference.ts';

export const CLIP_FIXTURES = fileURLToPath(new URL('../fixtures/clip/', import.meta.url));

/** Writes a tiny export with `options` into a new temporary folder. */
export function testExport(options: TestExportOptions = {}, name = 'export'): { dir: string; remove: () => void } {
  const tmp = tempDir(name);
  writeTestExport(tmp.dir, CLIP_FIXTURES, options);
  return tmp;
}
