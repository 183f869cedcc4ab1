// Original file: protos/ediff/v1/coordinator.proto

import type * as grpc from '@grpc/grpc-js'
import type { MethodDefinition } from '@grpc/proto-loader'
import type { CancelJobRequest as _ediff_v1_CancelJobRequest, CancelJobRequest__Output as _ediff_v1_CancelJobRequest__Output } from '../../ediff/v1/CancelJobRequest';
import type { ClusterStatus as _ediff_v1_ClusterStatus, ClusterStatus__Output as _ediff_v1_ClusterStatus__Output } from '../../ediff/v1/ClusterStatus';
import type { DescribePipelineRequest as _ediff_v1_DescribePipelineRequest, DescribePipelineRequest__Output as _ediff_v1_DescribePipelineRequest__Output } from '../../ediff/v1/DescribePipelineRequest';
import type { GenerateEvent as _ediff_v1_GenerateEvent, GenerateEvent__Output as _ediff_v1_GenerateEvent__Output } from '../../ediff/v1/GenerateEvent';
import type { GenerateRequest as _ediff_v1_GenerateRequest, GenerateRequest__Output as _ediff_v1_GenerateRequest__Output } from '../../ediff/v1/GenerateRequest';
import type { GetClusterStatusRequest as _ediff_v1_GetClusterStatusRequest, GetClusterStatusRequest__Output as _ediff_v1_GetClusterStatusRequest__Output } from '../../ediff/v1/GetClusterStatusRequest';
import type { GetJobRequest as _ediff_v1_GetJobRequest, GetJobRequest__Output as _ediff_v1_GetJobRequest__Output } from '../../ediff/v1/GetJobRequest';
import type { Job as _ediff_v1_Job, Job__Output as _ediff_v1_Job__Output } from '../../ediff/v1/Job';
import type { JobEvent as _ediff_v1_JobEvent, JobEvent__Output as _ediff_v1_JobEvent__Output } from '../../ediff/v1/JobEvent';
import type { JobList as _ediff_v1_JobList, JobList__Output as _ediff_v1_JobList__Output } from '../../ediff/v1/JobList';
import type { ListJobsRequest as _ediff_v1_ListJobsRequest, ListJobsRequest__Output as _ediff_v1_ListJobsRequest__Output } from '../../ediff/v1/ListJobsRequest';
import type { PipelineDescription as _ediff_v1_PipelineDescription, PipelineDescription__Output as _ediff_v1_PipelineDescription__Output } from '../../ediff/v1/PipelineDescription';
import type { SubmitJobRequest as _ediff_v1_SubmitJobRequest, SubmitJobRequest__Output as _ediff_v1_SubmitJobRequest__Output } from '../../ediff/v1/SubmitJobRequest';
import type { SubmitJobResponse as _ediff_v1_SubmitJobResponse, SubmitJobResponse__Output as _ediff_v1_SubmitJobResponse__Output } from '../../ediff/v1/SubmitJobResponse';
import type { WatchJobRequest as _ediff_v1_WatchJobRequest, WatchJobRequest__Output as _ediff_v1_WatchJobRequest__Output } from '../../ediff/v1/WatchJobRequest';

/**
 * The public API of an ediff cluster.
 */
export interface CoordinatorClient extends grpc.Client {
  CancelJob(argument: _ediff_v1_CancelJobRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_ediff_v1_Job__Output>): grpc.ClientUnaryCall;
  CancelJob(argument: _ediff_v1_CancelJobRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_ediff_v1_Job__Output>): grpc.ClientUnaryCall;
  CancelJob(argument: _ediff_v1_CancelJobRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_ediff_v1_Job__Output>): grpc.ClientUnaryCall;
  CancelJob(argument: _ediff_v1_CancelJobRequest, callback: grpc.requestCallback<_ediff_v1_Job__Output>): grpc.ClientUnaryCall;
  cancelJob(argument: _ediff_v1_CancelJobRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_ediff_v1_Job__Output>): grpc.ClientUnaryCall;
  cancelJob(argument: _ediff_v1_CancelJobRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_ediff_v1_Job__Output>): grpc.ClientUnaryCall;
  cancelJob(argument: _ediff_v1_CancelJobRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_ediff_v1_Job__Output>): grpc.ClientUnaryCall;
  cancelJob(argument: _ediff_v1_CancelJobRequest, callback: grpc.requestCallback<_ediff_v1_Job__Output>): grpc.ClientUnaryCall;
  
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
  
  GetJob(argument: _ediff_v1_GetJobRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_ediff_v1_Job__Output>): grpc.ClientUnaryCall;
  GetJob(argument: _ediff_v1_GetJobRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_ediff_v1_Job__Output>): grpc.ClientUnaryCall;
  GetJob(argument: _ediff_v1_GetJobRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_ediff_v1_Job__Output>): grpc.ClientUnaryCall;
  GetJob(argument: _ediff_v1_GetJobRequest, callback: grpc.requestCallback<_ediff_v1_Job__Output>): grpc.ClientUnaryCall;
  getJob(argument: _ediff_v1_GetJobRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_ediff_v1_Job__Output>): grpc.ClientUnaryCall;
  getJob(argument: _ediff_v1_GetJobRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_ediff_v1_Job__Output>): grpc.ClientUnaryCall;
  getJob(argument: _ediff_v1_GetJobRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_ediff_v1_Job__Output>): grpc.ClientUnaryCall;
  getJob(argument: _ediff_v1_GetJobRequest, callback: grpc.requestCallback<_ediff_v1_Job__Output>): grpc.ClientUnaryCall;
  
  ListJobs(argument: _ediff_v1_ListJobsRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_ediff_v1_JobList__Output>): grpc.ClientUnaryCall;
  ListJobs(argument: _ediff_v1_ListJobsRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_ediff_v1_JobList__Output>): grpc.ClientUnaryCall;
  ListJobs(argument: _ediff_v1_ListJobsRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_ediff_v1_JobList__Output>): grpc.ClientUnaryCall;
  ListJobs(argument: _ediff_v1_ListJobsRequest, callback: grpc.requestCallback<_ediff_v1_JobList__Output>): grpc.ClientUnaryCall;
  listJobs(argument: _ediff_v1_ListJobsRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_ediff_v1_JobList__Output>): grpc.ClientUnaryCall;
  listJobs(argument: _ediff_v1_ListJobsRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_ediff_v1_JobList__Output>): grpc.ClientUnaryCall;
  listJobs(argument: _ediff_v1_ListJobsRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_ediff_v1_JobList__Output>): grpc.ClientUnaryCall;
  listJobs(argument: _ediff_v1_ListJobsRequest, callback: grpc.requestCallback<_ediff_v1_JobList__Output>): grpc.ClientUnaryCall;
  
  /**
   * Jobs that outlive a call. SubmitJob stores the job and returns its id at once (a client
   * job id makes a retry idempotent: the same id returns the same job); WatchJob streams its
   * events from after the last one the client saw, so a client that reconnects misses none;
   * GetJob, CancelJob, ListJobs. Generate is SubmitJob + WatchJob in one call. Past the
   * coordinator's limits (--max-running, --max-queued) a submission is RESOURCE_EXHAUSTED with
   * a `retry-after` (seconds) in the trailing metadata.
   */
  SubmitJob(argument: _ediff_v1_SubmitJobRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_ediff_v1_SubmitJobResponse__Output>): grpc.ClientUnaryCall;
  SubmitJob(argument: _ediff_v1_SubmitJobRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_ediff_v1_SubmitJobResponse__Output>): grpc.ClientUnaryCall;
  SubmitJob(argument: _ediff_v1_SubmitJobRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_ediff_v1_SubmitJobResponse__Output>): grpc.ClientUnaryCall;
  SubmitJob(argument: _ediff_v1_SubmitJobRequest, callback: grpc.requestCallback<_ediff_v1_SubmitJobResponse__Output>): grpc.ClientUnaryCall;
  /**
   * Jobs that outlive a call. SubmitJob stores the job and returns its id at once (a client
   * job id makes a retry idempotent: the same id returns the same job); WatchJob streams its
   * events from after the last one the client saw, so a client that reconnects misses none;
   * GetJob, CancelJob, ListJobs. Generate is SubmitJob + WatchJob in one call. Past the
   * coordinator's limits (--max-running, --max-queued) a submission is RESOURCE_EXHAUSTED with
   * a `retry-after` (seconds) in the trailing metadata.
   */
  submitJob(argument: _ediff_v1_SubmitJobRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_ediff_v1_SubmitJobResponse__Output>): grpc.ClientUnaryCall;
  submitJob(argument: _ediff_v1_SubmitJobRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_ediff_v1_SubmitJobResponse__Output>): grpc.ClientUnaryCall;
  submitJob(argument: _ediff_v1_SubmitJobRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_ediff_v1_SubmitJobResponse__Output>): grpc.ClientUnaryCall;
  submitJob(argument: _ediff_v1_SubmitJobRequest, callback: grpc.requestCallback<_ediff_v1_SubmitJobResponse__Output>): grpc.ClientUnaryCall;
  
  WatchJob(argument: _ediff_v1_WatchJobRequest, metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientReadableStream<_ediff_v1_JobEvent__Output>;
  WatchJob(argument: _ediff_v1_WatchJobRequest, options?: grpc.CallOptions): grpc.ClientReadableStream<_ediff_v1_JobEvent__Output>;
  watchJob(argument: _ediff_v1_WatchJobRequest, metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientReadableStream<_ediff_v1_JobEvent__Output>;
  watchJob(argument: _ediff_v1_WatchJobRequest, options?: grpc.CallOptions): grpc.ClientReadableStream<_ediff_v1_JobEvent__Output>;
  
}

/**
 * The public API of an ediff cluster.
 */
export interface CoordinatorHandlers extends grpc.UntypedServiceImplementation {
  CancelJob: grpc.handleUnaryCall<_ediff_v1_CancelJobRequest__Output, _ediff_v1_Job>;
  
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
  
  GetJob: grpc.handleUnaryCall<_ediff_v1_GetJobRequest__Output, _ediff_v1_Job>;
  
  ListJobs: grpc.handleUnaryCall<_ediff_v1_ListJobsRequest__Output, _ediff_v1_JobList>;
  
  /**
   * Jobs that outlive a call. SubmitJob stores the job and returns its id at once (a client
   * job id makes a retry idempotent: the same id returns the same job); WatchJob streams its
   * events from after the last one the client saw, so a client that reconnects misses none;
   * GetJob, CancelJob, ListJobs. Generate is SubmitJob + WatchJob in one call. Past the
   * coordinator's limits (--max-running, --max-queued) a submission is RESOURCE_EXHAUSTED with
   * a `retry-after` (seconds) in the trailing metadata.
   */
  SubmitJob: grpc.handleUnaryCall<_ediff_v1_SubmitJobRequest__Output, _ediff_v1_SubmitJobResponse>;
  
  WatchJob: grpc.handleServerStreamingCall<_ediff_v1_WatchJobRequest__Output, _ediff_v1_JobEvent>;
  
}

export interface CoordinatorDefinition extends grpc.ServiceDefinition {
  CancelJob: MethodDefinition<_ediff_v1_CancelJobRequest, _ediff_v1_Job, _ediff_v1_CancelJobRequest__Output, _ediff_v1_Job__Output>
  DescribePipeline: MethodDefinition<_ediff_v1_DescribePipelineRequest, _ediff_v1_PipelineDescription, _ediff_v1_DescribePipelineRequest__Output, _ediff_v1_PipelineDescription__Output>
  Generate: MethodDefinition<_ediff_v1_GenerateRequest, _ediff_v1_GenerateEvent, _ediff_v1_GenerateRequest__Output, _ediff_v1_GenerateEvent__Output>
  GetClusterStatus: MethodDefinition<_ediff_v1_GetClusterStatusRequest, _ediff_v1_ClusterStatus, _ediff_v1_GetClusterStatusRequest__Output, _ediff_v1_ClusterStatus__Output>
  GetJob: MethodDefinition<_ediff_v1_GetJobRequest, _ediff_v1_Job, _ediff_v1_GetJobRequest__Output, _ediff_v1_Job__Output>
  ListJobs: MethodDefinition<_ediff_v1_ListJobsRequest, _ediff_v1_JobList, _ediff_v1_ListJobsRequest__Output, _ediff_v1_JobList__Output>
  SubmitJob: MethodDefinition<_ediff_v1_SubmitJobRequest, _ediff_v1_SubmitJobResponse, _ediff_v1_SubmitJobRequest__Output, _ediff_v1_SubmitJobResponse__Output>
  WatchJob: MethodDefinition<_ediff_v1_WatchJobRequest, _ediff_v1_JobEvent, _ediff_v1_WatchJobRequest__Output, _ediff_v1_JobEvent__Output>
}
