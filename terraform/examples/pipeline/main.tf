# The smallest root that runs the whole pipeline, as envs/aws composes it: the ECR repositories,
# the pipeline (ingest API, streams, processor, lake, indexer and OpenSearch, loader and Redshift,
# monitor and alarms) and CloudFront with the WAF rate limit in front of ingest. Only the inputs
# without a safe default are asked for; envs/aws adds the CDN path, capacity from `sluice plan`
# and the JWT and alert options.

# The region is your AWS configuration's (AWS_REGION).
provider "aws" {
  default_tags {
    tags = { application = "sluice", example = "pipeline" }
  }
}

# CloudFront's web ACL must be made in us-east-1.
provider "aws" {
  alias  = "us_east_1"
  region = "us-east-1"
  default_tags {
    tags = { application = "sluice", example = "pipeline" }
  }
}

module "registry" {
  source = "../../modules/registry"
  prefix = var.name
}

module "sluice" {
  source                       = "../../modules/pipeline"
  name                         = var.name
  images                       = var.images
  lake_bucket_name             = var.lake_bucket_name
  glue_table                   = jsondecode(file("${path.module}/../../generated/glue_table.json"))
  private_subnet_ids           = var.private_subnet_ids
  warehouse_security_group_ids = var.warehouse_security_group_ids
  search_security_group_ids    = var.search_security_group_ids
  stage_security_group_ids     = var.stage_security_group_ids
  search_master_user_arn       = var.search_master_user_arn
  cors_allow_origins           = var.cors_allow_origins
  origin_verify_secret_arn     = module.edge.origin_verify_secret_arn
}

module "edge" {
  source              = "../../modules/edge"
  name                = var.name
  api_endpoint        = module.sluice.api_endpoint
  origin_verify_token = var.origin_verify_token
  providers = {
    aws           = aws
    aws.us_east_1 = aws.us_east_1
  }
}
