import type * as grpc from '@grpc/grpc-js';
import type { EnumTypeDefinition, MessageTypeDefinition } from '@grpc/proto-loader';

import type { CancelJobRequest as _ediff_v1_CancelJobRequest, CancelJobRequest__Output as _ediff_v1_CancelJobRequest__Output } from './ediff/v1/CancelJobRequest';
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
import type { GetJobRequest as _ediff_v1_GetJobRequest, GetJobRequest__Output as _ediff_v1_GetJobRequest__Output } from './ediff/v1/GetJobRequest';
import type { ImageSize as _ediff_v1_ImageSize, ImageSize__Output as _ediff_v1_ImageSize__Output } from './ediff/v1/ImageSize';
import type { Job as _ediff_v1_Job, Job__Output as _ediff_v1_Job__Output } from './ediff/v1/Job';
import type { JobEvent as _ediff_v1_JobEvent, JobEvent__Output as _ediff_v1_JobEvent__Output } from './ediff/v1/JobEvent';
import type { JobList as _ediff_v1_JobList, JobList__Output as _ediff_v1_JobList__Output } from './ediff/v1/JobList';
import type { JobStateEvent as _ediff_v1_JobStateEvent, JobStateEvent__Output as _ediff_v1_JobStateEvent__Output } from './ediff/v1/JobStateEvent';
import type { LatentInfo as _ediff_v1_LatentInfo, LatentInfo__Output as _ediff_v1_LatentInfo__Output } from './ediff/v1/LatentInfo';
import type { ListJobsRequest as _ediff_v1_ListJobsRequest, ListJobsRequest__Output as _ediff_v1_ListJobsRequest__Output } from './ediff/v1/ListJobsRequest';
import type { NodeStatus as _ediff_v1_NodeStatus, NodeStatus__Output as _ediff_v1_NodeStatus__Output } from './ediff/v1/NodeStatus';
import type { PaintRegion as _ediff_v1_PaintRegion, PaintRegion__Output as _ediff_v1_PaintRegion__Output } from './ediff/v1/PaintRegion';
import type { PipelineDefaults as _ediff_v1_PipelineDefaults, PipelineDefaults__Output as _ediff_v1_PipelineDefaults__Output } from './ediff/v1/PipelineDefaults';
import type { PipelineDescription as _ediff_v1_PipelineDescription, PipelineDescription__Output as _ediff_v1_PipelineDescription__Output } from './ediff/v1/PipelineDescription';
import type { PreviewEvent as _ediff_v1_PreviewEvent, PreviewEvent__Output as _ediff_v1_PreviewEvent__Output } from './ediff/v1/PreviewEvent';
import type { PromptSwitch as _ediff_v1_PromptSwitch, PromptSwitch__Output as _ediff_v1_PromptSwitch__Output } from './ediff/v1/PromptSwitch';
import type { StageTiming as _ediff_v1_StageTiming, StageTiming__Output as _ediff_v1_StageTiming__Output } from './ediff/v1/StageTiming';
import type { SubmitJobRequest as _ediff_v1_SubmitJobRequest, SubmitJobRequest__Output as _ediff_v1_SubmitJobRequest__Output } from './ediff/v1/SubmitJobRequest';
import type { SubmitJobResponse as _ediff_v1_SubmitJobResponse, SubmitJobResponse__Output as _ediff_v1_SubmitJobResponse__Output } from './ediff/v1/SubmitJobResponse';
import type { SuperResolutionInfo as _ediff_v1_SuperResolutionInfo, SuperResolutionInfo__Output as _ediff_v1_SuperResolutionInfo__Output } from './ediff/v1/SuperResolutionInfo';
import type { Tensor as _ediff_v1_Tensor, Tensor__Output as _ediff_v1_Tensor__Output } from './ediff/v1/Tensor';
import type { WatchJobRequest as _ediff_v1_WatchJobRequest, WatchJobRequest__Output as _ediff_v1_WatchJobRequest__Output } from './ediff/v1/WatchJobRequest';

type SubtypeConstructor<Constructor extends new (...args: any) => any, Subtype> = {
  new(...args: ConstructorParameters<Constructor>): Subtype;
};

export interface ProtoGrpcType {
  ediff: {
    v1: {
      CancelJobRequest: MessageTypeDefinition<_ediff_v1_CancelJobRequest, _ediff_v1_CancelJobRequest__Output>
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
      GetJobRequest: MessageTypeDefinition<_ediff_v1_GetJobRequest, _ediff_v1_GetJobRequest__Output>
      ImageSize: MessageTypeDefinition<_ediff_v1_ImageSize, _ediff_v1_ImageSize__Output>
      Job: MessageTypeDefinition<_ediff_v1_Job, _ediff_v1_Job__Output>
      JobEvent: MessageTypeDefinition<_ediff_v1_JobEvent, _ediff_v1_JobEvent__Output>
      JobList: MessageTypeDefinition<_ediff_v1_JobList, _ediff_v1_JobList__Output>
      JobState: EnumTypeDefinition
      JobStateEvent: MessageTypeDefinition<_ediff_v1_JobStateEvent, _ediff_v1_JobStateEvent__Output>
      LatentInfo: MessageTypeDefinition<_ediff_v1_LatentInfo, _ediff_v1_LatentInfo__Output>
      ListJobsRequest: MessageTypeDefinition<_ediff_v1_ListJobsRequest, _ediff_v1_ListJobsRequest__Output>
      NodeStatus: MessageTypeDefinition<_ediff_v1_NodeStatus, _ediff_v1_NodeStatus__Output>
      PaintRegion: MessageTypeDefinition<_ediff_v1_PaintRegion, _ediff_v1_PaintRegion__Output>
      PipelineDefaults: MessageTypeDefinition<_ediff_v1_PipelineDefaults, _ediff_v1_PipelineDefaults__Output>
      PipelineDescription: MessageTypeDefinition<_ediff_v1_PipelineDescription, _ediff_v1_PipelineDescription__Output>
      PreviewEvent: MessageTypeDefinition<_ediff_v1_PreviewEvent, _ediff_v1_PreviewEvent__Output>
      Progress: EnumTypeDefinition
      PromptSwitch: MessageTypeDefinition<_ediff_v1_PromptSwitch, _ediff_v1_PromptSwitch__Output>
      StageTiming: MessageTypeDefinition<_ediff_v1_StageTiming, _ediff_v1_StageTiming__Output>
      SubmitJobRequest: MessageTypeDefinition<_ediff_v1_SubmitJobRequest, _ediff_v1_SubmitJobRequest__Output>
      SubmitJobResponse: MessageTypeDefinition<_ediff_v1_SubmitJobResponse, _ediff_v1_SubmitJobResponse__Output>
      SuperResolutionInfo: MessageTypeDefinition<_ediff_v1_SuperResolutionInfo, _ediff_v1_SuperResolutionInfo__Output>
      Tensor: MessageTypeDefinition<_ediff_v1_Tensor, _ediff_v1_Tensor__Output>
      WatchJobRequest: MessageTypeDefinition<_ediff_v1_WatchJobRequest, _ediff_v1_WatchJobRequest__Output>
    }
  }
}

