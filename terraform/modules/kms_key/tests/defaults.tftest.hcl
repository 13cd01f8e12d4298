# Plan-only checks of the key, with a mocked provider.

mock_provider "aws" {
  source = "../../testing/aws"
}

variables {
  description = "Sluice test key"
}

run "a_rotating_key_the_account_administers" {
  command = plan

  assert {
    condition     = aws_kms_key.this[0].enable_key_rotation && aws_kms_key.this[0].description == "Sluice test key"
    error_message = "the key rotates"
  }
  assert {
    condition     = one(one(data.aws_iam_policy_document.key[0].statement).principals).identifiers == toset(["arn:aws:iam::123456789012:root"])
    error_message = "the account administers the key and grants its use through IAM"
  }
}

run "create_false_creates_nothing" {
  command = plan

  variables {
    create = false
  }

  assert {
    condition = (
      length(aws_kms_key.this) == 0
      && length(data.aws_iam_policy_document.key) == 0
    )
    error_message = "create = false creates nothing"
  }
  assert {
    condition = (
      output.arn == null
      && output.key_id == null
    )
    error_message = "every output is null when nothing is created"
  }
}
