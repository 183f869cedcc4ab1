import type * as grpc from '@grpc/grpc-js';
import type { EnumTypeDefinition, MessageTypeDefinition } from '@grpc/proto-loader';

import type { DecodeRequest as _ediff_v1_DecodeRequest, DecodeRequest__Output as _ediff_v1_DecodeRequest__Output } from './ediff/v1/DecodeRequest';
import type { DecodeResponse as _ediff_v1_DecodeResponse, DecodeResponse__Output as _ediff_v1_DecodeResponse__Output } from './ediff/v1/DecodeResponse';
import type { DenoiseRequest as _ediff_v1_DenoiseRequest, DenoiseRequest__Output as _ediff_v1_DenoiseRequest__Output } from './ediff/v1/DenoiseRequest';
import type { DenoiseRequests as _ediff_v1_DenoiseRequests, DenoiseRequests__Output as _ediff_v1_DenoiseRequests__Output } from './ediff/v1/DenoiseRequests';
import type { DenoiseResponse as _ediff_v1_DenoiseResponse, DenoiseResponse__Output as _ediff_v1_DenoiseResponse__Output } from './ediff/v1/DenoiseResponse';
import type { DenoiseResponses as _ediff_v1_DenoiseResponses, DenoiseResponses__Output as _ediff_v1_DenoiseResponses__Output } from './ediff/v1/DenoiseResponses';
import type { DescribeNodeRequest as _ediff_v1_DescribeNodeRequest, DescribeNodeRequest__Output as _ediff_v1_DescribeNodeRequest__Output } from './ediff/v1/DescribeNodeRequest';
import type { EncodeRequest as _ediff_v1_EncodeRequest, EncodeRequest__Output as _ediff_v1_EncodeRequest__Output } from './ediff/v1/EncodeRequest';
import type { EncodeResponse as _ediff_v1_EncodeResponse, EncodeResponse__Output as _ediff_v1_EncodeResponse__Output } from './ediff/v1/EncodeResponse';
import type { EncoderNodeClient as _ediff_v1_EncoderNodeClient, EncoderNodeDefinition as _ediff_v1_EncoderNodeDefinition } from './ediff/v1/EncoderNode';
import type { EvaluationEvent as _ediff_v1_EvaluationEvent, EvaluationEvent__Output as _ediff_v1_EvaluationEvent__Output } from './ediff/v1/EvaluationEvent';
import type { ExpertNodeClient as _ediff_v1_ExpertNodeClient, ExpertNodeDefinition as _ediff_v1_ExpertNodeDefinition } from './ediff/v1/ExpertNode';
import type { GeneratorState as _ediff_v1_GeneratorState, GeneratorState__Output as _ediff_v1_GeneratorState__Output } from './ediff/v1/GeneratorState';
import type { MicroConditioning as _ediff_v1_MicroConditioning, MicroConditioning__Output as _ediff_v1_MicroConditioning__Output } from './ediff/v1/MicroConditioning';
import type { NodeDescription as _ediff_v1_NodeDescription, NodeDescription__Output as _ediff_v1_NodeDescription__Output } from './ediff/v1/NodeDescription';
import type { PaintRegion as _ediff_v1_PaintRegion, PaintRegion__Output as _ediff_v1_PaintRegion__Output } from './ediff/v1/PaintRegion';
import type { PutConditioningRequest as _ediff_v1_PutConditioningRequest, PutConditioningRequest__Output as _ediff_v1_PutConditioningRequest__Output } from './ediff/v1/PutConditioningRequest';
import type { PutConditioningResponse as _ediff_v1_PutConditioningResponse, PutConditioningResponse__Output as _ediff_v1_PutConditioningResponse__Output } from './ediff/v1/PutConditioningResponse';
import type { SuperResolutionNodeClient as _ediff_v1_SuperResolutionNodeClient, SuperResolutionNodeDefinition as _ediff_v1_SuperResolutionNodeDefinition } from './ediff/v1/SuperResolutionNode';
import type { Tensor as _ediff_v1_Tensor, Tensor__Output as _ediff_v1_Tensor__Output } from './ediff/v1/Tensor';
import type { UpscaleEvent as _ediff_v1_UpscaleEvent, UpscaleEvent__Output as _ediff_v1_UpscaleEvent__Output } from './ediff/v1/UpscaleEvent';
import type { UpscaleRequest as _ediff_v1_UpscaleRequest, UpscaleRequest__Output as _ediff_v1_UpscaleRequest__Output } from './ediff/v1/UpscaleRequest';
import type { UpscaleResult as _ediff_v1_UpscaleResult, UpscaleResult__Output as _ediff_v1_UpscaleResult__Output } from './ediff/v1/UpscaleResult';

type SubtypeConstructor<Constructor extends new (...args: any) => any, Subtype> = {
  new(...args: ConstructorParameters<Constructor>): Subtype;
};

export interface ProtoGrpcType {
  ediff: {
    v1: {
      DType: EnumTypeDefinition
      DecodeRequest: MessageTypeDefinition<_ediff_v1_DecodeRequest, _ediff_v1_DecodeRequest__Output>
      DecodeResponse: MessageTypeDefinition<_ediff_v1_DecodeResponse, _ediff_v1_DecodeResponse__Output>
      DenoiseRequest: MessageTypeDefinition<_ediff_v1_DenoiseRequest, _ediff_v1_DenoiseRequest__Output>
      DenoiseRequests: MessageTypeDefinition<_ediff_v1_DenoiseRequests, _ediff_v1_DenoiseRequests__Output>
      DenoiseResponse: MessageTypeDefinition<_ediff_v1_DenoiseResponse, _ediff_v1_DenoiseResponse__Output>
      DenoiseResponses: MessageTypeDefinition<_ediff_v1_DenoiseResponses, _ediff_v1_DenoiseResponses__Output>
      DescribeNodeRequest: MessageTypeDefinition<_ediff_v1_DescribeNodeRequest, _ediff_v1_DescribeNodeRequest__Output>
      EncodeRequest: MessageTypeDefinition<_ediff_v1_EncodeRequest, _ediff_v1_EncodeRequest__Output>
      EncodeResponse: MessageTypeDefinition<_ediff_v1_EncodeResponse, _ediff_v1_EncodeResponse__Output>
      /**
       * Hosts the pack's tokenizers and encoders.
       */
      EncoderNode: SubtypeConstructor<typeof grpc.Client, _ediff_v1_EncoderNodeClient> & { service: _ediff_v1_EncoderNodeDefinition }
      EvaluationEvent: MessageTypeDefinition<_ediff_v1_EvaluationEvent, _ediff_v1_EvaluationEvent__Output>
      /**
       * Hosts one expert denoiser.
       */
      ExpertNode: SubtypeConstructor<typeof grpc.Client, _ediff_v1_ExpertNodeClient> & { service: _ediff_v1_ExpertNodeDefinition }
      GeneratorState: MessageTypeDefinition<_ediff_v1_GeneratorState, _ediff_v1_GeneratorState__Output>
      MicroConditioning: MessageTypeDefinition<_ediff_v1_MicroConditioning, _ediff_v1_MicroConditioning__Output>
      NodeDescription: MessageTypeDefinition<_ediff_v1_NodeDescription, _ediff_v1_NodeDescription__Output>
      PaintRegion: MessageTypeDefinition<_ediff_v1_PaintRegion, _ediff_v1_PaintRegion__Output>
      PutConditioningRequest: MessageTypeDefinition<_ediff_v1_PutConditioningRequest, _ediff_v1_PutConditioningRequest__Output>
      PutConditioningResponse: MessageTypeDefinition<_ediff_v1_PutConditioningResponse, _ediff_v1_PutConditioningResponse__Output>
      /**
       * Runs one image stage: a super-resolution stage with its own sampler loop, so its large
       * tensors stay on the node (Upscale), or a decode stage, a VAE decoder (Decode).
       */
      SuperResolutionNode: SubtypeConstructor<typeof grpc.Client, _ediff_v1_SuperResolutionNodeClient> & { service: _ediff_v1_SuperResolutionNodeDefinition }
      Tensor: MessageTypeDefinition<_ediff_v1_Tensor, _ediff_v1_Tensor__Output>
      UpscaleEvent: MessageTypeDefinition<_ediff_v1_UpscaleEvent, _ediff_v1_UpscaleEvent__Output>
      UpscaleRequest: MessageTypeDefinition<_ediff_v1_UpscaleRequest, _ediff_v1_UpscaleRequest__Output>
      UpscaleResult: MessageTypeDefinition<_ediff_v1_UpscaleResult, _ediff_v1_UpscaleResult__Output>
    }
  }
}

