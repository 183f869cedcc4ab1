/**
 * Errors to gRPC statuses and back, in one place: handlers call `toServiceError`, clients call
 * `fromServiceError`.
 */
import * as grpc from '@grpc/grpc-js';
import { InvalidArgumentError, NodeTimeoutError, NodeUnavailableError, NotFoundError, PackError, PermissionDeniedError, ResourceExhaustedError, UnauthenticatedError } from '../errors.ts';

export const { status: Status } = grpc;

/** A gRPC error as handlers pass it to callbacks or `call.emit('error')`. */
export interface StatusError {
  code: grpc.status;
  details: string;
  metadata?: grpc.Metadata;
}

const isServiceError = (e: unknown): e is grpc.ServiceError => typeof e === 'object' && e !== null && 'code' in e && 'details' in e && typeof (e as grpc.ServiceError).code === 'number';

export function statusOf(error: unknown): grpc.status {
  if (error instanceof InvalidArgumentError) return Status.INVALID_ARGUMENT;
  if (error instanceof NodeUnavailableError) return Status.UNAVAILABLE;
  if (error instanceof NodeTimeoutError) return Status.DEADLINE_EXCEEDED;
  if (error instanceof PackError) return Status.FAILED_PRECONDITION;
  if (error instanceof ResourceExhaustedError) return Status.RESOURCE_EXHAUSTED;
  if (error instanceof NotFoundError) return Status.NOT_FOUND;
  if (error instanceof UnauthenticatedError) return Status.UNAUTHENTICATED;
  if (error instanceof PermissionDeniedError) return Status.PERMISSION_DENIED;
  if (error instanceof Error && error.name === 'AbortError') return Status.CANCELLED;
  if (isServiceError(error)) return error.code;
  return Status.INTERNAL;
}

export function toServiceError(error: unknown): StatusError {
  const code = statusOf(error);
  const details = isServiceError(error) ? error.details : error instanceof Error ? error.message : String(error);
  if (error instanceof ResourceExhaustedError) {
    const metadata = new grpc.Metadata();
    metadata.set('retry-after', String(error.retryAfterSeconds));
    return { code, details, metadata };
  }
  return { code, details };
}

/** A StatusError as a thrown error (e.g. after crossing a thread): toServiceError gives it back. */
export const errorFromStatus = (e: StatusError): Error => Object.assign(new Error(e.details), e);

/** A readable name of a status code ("INVALID_ARGUMENT"). */
export const statusName = (code: number): string => Status[code] ?? `CODE_${code}`;

/** An error raised by a call to another node, rethrown as the named error the caller can act on. */
export function fromServiceError(error: unknown, node: string): Error {
  if (!isServiceError(error)) return error instanceof Error ? error : new Error(String(error));
  switch (error.code) {
    case Status.INVALID_ARGUMENT: {
      const at = error.details.indexOf(': ');
      return at > 0 ? new InvalidArgumentError(error.details.slice(0, at), error.details.slice(at + 2)) : new InvalidArgumentError('request', error.details);
    }
    case Status.UNAVAILABLE:
      return new NodeUnavailableError(node, error.details, { cause: error });
    case Status.CANCELLED: {
      const e = new Error(`${node}: cancelled`, { cause: error });
      e.name = 'AbortError';
      return e;
    }
    default:
      return Object.assign(new Error(`${node}: ${statusName(error.code)}: ${error.details}`, { cause: error }), { code: error.code, details: `${node}: ${error.details}` });
  }
}
