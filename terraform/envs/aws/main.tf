# The full Sluice pipeline on AWS. Images are pinned per stage in images.auto.tfvars.json,
# generated from images.lock.json by `make tf-images` (see terraform/README.md).

provider "aws" {
  region = var.region
  default_tags {
    tags = { application = "sluice", environment = var.environment }
  }
}

module "sluice" {
  source                       = "../../modules/pipeline"
  name                         = var.name
  images                       = var.images
  lake_bucket_name             = var.lake_bucket_name
  lake_parquet                 = var.lake_parquet
  glue_columns                 = jsondecode(file("${path.module}/../../generated/glue_columns.json"))
  private_subnet_ids           = var.private_subnet_ids
  warehouse_security_group_ids = var.warehouse_security_group_ids
  search_security_group_ids    = var.search_security_group_ids
  stage_security_group_ids     = var.stage_security_group_ids
  search_master_user_arn       = var.search_master_user_arn
  api_authorizer               = var.api_authorizer
  jwt_issuer                   = var.jwt_issuer
  jwt_audience                 = var.jwt_audience
  cors_allow_origins           = var.cors_allow_origins
  alert_emails                 = var.alert_emails
}

module "registry" {
  source = "../../modules/registry"
  prefix = var.name
}
