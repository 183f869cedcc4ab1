/**
 * The folder where built packs live, and building a pack there on first use. A build goes to a
 * temporary folder that is renamed into place, so a half-built pack is never used and two
 * processes building at once do not clash.
 */
import { existsSync, mkdirSync, renameSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { MANIFEST_FILE } from '../common/pack/manifest.ts';
import { REFERENCE_PACK_NAME, REFERENCE_PACK_VERSION, buildReferencePack } from './reference/build.ts';
import { TINY_UNET_PACK_NAME, TINY_UNET_PACK_VERSION, buildTinyUnetPack } from './tiny-unet/build.ts';

/** EDIFF_CACHE_DIR, else ~/.cache/ediff. */
export function cacheDir(): string {
  return process.env.EDIFF_CACHE_DIR ?? path.join(os.homedir(), '.cache', 'ediff');
}

/** The packs this project can build, by name. */
export const BUILDABLE_PACKS: Record<string, { version: number; build: (dir: string) => void }> = {
  [REFERENCE_PACK_NAME]: { version: REFERENCE_PACK_VERSION, build: buildReferencePack },
  [TINY_UNET_PACK_NAME]: { version: TINY_UNET_PACK_VERSION, build: buildTinyUnetPack },
};

/** The folder of a built pack, building it first if it is not there yet. */
export function ensureBuiltPack(name: string, root = cacheDir(), onBuild?: (dir: string) => void): string {
  const entry = BUILDABLE_PACKS[name];
  if (!entry) throw new Error(`no buildable pack named ${name} (known: ${Object.keys(BUILDABLE_PACKS).join(', ')})`);
  const dir = path.join(root, 'packs', `${name}-v${entry.version}`);
  if (existsSync(path.join(dir, MANIFEST_FILE))) return dir;
  onBuild?.(dir);
  const tmp = `${dir}.tmp-${process.pid}`;
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp, { recursive: true });
  try {
    entry.build(tmp);
    renameSync(tmp, dir);
  } catch (error) {
    rmSync(tmp, { recursive: true, force: true });
    // Another process finished the same build first: use theirs.
    if (existsSync(path.join(dir, MANIFEST_FILE))) return dir;
    throw error;
  }
  return dir;
}
