// Original file: protos/ediff/v1/coordinator.proto

import type * as grpc from '@grpc/grpc-js'
import type { MethodDefinition } from '@grpc/proto-loader'
import type { ClusterStatus as _ediff_v1_ClusterStatus, ClusterStatus__Output as _ediff_v1_ClusterStatus__Output } from '../../ediff/v1/ClusterStatus';
import type { DescribePipelineRequest as _ediff_v1_DescribePipelineRequest, DescribePipelineRequest__Output as _ediff_v1_DescribePipelineRequest__Output } from '../../ediff/v1/DescribePipelineRequest';
import type { GenerateEvent as _ediff_v1_GenerateEvent, GenerateEvent__Output as _ediff_v1_GenerateEvent__Output } from '../../ediff/v1/GenerateEvent';
import type { GenerateRequest as _ediff_v1_GenerateRequest, GenerateRequest__Output as _ediff_v1_GenerateRequest__Output } from '../../ediff/v1/GenerateRequest';
import type { GetClusterStatusRequest as _ediff_v1_GetClusterStatusRequest, GetClusterStatusRequest__Output as _ediff_v1_GetClusterStatusRequest__Output } from '../../ediff/v1/GetClusterStatusRequest';
import type { PipelineDescription as _ediff_v1_PipelineDescription, PipelineDescription__Output as _ediff_v1_PipelineDescription__Output } from '../../ediff/v1/PipelineDescription';

/**
 * The public API of an ediff cluster.
 */
export interface CoordinatorClient extends grpc.Client {
  /**
   * The pack the cluster serves: experts and their sigma ranges, encoders, SR stages, defaults.
   */
  DescribePipeline(argument: _ediff_v1_DescribePipelineRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_ediff_v1_PipelineDescription__Output>): grpc.ClientUnaryCall;
  DescribePipeline(argument: _ediff_v1_DescribePipelineRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_ediff_v1_PipelineDescription__Output>): grpc.ClientUnaryCall;
  DescribePipeline(argument: _ediff_v1_DescribePipelineRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_ediff_v1_PipelineDescription__Output>): grpc.ClientUnaryCall;
  DescribePipeline(argument: _ediff_v1_DescribePipelineRequest, callback: grpc.requestCallback<_ediff_v1_PipelineDescription__Output>): grpc.ClientUnaryCall;
  /**
   * The pack the cluster serves: experts and their sigma ranges, encoders, SR stages, defaults.
   */
  describePipeline(argument: _ediff_v1_DescribePipelineRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_ediff_v1_PipelineDescription__Output>): grpc.ClientUnaryCall;
  describePipeline(argument: _ediff_v1_DescribePipelineRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_ediff_v1_PipelineDescription__Output>): grpc.ClientUnaryCall;
  describePipeline(argument: _ediff_v1_DescribePipelineRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_ediff_v1_PipelineDescription__Output>): grpc.ClientUnaryCall;
  describePipeline(argument: _ediff_v1_DescribePipelineRequest, callback: grpc.requestCallback<_ediff_v1_PipelineDescription__Output>): grpc.ClientUnaryCall;
  
  /**
   * Runs one generation job: an event per network evaluation, a preview every
   * `preview_every` base steps, then the result. Cancel the call to stop the job. The stream
   * ends right after the result: read it to its end rather than cancelling it then (a late
   * cancel is an invalid frame to the server, which closes a connection after 1000 of them).
   */
  Generate(argument: _ediff_v1_GenerateRequest, metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientReadableStream<_ediff_v1_GenerateEvent__Output>;
  Generate(argument: _ediff_v1_GenerateRequest, options?: grpc.CallOptions): grpc.ClientReadableStream<_ediff_v1_GenerateEvent__Output>;
  /**
   * Runs one generation job: an event per network evaluation, a preview every
   * `preview_every` base steps, then the result. Cancel the call to stop the job. The stream
   * ends right after the result: read it to its end rather than cancelling it then (a late
   * cancel is an invalid frame to the server, which closes a connection after 1000 of them).
   */
  generate(argument: _ediff_v1_GenerateRequest, metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientReadableStream<_ediff_v1_GenerateEvent__Output>;
  generate(argument: _ediff_v1_GenerateRequest, options?: grpc.CallOptions): grpc.ClientReadableStream<_ediff_v1_GenerateEvent__Output>;
  
  /**
   * Every node the coordinator knows, with its role, address, health and load.
   */
  GetClusterStatus(argument: _ediff_v1_GetClusterStatusRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_ediff_v1_ClusterStatus__Output>): grpc.ClientUnaryCall;
  GetClusterStatus(argument: _ediff_v1_GetClusterStatusRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_ediff_v1_ClusterStatus__Output>): grpc.ClientUnaryCall;
  GetClusterStatus(argument: _ediff_v1_GetClusterStatusRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_ediff_v1_ClusterStatus__Output>): grpc.ClientUnaryCall;
  GetClusterStatus(argument: _ediff_v1_GetClusterStatusRequest, callback: grpc.requestCallback<_ediff_v1_ClusterStatus__Output>): grpc.ClientUnaryCall;
  /**
   * Every node the coordinator knows, with its role, address, health and load.
   */
  getClusterStatus(argument: _ediff_v1_GetClusterStatusRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_ediff_v1_ClusterStatus__Output>): grpc.ClientUnaryCall;
  getClusterStatus(argument: _ediff_v1_GetClusterStatusRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_ediff_v1_ClusterStatus__Output>): grpc.ClientUnaryCall;
  getClusterStatus(argument: _ediff_v1_GetClusterStatusRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_ediff_v1_ClusterStatus__Output>): grpc.ClientUnaryCall;
  getClusterStatus(argument: _ediff_v1_GetClusterStatusRequest, callback: grpc.requestCallback<_ediff_v1_ClusterStatus__Output>): grpc.ClientUnaryCall;
  
}

/**
 * The public API of an ediff cluster.
 */
export interface CoordinatorHandlers extends grpc.UntypedServiceImplementation {
  /**
   * The pack the cluster serves: experts and their sigma ranges, encoders, SR stages, defaults.
   */
  DescribePipeline: grpc.handleUnaryCall<_ediff_v1_DescribePipelineRequest__Output, _ediff_v1_PipelineDescription>;
  
  /**
   * Runs one generation job: an event per network evaluation, a preview every
   * `preview_every` base steps, then the result. Cancel the call to stop the job. The stream
   * ends right after the result: read it to its end rather than cancelling it then (a late
   * cancel is an invalid frame to the server, which closes a connection after 1000 of them).
   */
  Generate: grpc.handleServerStreamingCall<_ediff_v1_GenerateRequest__Output, _ediff_v1_GenerateEvent>;
  
  /**
   * Every node the coordinator knows, with its role, address, health and load.
   */
  GetClusterStatus: grpc.handleUnaryCall<_ediff_v1_GetClusterStatusRequest__Output, _ediff_v1_ClusterStatus>;
  
}

export interface CoordinatorDefinition extends grpc.ServiceDefinition {
  DescribePipeline: MethodDefinition<_ediff_v1_DescribePipelineRequest, _ediff_v1_PipelineDescription, _ediff_v1_DescribePipelineRequest__Output, _ediff_v1_PipelineDescription__Output>
  Generate: MethodDefinition<_ediff_v1_GenerateRequest, _ediff_v1_GenerateEvent, _ediff_v1_GenerateRequest__Output, _ediff_v1_GenerateEvent__Output>
  GetClusterStatus: MethodDefinition<_ediff_v1_GetClusterStatusRequest, _ediff_v1_ClusterStatus, _ediff_v1_GetClusterStatusRequest__Output, _ediff_v1_ClusterStatus__Output>
}
