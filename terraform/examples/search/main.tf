# The OpenSearch domain on its own, as the pipeline makes it: inside your VPC (two zones), encrypted
# at rest and node to node, HTTPS with TLS 1.2, fine-grained access control with an IAM role as its
# admin. Afterwards `sluice opensearch bootstrap` installs the index template and maps the writers'
# roles (terraform/README.md).

# The region is your AWS configuration's (AWS_REGION).
provider "aws" {
  default_tags {
    tags = { application = "sluice", example = "search" }
  }
}

module "search" {
  source             = "../../modules/search"
  domain_name        = var.domain_name
  subnet_ids         = var.subnet_ids
  security_group_ids = var.security_group_ids
  master_user_arn    = var.master_user_arn
}
