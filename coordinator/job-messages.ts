/**
 * What the coordinator's main thread and its job threads say to each other (worker_threads
 * messages, structured-cloned). The main thread serves the API, watches membership and encodes
 * prompts (one shared encoding cache); each job thread runs whole jobs: their samplers and their
 * Denoise streams to the expert and SR nodes.
 */
import type { StatusError } from '../common/grpc/status.ts';
import type { PackLocation } from '../common/pack/load.ts';
import type { NodeTlsFiles } from '../common/grpc/tls.ts';
import type { GenerateResult, JobCheckpoint, ProgressEvent } from '../common/pipeline/job.ts';
import type { GenerateRequest } from '../common/pipeline/request.ts';
import type { Tensor } from '../common/tensor.ts';
import type { MembershipChange } from './backend.ts';
import type { BranchRequest, EncodedBranch } from '../common/pipeline/conditioning.ts';

export interface JobThreadData {
  pack: PackLocation;
  /** Mutual TLS to the nodes (PEM file paths), or null for plaintext. */
  nodeTls: NodeTlsFiles | null;
  evaluationTimeoutMs: number;
  /**
   * The bound of the thread's own encoding cache, in front of the main thread's: a repeated
   * branch is then one object in the thread, whose content id each replica hashes once.
   */
  encodingCacheBytes: number;
}

/** Per-replica load, for GetClusterStatus. */
export interface NodeLoad {
  address: string;
  outstanding: number;
  completed: number;
}

export type ToJobThread =
  | { type: 'membership'; change: MembershipChange }
  /** `checkpointEvery`: checkpoints every k base steps and at every phase boundary (null: none); `resume`: start from this one. */
  | { type: 'job'; id: number; request: GenerateRequest; progress: boolean; previewEvery: number; checkpointEvery: number | null; resume: JobCheckpoint | null }
  | { type: 'cancel'; id: number }
  | { type: 'encoded'; call: number; encoded?: EncodedBranch; error?: StatusError }
  | { type: 'load'; call: number }
  /** Close the node connections and exit. */
  | { type: 'stop' };

export type FromJobThread =
  | { type: 'encode'; call: number; request: BranchRequest }
  /** Evaluation events, only when the job asked for them. */
  | { type: 'progress'; id: number; event: Extract<ProgressEvent, { type: 'evaluation' }> }
  | { type: 'preview'; id: number; step: number; image: Tensor }
  | { type: 'checkpoint'; id: number; checkpoint: JobCheckpoint }
  | { type: 'done'; id: number; result: GenerateResult }
  | { type: 'failed'; id: number; error: StatusError }
  /**
   * Counts since the last report: routed evaluations and retried calls as [labels, n] pairs, and
   * the lookups the thread's encoding cache answered (its misses went to the main thread's).
   */
  | { type: 'counts'; evaluations: [{ stage: string; expert: string; replica: string }, number][]; retries: [{ role: string; name: string }, number][]; encodingHits: number }
  | { type: 'load'; call: number; nodes: NodeLoad[] };
