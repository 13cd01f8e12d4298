mock_provider "aws" {
  source = "../../testing/aws"
}

variables {
  name = "sluice-raw"
}

run "encrypted_with_a_customer_key" {
  command = plan

  assert {
    condition     = aws_kinesis_stream.this[0].encryption_type == "KMS" && length(module.key) == 1
    error_message = "the stream is encrypted with a customer-managed key"
  }
  assert {
    condition     = one(aws_kinesis_stream.this[0].stream_mode_details).stream_mode == "ON_DEMAND" && aws_kinesis_stream.this[0].retention_period == 48
    error_message = "on-demand with 48 h retention by default"
  }
}

run "a_name_kinesis_refuses_is_refused" {
  command = plan

  variables {
    name = "sluice raw!"
  }

  expect_failures = [var.name]
}

run "create_false_creates_nothing" {
  command = plan

  variables {
    create = false
  }

  assert {
    condition = (
      length(aws_kinesis_stream.this) == 0
      && length(module.key) == 0
    )
    error_message = "create = false creates nothing"
  }
  assert {
    condition = (
      output.name == null
      && output.arn == null
      && output.kms_key_arn == null
      && output.capacity == null
    )
    error_message = "every output is null when nothing is created"
  }
}
