/**
 * The ExpertNode gRPC service: conditioning uploads, and a bidirectional Denoise stream of
 * evaluations (several to a message; the answers of one batch go back in one message). Handlers
 * decode and check, hand the evaluation to the scheduler, and map errors to statuses in one place.
 */
import type * as grpc from '@grpc/grpc-js';
import { InvalidArgumentError } from '../common/errors.ts';
import type { DenoiseRequest__Output } from '../common/grpc/generated/ediff/v1/DenoiseRequest.ts';
import type { DenoiseRequests__Output } from '../common/grpc/generated/ediff/v1/DenoiseRequests.ts';
import type { DenoiseResponse } from '../common/grpc/generated/ediff/v1/DenoiseResponse.ts';
import type { DenoiseResponses } from '../common/grpc/generated/ediff/v1/DenoiseResponses.ts';
import type { ExpertNodeHandlers } from '../common/grpc/generated/ediff/v1/ExpertNode.ts';
import { Outbox, STREAM_MESSAGE_BYTES } from '../common/grpc/outbox.ts';
import { Status, toServiceError } from '../common/grpc/status.ts';
import { conditioningFromWire, conditioningId, fromWire, toWire } from '../common/grpc/tensor.ts';
import type { Pack } from '../common/pack/load.ts';
import { ownsSigma, type ExpertSpec } from '../common/pack/manifest.ts';
import { checkBaseDims } from '../common/pipeline/request.ts';
import type { ConditioningCache } from './conditioning-cache.ts';
import type { ExpertMetrics } from './metrics.ts';
import type { Scheduler } from './scheduler.ts';
import { needsUnconditional } from '../common/pipeline/conditioning.ts';

export interface ExpertNodeCore {
  pack: Pack;
  spec: ExpertSpec;
  /** The model's input dims after the batch axis (null with the instant executor: unchecked). */
  inputDims: Record<string, readonly (number | string)[]> | null;
  cache: ConditioningCache;
  scheduler: Scheduler;
  metrics: ExpertMetrics;
}

const fmtRange = (lo: number, hi: number | null) => `[${lo}, ${hi === null ? 'inf' : hi})`;

export function expertNodeHandlers(core: ExpertNodeCore): ExpertNodeHandlers {
  const { spec, cache, scheduler, metrics, inputDims } = core;
  let streams = 0;

  const fail = (error: unknown) => {
    const e = toServiceError(error);
    metrics.errors.inc({ code: Status[e.code] });
    return e;
  };

  /** Checks one Denoise message and turns it into a guided call (conditioning looked up by id). */
  function decodeEvaluation(m: DenoiseRequest__Output) {
    const x = fromWire(m.x, 'x', { finite: true });
    checkBaseDims(core.pack.manifest, 'x', x.dims);
    if (!Number.isFinite(m.sigma) || m.sigma < 0) throw new InvalidArgumentError('sigma', `must be a finite number >= 0, got ${m.sigma}`);
    if (!ownsSigma(spec, m.sigma)) throw new InvalidArgumentError('sigma', `${m.sigma} is outside expert ${spec.name}'s range ${fmtRange(spec.sigma_lo, spec.sigma_hi)}`);
    if (!Number.isFinite(m.guidance) || m.guidance < 0) throw new InvalidArgumentError('guidance', `must be a finite number >= 0, got ${m.guidance}`);
    const lookup = (field: string, id: string) => {
      const c = cache.get(id);
      if (!c) throw Object.assign(new Error(`conditioning ${id} is not held here; upload it with PutConditioning`), { code: Status.NOT_FOUND, details: `${field}: conditioning ${id} is not held here; upload it with PutConditioning` });
      return c;
    };
    if (!m.condId) throw new InvalidArgumentError('cond_id', 'is missing');
    const cond = lookup('cond_id', m.condId);
    const guided = needsUnconditional(spec, m.guidance);
    if (guided && !m.uncondId) throw new InvalidArgumentError('uncond_id', `guidance ${m.guidance} needs the unconditional branch`);
    return { x: x.data, dims: x.dims, sigma: m.sigma, cond, uncond: guided ? lookup('uncond_id', m.uncondId) : null, guidance: m.guidance };
  }

  return {
    Describe(_call, callback) {
      callback(null, { role: 'expert', pack: core.pack.manifest.name, packHash: core.pack.hash, name: spec.name });
    },

    PutConditioning(call, callback) {
      try {
        const tensors = conditioningFromWire(call.request.tensors, 'tensors');
        for (const name of spec.inputs) if (!tensors[name]) throw new InvalidArgumentError('tensors', `missing ${name}; expert ${spec.name} consumes ${spec.inputs.join(', ')}`);
        for (const [name, t] of Object.entries(tensors)) {
          if (!spec.inputs.includes(name)) throw new InvalidArgumentError(`tensors.${name}`, `expert ${spec.name} does not consume ${name} (it consumes ${spec.inputs.join(', ') || 'no conditioning'})`);
          const want = inputDims?.[name];
          const fits = !want || (want.length === t.dims.length && want.every((d, i) => typeof d !== 'number' || d === t.dims[i]));
          if (!fits) throw new InvalidArgumentError(`tensors.${name}`, `must have shape [${want}], got [${t.dims}]`);
        }
        if (conditioningId(tensors) !== call.request.id) throw new InvalidArgumentError('id', `${call.request.id} is not the content id of these tensors (${conditioningId(tensors)})`);
        cache.put(call.request.id, tensors);
        metrics.conditioningUploads.inc();
        metrics.conditioningBytes.set(cache.bytes);
        callback(null, {});
      } catch (error) {
        callback(fail(error));
      }
    },

    Denoise(call: grpc.ServerDuplexStream<DenoiseRequests__Output, DenoiseResponses>) {
      const stream = streams++;
      const inFlight = new Set<string>();
      const key = (id: number) => `${stream}:${id}`;
      // A batch's answers settle in one turn of the event loop: they share a message.
      const answers = new Outbox<DenoiseResponse>({
        send: (items) => {
          if (!call.cancelled && call.writable) call.write({ answers: items });
        },
        bytesOf: (r) => 64 + (r.denoised?.data?.length ?? 0),
        maxBytes: STREAM_MESSAGE_BYTES,
        more: () => inFlight.size > 0,
      });
      const reply = (id: number, answer: Omit<DenoiseResponse, 'id'>) => {
        inFlight.delete(key(id));
        answers.push({ id, ...answer });
      };
      const evaluate = (m: DenoiseRequest__Output) => {
        if (m.cancel) {
          scheduler.cancel(key(m.id));
          return;
        }
        let evaluation;
        try {
          evaluation = decodeEvaluation(m);
        } catch (error) {
          const e = fail(error);
          reply(m.id, { code: e.code, message: e.details });
          return;
        }
        inFlight.add(key(m.id));
        scheduler.enqueue(key(m.id), evaluation).then(
          (denoised) => {
            metrics.evaluations.inc();
            reply(m.id, { denoised: toWire({ dims: evaluation.dims, data: denoised }) });
          },
          (error) => {
            const e = fail(error);
            reply(m.id, { code: e.code, message: e.details });
          },
        );
      };
      call.on('data', (m: DenoiseRequests__Output) => {
        for (const evaluation of m.evaluations) evaluate(evaluation);
      });
      // The coordinator went away: drop what it queued here.
      const abandon = () => {
        for (const k of inFlight) scheduler.cancel(k);
      };
      call.on('cancelled', abandon);
      call.on('error', abandon);
      call.on('end', () => call.end());
    },
  };
}
