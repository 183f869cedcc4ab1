// Original file: protos/ediff/v1/node.proto


export interface PutConditioningResponse {
}

export interface PutConditioningResponse__Output {
}
