# Every resource is counted on var.create: existing state keeps its objects at [0].

moved {
  from = aws_wafv2_web_acl.edge
  to   = aws_wafv2_web_acl.edge[0]
}

moved {
  from = aws_cloudfront_origin_request_policy.ingest
  to   = aws_cloudfront_origin_request_policy.ingest[0]
}

moved {
  from = aws_cloudfront_distribution.ingest
  to   = aws_cloudfront_distribution.ingest[0]
}

moved {
  from = aws_secretsmanager_secret.origin_verify
  to   = aws_secretsmanager_secret.origin_verify[0]
}

moved {
  from = aws_secretsmanager_secret_version.origin_verify
  to   = aws_secretsmanager_secret_version.origin_verify[0]
}
