import type * as grpc from '@grpc/grpc-js';
import type { EnumTypeDefinition, MessageTypeDefinition } from '@grpc/proto-loader';

import type { ClusterStatus as _ediff_v1_ClusterStatus, ClusterStatus__Output as _ediff_v1_ClusterStatus__Output } from './ediff/v1/ClusterStatus';
import type { CoordinatorClient as _ediff_v1_CoordinatorClient, CoordinatorDefinition as _ediff_v1_CoordinatorDefinition } from './ediff/v1/Coordinator';
import type { DecodeInfo as _ediff_v1_DecodeInfo, DecodeInfo__Output as _ediff_v1_DecodeInfo__Output } from './ediff/v1/DecodeInfo';
import type { DescribePipelineRequest as _ediff_v1_DescribePipelineRequest, DescribePipelineRequest__Output as _ediff_v1_DescribePipelineRequest__Output } from './ediff/v1/DescribePipelineRequest';
import type { EncoderInfo as _ediff_v1_EncoderInfo, EncoderInfo__Output as _ediff_v1_EncoderInfo__Output } from './ediff/v1/EncoderInfo';
import type { EvaluationEvent as _ediff_v1_EvaluationEvent, EvaluationEvent__Output as _ediff_v1_EvaluationEvent__Output } from './ediff/v1/EvaluationEvent';
import type { ExpertInfo as _ediff_v1_ExpertInfo, ExpertInfo__Output as _ediff_v1_ExpertInfo__Output } from './ediff/v1/ExpertInfo';
import type { GenerateEvent as _ediff_v1_GenerateEvent, GenerateEvent__Output as _ediff_v1_GenerateEvent__Output } from './ediff/v1/GenerateEvent';
import type { GenerateRequest as _ediff_v1_GenerateRequest, GenerateRequest__Output as _ediff_v1_GenerateRequest__Output } from './ediff/v1/GenerateRequest';
import type { GenerateResult as _ediff_v1_GenerateResult, GenerateResult__Output as _ediff_v1_GenerateResult__Output } from './ediff/v1/GenerateResult';
import type { GetClusterStatusRequest as _ediff_v1_GetClusterStatusRequest, GetClusterStatusRequest__Output as _ediff_v1_GetClusterStatusRequest__Output } from './ediff/v1/GetClusterStatusRequest';
import type { ImageSize as _ediff_v1_ImageSize, ImageSize__Output as _ediff_v1_ImageSize__Output } from './ediff/v1/ImageSize';
import type { LatentInfo as _ediff_v1_LatentInfo, LatentInfo__Output as _ediff_v1_LatentInfo__Output } from './ediff/v1/LatentInfo';
import type { NodeStatus as _ediff_v1_NodeStatus, NodeStatus__Output as _ediff_v1_NodeStatus__Output } from './ediff/v1/NodeStatus';
import type { PaintRegion as _ediff_v1_PaintRegion, PaintRegion__Output as _ediff_v1_PaintRegion__Output } from './ediff/v1/PaintRegion';
import type { PipelineDefaults as _ediff_v1_PipelineDefaults, PipelineDefaults__Output as _ediff_v1_PipelineDefaults__Output } from './ediff/v1/PipelineDefaults';
import type { PipelineDescription as _ediff_v1_PipelineDescription, PipelineDescription__Output as _ediff_v1_PipelineDescription__Output } from './ediff/v1/PipelineDescription';
import type { PreviewEvent as _ediff_v1_PreviewEvent, PreviewEvent__Output as _ediff_v1_PreviewEvent__Output } from './ediff/v1/PreviewEvent';
import type { PromptSwitch as _ediff_v1_PromptSwitch, PromptSwitch__Output as _ediff_v1_PromptSwitch__Output } from './ediff/v1/PromptSwitch';
import type { StageTiming as _ediff_v1_StageTiming, StageTiming__Output as _ediff_v1_StageTiming__Output } from './ediff/v1/StageTiming';
import type { SuperResolutionInfo as _ediff_v1_SuperResolutionInfo, SuperResolutionInfo__Output as _ediff_v1_SuperResolutionInfo__Output } from './ediff/v1/SuperResolutionInfo';
import type { Tensor as _ediff_v1_Tensor, Tensor__Output as _ediff_v1_Tensor__Output } from './ediff/v1/Tensor';

type SubtypeConstructor<Constructor extends new (...args: any) => any, Subtype> = {
  new(...args: ConstructorParameters<Constructor>): Subtype;
};

export interface ProtoGrpcType {
  ediff: {
    v1: {
      ClusterStatus: MessageTypeDefinition<_ediff_v1_ClusterStatus, _ediff_v1_ClusterStatus__Output>
      /**
       * The public API of an ediff cluster.
       */
      Coordinator: SubtypeConstructor<typeof grpc.Client, _ediff_v1_CoordinatorClient> & { service: _ediff_v1_CoordinatorDefinition }
      DType: EnumTypeDefinition
      DecodeInfo: MessageTypeDefinition<_ediff_v1_DecodeInfo, _ediff_v1_DecodeInfo__Output>
      DescribePipelineRequest: MessageTypeDefinition<_ediff_v1_DescribePipelineRequest, _ediff_v1_DescribePipelineRequest__Output>
      EncoderInfo: MessageTypeDefinition<_ediff_v1_EncoderInfo, _ediff_v1_EncoderInfo__Output>
      EvaluationEvent: MessageTypeDefinition<_ediff_v1_EvaluationEvent, _ediff_v1_EvaluationEvent__Output>
      ExpertInfo: MessageTypeDefinition<_ediff_v1_ExpertInfo, _ediff_v1_ExpertInfo__Output>
      GenerateEvent: MessageTypeDefinition<_ediff_v1_GenerateEvent, _ediff_v1_GenerateEvent__Output>
      GenerateRequest: MessageTypeDefinition<_ediff_v1_GenerateRequest, _ediff_v1_GenerateRequest__Output>
      GenerateResult: MessageTypeDefinition<_ediff_v1_GenerateResult, _ediff_v1_GenerateResult__Output>
      GetClusterStatusRequest: MessageTypeDefinition<_ediff_v1_GetClusterStatusRequest, _ediff_v1_GetClusterStatusRequest__Output>
      ImageSize: MessageTypeDefinition<_ediff_v1_ImageSize, _ediff_v1_ImageSize__Output>
      LatentInfo: MessageTypeDefinition<_ediff_v1_LatentInfo, _ediff_v1_LatentInfo__Output>
      NodeStatus: MessageTypeDefinition<_ediff_v1_NodeStatus, _ediff_v1_NodeStatus__Output>
      PaintRegion: MessageTypeDefinition<_ediff_v1_PaintRegion, _ediff_v1_PaintRegion__Output>
      PipelineDefaults: MessageTypeDefinition<_ediff_v1_PipelineDefaults, _ediff_v1_PipelineDefaults__Output>
      PipelineDescription: MessageTypeDefinition<_ediff_v1_PipelineDescription, _ediff_v1_PipelineDescription__Output>
      PreviewEvent: MessageTypeDefinition<_ediff_v1_PreviewEvent, _ediff_v1_PreviewEvent__Output>
      Progress: EnumTypeDefinition
      PromptSwitch: MessageTypeDefinition<_ediff_v1_PromptSwitch, _ediff_v1_PromptSwitch__Output>
      StageTiming: MessageTypeDefinition<_ediff_v1_StageTiming, _ediff_v1_StageTiming__Output>
      SuperResolutionInfo: MessageTypeDefinition<_ediff_v1_SuperResolutionInfo, _ediff_v1_SuperResolutionInfo__Output>
      Tensor: MessageTypeDefinition<_ediff_v1_Tensor, _ediff_v1_Tensor__Output>
    }
  }
}

