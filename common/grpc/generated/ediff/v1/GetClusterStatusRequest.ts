// Original file: protos/ediff/v1/coordinator.proto


export interface GetClusterStatusRequest {
}

export interface GetClusterStatusRequest__Output {
}
