/**
 * Starting a TypeScript module as a worker thread. Node 20 does not run --import hooks before a
 * worker's entry module, so the worker registers tsx (which this process runs under) first.
 */
import { Worker } from 'node:worker_threads';

export function startTypeScriptWorker(entry: URL, workerData: unknown): Worker {
  const boot = `import(${JSON.stringify(import.meta.resolve('tsx/esm/api'))}).then((tsx) => { tsx.register(); return import(${JSON.stringify(entry.href)}); });`;
  return new Worker(boot, { eval: true, workerData });
}
