// Original file: protos/ediff/v1/node.proto


export interface DescribeNodeRequest {
}

export interface DescribeNodeRequest__Output {
}
