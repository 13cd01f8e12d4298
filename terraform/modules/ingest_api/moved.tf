# Every resource is counted on var.create: existing state keeps its objects at [0].

moved {
  from = aws_apigatewayv2_api.this
  to   = aws_apigatewayv2_api.this[0]
}

moved {
  from = aws_apigatewayv2_integration.ingest
  to   = aws_apigatewayv2_integration.ingest[0]
}

moved {
  from = aws_cloudwatch_log_group.access
  to   = aws_cloudwatch_log_group.access[0]
}

moved {
  from = aws_apigatewayv2_stage.default
  to   = aws_apigatewayv2_stage.default[0]
}

moved {
  from = aws_lambda_permission.api
  to   = aws_lambda_permission.api[0]
}
