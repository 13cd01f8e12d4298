# Plan-only checks of the example: a private, encrypted domain with an IAM admin.

mock_provider "aws" {
  source = "../../testing/aws"
  # Values the provider checks on apply, and the endpoint the example outputs.
  mock_resource "aws_cloudwatch_log_group" {
    defaults = { arn = "arn:aws:logs:eu-west-1:123456789012:log-group:/aws/opensearch/sluice-example" }
  }
  mock_resource "aws_opensearch_domain" {
    defaults = {
      arn      = "arn:aws:es:eu-west-1:123456789012:domain/sluice-example"
      endpoint = "vpc-sluice-example-abc123.eu-west-1.es.amazonaws.com"
    }
  }
}

variables {
  subnet_ids         = ["subnet-aaaa", "subnet-bbbb"]
  security_group_ids = ["sg-search"]
  master_user_arn    = "arn:aws:iam::123456789012:role/sluice-search-admin"
}

# Applied against the mocked provider (nothing is created): the endpoint is known then.
run "the_domain_answers_over_https" {
  command = apply

  assert {
    condition     = output.url == "https://vpc-sluice-example-abc123.eu-west-1.es.amazonaws.com" && output.domain_arn == "arn:aws:es:eu-west-1:123456789012:domain/sluice-example"
    error_message = "the example outputs the domain's HTTPS endpoint (for sluice opensearch bootstrap --url) and its ARN"
  }
}

run "two_private_subnets" {
  command = plan

  variables {
    subnet_ids = ["subnet-aaaa"]
  }

  expect_failures = [var.subnet_ids]
}
