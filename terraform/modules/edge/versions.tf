terraform {
  required_version = ">= 1.7"
  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = ">= 5.60, < 7.0"
      # CloudFront's web ACLs live in us-east-1, whatever the stack's region.
      configuration_aliases = [aws.us_east_1]
    }
  }
}
