/**
 * Named errors shared by every process. Each keeps the `cause` it wraps; gRPC frontends map them
 * to status codes in one place.
 */

/** A model pack that cannot be used: names the file and the field at fault. */
export class PackError extends Error {
  override readonly name = 'PackError';
  constructor(
    readonly file: string,
    readonly field: string,
    problem: string,
    options?: { cause?: unknown },
  ) {
    super(field ? `${file}: ${field}: ${problem}` : `${file}: ${problem}`, options);
  }
}

/** A request the caller can fix: names the field at fault (gRPC INVALID_ARGUMENT). */
export class InvalidArgumentError extends Error {
  override readonly name = 'InvalidArgumentError';
  constructor(
    readonly field: string,
    problem: string,
    options?: { cause?: unknown },
  ) {
    super(`${field}: ${problem}`, options);
  }
}

/** A node that cannot be reached or stopped answering (gRPC UNAVAILABLE); names the node. */
export class NodeUnavailableError extends Error {
  override readonly name = 'NodeUnavailableError';
  constructor(
    /** What the node serves and where, e.g. "expert high at 127.0.0.1:5001". */
    readonly node: string,
    problem: string,
    options?: { cause?: unknown },
  ) {
    super(`${node} is unavailable: ${problem}`, options);
  }
}

/** A node that did not answer within the deadline (gRPC DEADLINE_EXCEEDED); names the node. */
export class NodeTimeoutError extends Error {
  override readonly name = 'NodeTimeoutError';
  constructor(
    readonly node: string,
    readonly ms: number,
  ) {
    super(`${node} did not answer within ${ms} ms`);
  }
}

/** A model that returned NaN or infinity (an fp16 overflow, a broken model): names the stage or expert (gRPC INTERNAL). */
export class NonFiniteOutputError extends Error {
  override readonly name = 'NonFiniteOutputError';
  constructor(
    /** `stage decode`, `expert refiner`. */
    readonly where: string,
    detail: string,
  ) {
    super(`${where}: ${detail}`);
  }
}

/** Past a limit (the coordinator's queue, a tenant's quota): retry after the hint (gRPC RESOURCE_EXHAUSTED, `retry-after` metadata). */
export class ResourceExhaustedError extends Error {
  override readonly name = 'ResourceExhaustedError';
  constructor(
    message: string,
    /** Seconds after which a retry may be admitted. */
    readonly retryAfterSeconds: number,
  ) {
    super(message);
  }
}

/** Something named by id that is not there, or no longer (gRPC NOT_FOUND). */
export class NotFoundError extends Error {
  override readonly name = 'NotFoundError';
}

/** A caller without valid credentials (gRPC UNAUTHENTICATED). */
export class UnauthenticatedError extends Error {
  override readonly name = 'UnauthenticatedError';
}

/** A caller whose credentials do not allow this (gRPC PERMISSION_DENIED). */
export class PermissionDeniedError extends Error {
  override readonly name = 'PermissionDeniedError';
}
