/** Errors as the HTTP API answers them: OpenAI's shape, with the HTTP code of their gRPC status. */
import type { FastifyReply } from 'fastify';
import { InvalidArgumentError, ResourceExhaustedError } from '../common/errors.ts';
import { Status, toServiceError } from '../common/grpc/status.ts';

/** HTTP codes and OpenAI error types of gRPC statuses. */
const HTTP_STATUS: Partial<Record<number, [number, string]>> = {
  [Status.INVALID_ARGUMENT]: [400, 'invalid_request_error'],
  [Status.FAILED_PRECONDITION]: [400, 'invalid_request_error'],
  [Status.UNAUTHENTICATED]: [401, 'authentication_error'],
  [Status.PERMISSION_DENIED]: [403, 'permission_error'],
  [Status.NOT_FOUND]: [404, 'not_found_error'],
  [Status.RESOURCE_EXHAUSTED]: [429, 'rate_limit_error'],
  [Status.CANCELLED]: [499, 'cancelled'],
  [Status.UNAVAILABLE]: [503, 'service_unavailable'],
  [Status.DEADLINE_EXCEEDED]: [504, 'timeout'],
};

/** The request's fields whose HTTP names differ from gRPC's (which errors name). */
const HTTP_FIELD_NAMES: Record<string, string> = { steps: 'num_inference_steps', guidance: 'guidance_scale' };

export function sendError(reply: FastifyReply, error: unknown): FastifyReply {
  const status = toServiceError(error);
  const [http, type] = HTTP_STATUS[status.code] ?? [500, 'server_error'];
  if (error instanceof ResourceExhaustedError) void reply.header('retry-after', String(error.retryAfterSeconds));
  let message = status.details;
  let param: string | null = null;
  if (error instanceof InvalidArgumentError) {
    param = HTTP_FIELD_NAMES[error.field] ?? error.field;
    if (param !== error.field) message = `${param}${message.slice(error.field.length)}`;
  }
  return reply.code(http).send({ error: { message, type, param, code: Status[status.code]?.toLowerCase() ?? null } });
}

/** An error as the data of a server-sent `error` event. */
export function errorEvent(error: unknown): string {
  const status = toServiceError(error);
  return `event: error\ndata: ${JSON.stringify({ error: { message: status.details, type: (HTTP_STATUS[status.code] ?? [500, 'server_error'])[1], param: null, code: Status[status.code]?.toLowerCase() ?? null } })}\n\n`;
}
