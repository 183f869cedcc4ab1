/**
 * A service whose unary and server-streaming methods answer a request that is not a valid
 * protobuf message of their type with INVALID_ARGUMENT naming the method and what is wrong.
 * grpc-js itself answers INTERNAL ("Error deserializing request"), which reads as a server fault.
 * Methods with a request stream keep grpc-js's handling.
 */
import * as grpc from '@grpc/grpc-js';

const UNDECODABLE = Symbol('undecodable');
type Undecodable = { [UNDECODABLE]: string };
const undecodable = (request: unknown): request is Undecodable => typeof request === 'object' && request !== null && UNDECODABLE in request;

export function addCheckedService(server: grpc.Server, service: grpc.ServiceDefinition, handlers: grpc.UntypedServiceImplementation): void {
  const checkedService: Record<string, grpc.MethodDefinition<unknown, unknown>> = {};
  const checkedHandlers: grpc.UntypedServiceImplementation = { ...handlers };
  for (const [name, method] of Object.entries(service)) {
    const key = name in handlers ? name : method.originalName;
    const handler = key ? handlers[key] : undefined;
    if (method.requestStream || !handler || !key) {
      checkedService[name] = method;
      continue;
    }
    checkedService[name] = {
      ...method,
      requestDeserialize: (bytes: Buffer) => {
        try {
          return method.requestDeserialize(bytes);
        } catch (error) {
          return { [UNDECODABLE]: (error as Error).message } satisfies Undecodable;
        }
      },
    };
    const refusal = (request: Undecodable): grpc.StatusObject => ({
      code: grpc.status.INVALID_ARGUMENT,
      details: `the request is not a valid protobuf message for ${method.path} (${request[UNDECODABLE]}); build it from ediff's protos (protos/ediff/v1)`,
      metadata: new grpc.Metadata(),
    });
    checkedHandlers[key] = method.responseStream
      ? (call: grpc.ServerWritableStream<unknown, unknown>) => (undecodable(call.request) ? call.emit('error', refusal(call.request)) : (handler as grpc.handleServerStreamingCall<unknown, unknown>)(call))
      : (call: grpc.ServerUnaryCall<unknown, unknown>, callback: grpc.sendUnaryData<unknown>) => (undecodable(call.request) ? callback(refusal(call.request)) : (handler as grpc.handleUnaryCall<unknown, unknown>)(call, callback));
  }
  server.addService(checkedService, checkedHandlers);
}
