// Original file: protos/ediff/v1/node.proto

import type * as grpc from '@grpc/grpc-js'
import type { MethodDefinition } from '@grpc/proto-loader'
import type { DescribeNodeRequest as _ediff_v1_DescribeNodeRequest, DescribeNodeRequest__Output as _ediff_v1_DescribeNodeRequest__Output } from '../../ediff/v1/DescribeNodeRequest';
import type { EncodeRequest as _ediff_v1_EncodeRequest, EncodeRequest__Output as _ediff_v1_EncodeRequest__Output } from '../../ediff/v1/EncodeRequest';
import type { EncodeResponse as _ediff_v1_EncodeResponse, EncodeResponse__Output as _ediff_v1_EncodeResponse__Output } from '../../ediff/v1/EncodeResponse';
import type { NodeDescription as _ediff_v1_NodeDescription, NodeDescription__Output as _ediff_v1_NodeDescription__Output } from '../../ediff/v1/NodeDescription';

/**
 * Hosts the pack's tokenizers and encoders.
 */
export interface EncoderNodeClient extends grpc.Client {
  Describe(argument: _ediff_v1_DescribeNodeRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_ediff_v1_NodeDescription__Output>): grpc.ClientUnaryCall;
  Describe(argument: _ediff_v1_DescribeNodeRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_ediff_v1_NodeDescription__Output>): grpc.ClientUnaryCall;
  Describe(argument: _ediff_v1_DescribeNodeRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_ediff_v1_NodeDescription__Output>): grpc.ClientUnaryCall;
  Describe(argument: _ediff_v1_DescribeNodeRequest, callback: grpc.requestCallback<_ediff_v1_NodeDescription__Output>): grpc.ClientUnaryCall;
  describe(argument: _ediff_v1_DescribeNodeRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_ediff_v1_NodeDescription__Output>): grpc.ClientUnaryCall;
  describe(argument: _ediff_v1_DescribeNodeRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_ediff_v1_NodeDescription__Output>): grpc.ClientUnaryCall;
  describe(argument: _ediff_v1_DescribeNodeRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_ediff_v1_NodeDescription__Output>): grpc.ClientUnaryCall;
  describe(argument: _ediff_v1_DescribeNodeRequest, callback: grpc.requestCallback<_ediff_v1_NodeDescription__Output>): grpc.ClientUnaryCall;
  
  /**
   * The conditioning of one branch of guidance: the encoder outputs and derived conditioning
   * experts consume, the paint tensor and weight.
   */
  Encode(argument: _ediff_v1_EncodeRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_ediff_v1_EncodeResponse__Output>): grpc.ClientUnaryCall;
  Encode(argument: _ediff_v1_EncodeRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_ediff_v1_EncodeResponse__Output>): grpc.ClientUnaryCall;
  Encode(argument: _ediff_v1_EncodeRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_ediff_v1_EncodeResponse__Output>): grpc.ClientUnaryCall;
  Encode(argument: _ediff_v1_EncodeRequest, callback: grpc.requestCallback<_ediff_v1_EncodeResponse__Output>): grpc.ClientUnaryCall;
  /**
   * The conditioning of one branch of guidance: the encoder outputs and derived conditioning
   * experts consume, the paint tensor and weight.
   */
  encode(argument: _ediff_v1_EncodeRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_ediff_v1_EncodeResponse__Output>): grpc.ClientUnaryCall;
  encode(argument: _ediff_v1_EncodeRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_ediff_v1_EncodeResponse__Output>): grpc.ClientUnaryCall;
  encode(argument: _ediff_v1_EncodeRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_ediff_v1_EncodeResponse__Output>): grpc.ClientUnaryCall;
  encode(argument: _ediff_v1_EncodeRequest, callback: grpc.requestCallback<_ediff_v1_EncodeResponse__Output>): grpc.ClientUnaryCall;
  
}

/**
 * Hosts the pack's tokenizers and encoders.
 */
export interface EncoderNodeHandlers extends grpc.UntypedServiceImplementation {
  Describe: grpc.handleUnaryCall<_ediff_v1_DescribeNodeRequest__Output, _ediff_v1_NodeDescription>;
  
  /**
   * The conditioning of one branch of guidance: the encoder outputs and derived conditioning
   * experts consume, the paint tensor and weight.
   */
  Encode: grpc.handleUnaryCall<_ediff_v1_EncodeRequest__Output, _ediff_v1_EncodeResponse>;
  
}

export interface EncoderNodeDefinition extends grpc.ServiceDefinition {
  Describe: MethodDefinition<_ediff_v1_DescribeNodeRequest, _ediff_v1_NodeDescription, _ediff_v1_DescribeNodeRequest__Output, _ediff_v1_NodeDescription__Output>
  Encode: MethodDefinition<_ediff_v1_EncodeRequest, _ediff_v1_EncodeResponse, _ediff_v1_EncodeRequest__Output, _ediff_v1_EncodeResponse__Output>
}
