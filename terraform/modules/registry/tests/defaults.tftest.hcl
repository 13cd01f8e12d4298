mock_provider "aws" {
  source = "../../testing/aws"
}

run "immutable_scanned_repositories" {
  command = plan

  assert {
    condition     = length(aws_ecr_repository.stage) == 5 && alltrue([for repo in aws_ecr_repository.stage : repo.image_tag_mutability == "IMMUTABLE" && one(repo.image_scanning_configuration).scan_on_push])
    error_message = "one immutable, scanned repository per stage"
  }
}

run "create_false_creates_nothing" {
  command = plan

  variables {
    create = false
  }

  assert {
    condition = (
      length(aws_ecr_repository.stage) == 0
      && length(aws_ecr_lifecycle_policy.stage) == 0
    )
    error_message = "create = false creates nothing"
  }
  assert {
    condition = (
      output.repository_urls == {}
    )
    error_message = "every output is null when nothing is created"
  }
}
