// Original file: protos/ediff/v1/node.proto

import type * as grpc from '@grpc/grpc-js'
import type { MethodDefinition } from '@grpc/proto-loader'
import type { DecodeRequest as _ediff_v1_DecodeRequest, DecodeRequest__Output as _ediff_v1_DecodeRequest__Output } from '../../ediff/v1/DecodeRequest';
import type { DecodeResponse as _ediff_v1_DecodeResponse, DecodeResponse__Output as _ediff_v1_DecodeResponse__Output } from '../../ediff/v1/DecodeResponse';
import type { DescribeNodeRequest as _ediff_v1_DescribeNodeRequest, DescribeNodeRequest__Output as _ediff_v1_DescribeNodeRequest__Output } from '../../ediff/v1/DescribeNodeRequest';
import type { NodeDescription as _ediff_v1_NodeDescription, NodeDescription__Output as _ediff_v1_NodeDescription__Output } from '../../ediff/v1/NodeDescription';
import type { UpscaleEvent as _ediff_v1_UpscaleEvent, UpscaleEvent__Output as _ediff_v1_UpscaleEvent__Output } from '../../ediff/v1/UpscaleEvent';
import type { UpscaleRequest as _ediff_v1_UpscaleRequest, UpscaleRequest__Output as _ediff_v1_UpscaleRequest__Output } from '../../ediff/v1/UpscaleRequest';

/**
 * Runs one image stage: a super-resolution stage with its own sampler loop, so its large
 * tensors stay on the node (Upscale), or a decode stage, a VAE decoder (Decode).
 */
export interface SuperResolutionNodeClient extends grpc.Client {
  Decode(argument: _ediff_v1_DecodeRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_ediff_v1_DecodeResponse__Output>): grpc.ClientUnaryCall;
  Decode(argument: _ediff_v1_DecodeRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_ediff_v1_DecodeResponse__Output>): grpc.ClientUnaryCall;
  Decode(argument: _ediff_v1_DecodeRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_ediff_v1_DecodeResponse__Output>): grpc.ClientUnaryCall;
  Decode(argument: _ediff_v1_DecodeRequest, callback: grpc.requestCallback<_ediff_v1_DecodeResponse__Output>): grpc.ClientUnaryCall;
  decode(argument: _ediff_v1_DecodeRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_ediff_v1_DecodeResponse__Output>): grpc.ClientUnaryCall;
  decode(argument: _ediff_v1_DecodeRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_ediff_v1_DecodeResponse__Output>): grpc.ClientUnaryCall;
  decode(argument: _ediff_v1_DecodeRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_ediff_v1_DecodeResponse__Output>): grpc.ClientUnaryCall;
  decode(argument: _ediff_v1_DecodeRequest, callback: grpc.requestCallback<_ediff_v1_DecodeResponse__Output>): grpc.ClientUnaryCall;
  
  Describe(argument: _ediff_v1_DescribeNodeRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_ediff_v1_NodeDescription__Output>): grpc.ClientUnaryCall;
  Describe(argument: _ediff_v1_DescribeNodeRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_ediff_v1_NodeDescription__Output>): grpc.ClientUnaryCall;
  Describe(argument: _ediff_v1_DescribeNodeRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_ediff_v1_NodeDescription__Output>): grpc.ClientUnaryCall;
  Describe(argument: _ediff_v1_DescribeNodeRequest, callback: grpc.requestCallback<_ediff_v1_NodeDescription__Output>): grpc.ClientUnaryCall;
  describe(argument: _ediff_v1_DescribeNodeRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_ediff_v1_NodeDescription__Output>): grpc.ClientUnaryCall;
  describe(argument: _ediff_v1_DescribeNodeRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_ediff_v1_NodeDescription__Output>): grpc.ClientUnaryCall;
  describe(argument: _ediff_v1_DescribeNodeRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_ediff_v1_NodeDescription__Output>): grpc.ClientUnaryCall;
  describe(argument: _ediff_v1_DescribeNodeRequest, callback: grpc.requestCallback<_ediff_v1_NodeDescription__Output>): grpc.ClientUnaryCall;
  
  Upscale(argument: _ediff_v1_UpscaleRequest, metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientReadableStream<_ediff_v1_UpscaleEvent__Output>;
  Upscale(argument: _ediff_v1_UpscaleRequest, options?: grpc.CallOptions): grpc.ClientReadableStream<_ediff_v1_UpscaleEvent__Output>;
  upscale(argument: _ediff_v1_UpscaleRequest, metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientReadableStream<_ediff_v1_UpscaleEvent__Output>;
  upscale(argument: _ediff_v1_UpscaleRequest, options?: grpc.CallOptions): grpc.ClientReadableStream<_ediff_v1_UpscaleEvent__Output>;
  
}

/**
 * Runs one image stage: a super-resolution stage with its own sampler loop, so its large
 * tensors stay on the node (Upscale), or a decode stage, a VAE decoder (Decode).
 */
export interface SuperResolutionNodeHandlers extends grpc.UntypedServiceImplementation {
  Decode: grpc.handleUnaryCall<_ediff_v1_DecodeRequest__Output, _ediff_v1_DecodeResponse>;
  
  Describe: grpc.handleUnaryCall<_ediff_v1_DescribeNodeRequest__Output, _ediff_v1_NodeDescription>;
  
  Upscale: grpc.handleServerStreamingCall<_ediff_v1_UpscaleRequest__Output, _ediff_v1_UpscaleEvent>;
  
}

export interface SuperResolutionNodeDefinition extends grpc.ServiceDefinition {
  Decode: MethodDefinition<_ediff_v1_DecodeRequest, _ediff_v1_DecodeResponse, _ediff_v1_DecodeRequest__Output, _ediff_v1_DecodeResponse__Output>
  Describe: MethodDefinition<_ediff_v1_DescribeNodeRequest, _ediff_v1_NodeDescription, _ediff_v1_DescribeNodeRequest__Output, _ediff_v1_NodeDescription__Output>
  Upscale: MethodDefinition<_ediff_v1_UpscaleRequest, _ediff_v1_UpscaleEvent, _ediff_v1_UpscaleRequest__Output, _ediff_v1_UpscaleEvent__Output>
}
