/**
 * Errors as the HTTP API answers them: OpenAI's shape, with the HTTP code of their gRPC status;
 * and server-sent event streams, whose errors (once the stream has begun) are events of that shape.
 */
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

/** An error as the HTTP API answers it: its HTTP code and OpenAI's body. */
function openAiError(error: unknown): { http: number; body: { error: { message: string; type: string; param: string | null; code: string | null } } } {
  const status = toServiceError(error);
  const [http, type] = HTTP_STATUS[status.code] ?? [500, 'server_error'];
  let message = status.details;
  let param: string | null = null;
  if (error instanceof InvalidArgumentError) {
    param = HTTP_FIELD_NAMES[error.field] ?? error.field;
    if (param !== error.field) message = `${param}${message.slice(error.field.length)}`;
  }
  return { http, body: { error: { message, type, param, code: Status[status.code]?.toLowerCase() ?? null } } };
}

export function sendError(reply: FastifyReply, error: unknown): FastifyReply {
  if (error instanceof ResourceExhaustedError) void reply.header('retry-after', String(error.retryAfterSeconds));
  const { http, body } = openAiError(error);
  return reply.code(http).send(body);
}

/** A server-sent event stream on a reply fastify no longer handles: `send` writes one event, `fail` an error event. */
export function eventStream(reply: FastifyReply): { send: (event: string, data: object, id?: number) => void; fail: (error: unknown) => void } {
  reply.hijack();
  reply.raw.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive' });
  const send = (event: string, data: object, id?: number) => void reply.raw.write(`${id === undefined ? '' : `id: ${id}\n`}event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
  return { send, fail: (error) => send('error', openAiError(error).body) };
}
