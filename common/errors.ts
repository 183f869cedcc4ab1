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
