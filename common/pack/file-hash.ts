/** Hashing a pack's files: whole when small, sampled when big (UNet weights of 3-10 GB). */
import type { Hash } from 'node:crypto';
import { closeSync, openSync, readFileSync, readSync, statSync } from 'node:fs';

/** Files up to this size are hashed whole; larger ones (UNet weights, 3-10 GB) are sampled. */
const WHOLE_HASH_BYTES = 64 * 1024 * 1024;
const SAMPLES = 16;
const SAMPLE_BYTES = 1024 * 1024;

/**
 * Adds a file to the pack hash: its size and content; past WHOLE_HASH_BYTES, its size and 16
 * evenly spaced 1 MiB samples (first and last included). Every process of a cluster hashes the
 * pack at start, and reading 10 GB each time would take minutes; two exports that differ only
 * between the samples of a weights file of the same size would get one hash.
 */
export function hashFile(hash: Hash, file: string): void {
  const size = statSync(file).size;
  hash.update(`${size}:`);
  if (size <= WHOLE_HASH_BYTES) {
    hash.update(readFileSync(file));
    return;
  }
  const fd = openSync(file, 'r');
  try {
    const sample = Buffer.alloc(SAMPLE_BYTES);
    for (let i = 0; i < SAMPLES; i++) {
      const offset = Math.floor(((size - SAMPLE_BYTES) * i) / (SAMPLES - 1));
      hash.update(sample.subarray(0, readSync(fd, sample, 0, SAMPLE_BYTES, offset)));
    }
  } finally {
    closeSync(fd);
  }
}

