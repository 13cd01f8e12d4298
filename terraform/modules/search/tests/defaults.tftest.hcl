mock_provider "aws" {
  source = "../../testing/aws"
}

variables {
  domain_name = "sluice"
  subnet_ids  = ["subnet-a", "subnet-b"]
}

run "encrypted_private_domain" {
  command = plan

  assert {
    condition     = one(aws_opensearch_domain.this[0].encrypt_at_rest).enabled && one(aws_opensearch_domain.this[0].node_to_node_encryption).enabled
    error_message = "encryption at rest and node to node"
  }
  assert {
    condition     = one(aws_opensearch_domain.this[0].domain_endpoint_options).enforce_https && one(aws_opensearch_domain.this[0].domain_endpoint_options).tls_security_policy == "Policy-Min-TLS-1-2-2019-07"
    error_message = "HTTPS with TLS 1.2"
  }
  assert {
    condition     = one(aws_opensearch_domain.this[0].advanced_security_options).enabled && !one(aws_opensearch_domain.this[0].advanced_security_options).anonymous_auth_enabled
    error_message = "fine-grained access control"
  }
  assert {
    condition     = length(one(aws_opensearch_domain.this[0].vpc_options).subnet_ids) == 2
    error_message = "the domain lives in the VPC"
  }
}
