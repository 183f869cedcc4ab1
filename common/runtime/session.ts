/**
 * onnxruntime-node sessions. Execution providers come from EDIFF_EXECUTION_PROVIDERS (comma
 * separated, e.g. "cuda,cpu"; default "cpu") and are tried in order: a provider that fails to
 * load (CUDA files missing) throws, so the next one is tried.
 *
 * Intra-op threads do not spin-wait for work by default (EDIFF_ORT_SPIN=1 turns spinning back
 * on): several sessions and processes share the cores, and a spinning idle session burns them.
 * Measured: 100 runs 5 ms apart cost 777 ms of CPU spinning, 227 ms not, for the same wall time.
 */
import * as ort from 'onnxruntime-node';

export type Session = ort.InferenceSession;
export { ort };

export function executionProviders(): string[] {
  return (process.env.EDIFF_EXECUTION_PROVIDERS ?? 'cpu')
    .split(',')
    .map((p) => p.trim())
    .filter(Boolean);
}

export async function createSession(file: string): Promise<Session> {
  const errors: string[] = [];
  for (const provider of executionProviders()) {
    try {
      return await ort.InferenceSession.create(file, {
        executionProviders: [provider],
        graphOptimizationLevel: 'all',
        extra: { session: { intra_op: { allow_spinning: process.env.EDIFF_ORT_SPIN === '1' ? '1' : '0' } } },
      });
    } catch (cause) {
      errors.push(`${provider}: ${(cause as Error).message}`);
    }
  }
  throw new Error(`cannot load ${file} with any execution provider (${errors.join('; ')})`);
}

export const floatTensor = (data: Float32Array, dims: readonly number[]) => new ort.Tensor('float32', data, dims as number[]);

/** Runs a session and returns the named float32 outputs. */
export async function runFloat(session: Session, feeds: Record<string, ort.Tensor>, outputs: string[]): Promise<Record<string, Float32Array>> {
  const result = await session.run(feeds, outputs);
  return Object.fromEntries(outputs.map((name) => [name, result[name]!.data as Float32Array]));
}
