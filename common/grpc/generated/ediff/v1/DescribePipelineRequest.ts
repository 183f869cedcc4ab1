// Original file: protos/ediff/v1/coordinator.proto


export interface DescribePipelineRequest {
}

export interface DescribePipelineRequest__Output {
}
