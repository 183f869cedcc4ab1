// Original file: protos/ediff/v1/node.proto

import type * as grpc from '@grpc/grpc-js'
import type { MethodDefinition } from '@grpc/proto-loader'
import type { DenoiseRequests as _ediff_v1_DenoiseRequests, DenoiseRequests__Output as _ediff_v1_DenoiseRequests__Output } from '../../ediff/v1/DenoiseRequests';
import type { DenoiseResponses as _ediff_v1_DenoiseResponses, DenoiseResponses__Output as _ediff_v1_DenoiseResponses__Output } from '../../ediff/v1/DenoiseResponses';
import type { DescribeNodeRequest as _ediff_v1_DescribeNodeRequest, DescribeNodeRequest__Output as _ediff_v1_DescribeNodeRequest__Output } from '../../ediff/v1/DescribeNodeRequest';
import type { NodeDescription as _ediff_v1_NodeDescription, NodeDescription__Output as _ediff_v1_NodeDescription__Output } from '../../ediff/v1/NodeDescription';
import type { PutConditioningRequest as _ediff_v1_PutConditioningRequest, PutConditioningRequest__Output as _ediff_v1_PutConditioningRequest__Output } from '../../ediff/v1/PutConditioningRequest';
import type { PutConditioningResponse as _ediff_v1_PutConditioningResponse, PutConditioningResponse__Output as _ediff_v1_PutConditioningResponse__Output } from '../../ediff/v1/PutConditioningResponse';

/**
 * Hosts one expert denoiser.
 */
export interface ExpertNodeClient extends grpc.Client {
  /**
   * Evaluations on a long-lived stream, answered by id, in any order. A message carries the
   * evaluations its sender had ready at once (a coordinator: those its jobs asked for in one turn
   * of its event loop; a node: the answers of one batch), so that the per-message cost of the
   * transport is shared.
   */
  Denoise(metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientDuplexStream<_ediff_v1_DenoiseRequests, _ediff_v1_DenoiseResponses__Output>;
  Denoise(options?: grpc.CallOptions): grpc.ClientDuplexStream<_ediff_v1_DenoiseRequests, _ediff_v1_DenoiseResponses__Output>;
  /**
   * Evaluations on a long-lived stream, answered by id, in any order. A message carries the
   * evaluations its sender had ready at once (a coordinator: those its jobs asked for in one turn
   * of its event loop; a node: the answers of one batch), so that the per-message cost of the
   * transport is shared.
   */
  denoise(metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientDuplexStream<_ediff_v1_DenoiseRequests, _ediff_v1_DenoiseResponses__Output>;
  denoise(options?: grpc.CallOptions): grpc.ClientDuplexStream<_ediff_v1_DenoiseRequests, _ediff_v1_DenoiseResponses__Output>;
  
  Describe(argument: _ediff_v1_DescribeNodeRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_ediff_v1_NodeDescription__Output>): grpc.ClientUnaryCall;
  Describe(argument: _ediff_v1_DescribeNodeRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_ediff_v1_NodeDescription__Output>): grpc.ClientUnaryCall;
  Describe(argument: _ediff_v1_DescribeNodeRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_ediff_v1_NodeDescription__Output>): grpc.ClientUnaryCall;
  Describe(argument: _ediff_v1_DescribeNodeRequest, callback: grpc.requestCallback<_ediff_v1_NodeDescription__Output>): grpc.ClientUnaryCall;
  describe(argument: _ediff_v1_DescribeNodeRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_ediff_v1_NodeDescription__Output>): grpc.ClientUnaryCall;
  describe(argument: _ediff_v1_DescribeNodeRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_ediff_v1_NodeDescription__Output>): grpc.ClientUnaryCall;
  describe(argument: _ediff_v1_DescribeNodeRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_ediff_v1_NodeDescription__Output>): grpc.ClientUnaryCall;
  describe(argument: _ediff_v1_DescribeNodeRequest, callback: grpc.requestCallback<_ediff_v1_NodeDescription__Output>): grpc.ClientUnaryCall;
  
  /**
   * Uploads a job's conditioning once; evaluations then refer to it by id.
   */
  PutConditioning(argument: _ediff_v1_PutConditioningRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_ediff_v1_PutConditioningResponse__Output>): grpc.ClientUnaryCall;
  PutConditioning(argument: _ediff_v1_PutConditioningRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_ediff_v1_PutConditioningResponse__Output>): grpc.ClientUnaryCall;
  PutConditioning(argument: _ediff_v1_PutConditioningRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_ediff_v1_PutConditioningResponse__Output>): grpc.ClientUnaryCall;
  PutConditioning(argument: _ediff_v1_PutConditioningRequest, callback: grpc.requestCallback<_ediff_v1_PutConditioningResponse__Output>): grpc.ClientUnaryCall;
  /**
   * Uploads a job's conditioning once; evaluations then refer to it by id.
   */
  putConditioning(argument: _ediff_v1_PutConditioningRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_ediff_v1_PutConditioningResponse__Output>): grpc.ClientUnaryCall;
  putConditioning(argument: _ediff_v1_PutConditioningRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_ediff_v1_PutConditioningResponse__Output>): grpc.ClientUnaryCall;
  putConditioning(argument: _ediff_v1_PutConditioningRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_ediff_v1_PutConditioningResponse__Output>): grpc.ClientUnaryCall;
  putConditioning(argument: _ediff_v1_PutConditioningRequest, callback: grpc.requestCallback<_ediff_v1_PutConditioningResponse__Output>): grpc.ClientUnaryCall;
  
}

/**
 * Hosts one expert denoiser.
 */
export interface ExpertNodeHandlers extends grpc.UntypedServiceImplementation {
  /**
   * Evaluations on a long-lived stream, answered by id, in any order. A message carries the
   * evaluations its sender had ready at once (a coordinator: those its jobs asked for in one turn
   * of its event loop; a node: the answers of one batch), so that the per-message cost of the
   * transport is shared.
   */
  Denoise: grpc.handleBidiStreamingCall<_ediff_v1_DenoiseRequests__Output, _ediff_v1_DenoiseResponses>;
  
  Describe: grpc.handleUnaryCall<_ediff_v1_DescribeNodeRequest__Output, _ediff_v1_NodeDescription>;
  
  /**
   * Uploads a job's conditioning once; evaluations then refer to it by id.
   */
  PutConditioning: grpc.handleUnaryCall<_ediff_v1_PutConditioningRequest__Output, _ediff_v1_PutConditioningResponse>;
  
}

export interface ExpertNodeDefinition extends grpc.ServiceDefinition {
  Denoise: MethodDefinition<_ediff_v1_DenoiseRequests, _ediff_v1_DenoiseResponses, _ediff_v1_DenoiseRequests__Output, _ediff_v1_DenoiseResponses__Output>
  Describe: MethodDefinition<_ediff_v1_DescribeNodeRequest, _ediff_v1_NodeDescription, _ediff_v1_DescribeNodeRequest__Output, _ediff_v1_NodeDescription__Output>
  PutConditioning: MethodDefinition<_ediff_v1_PutConditioningRequest, _ediff_v1_PutConditioningResponse, _ediff_v1_PutConditioningRequest__Output, _ediff_v1_PutConditioningResponse__Output>
}
